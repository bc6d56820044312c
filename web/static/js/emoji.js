// Emoji by shortname: the standard table (emoji-toolkit, the names the server accepts as
// reactions) and the server's custom emoji.
import { EMOJI } from './emoji-data.js';

/** shortname (or alternate) → character */
const byName = new Map();
for (const [name, char, , alternates] of EMOJI) {
  byName.set(name, char);
  for (const alt of alternates ? alternates.split(' ') : []) if (!byName.has(alt)) byName.set(alt, char);
}

/** The character of a standard emoji shortname (without colons), or undefined. */
export function emojiChar(name) {
  return byName.get(name);
}

/** Standard emoji whose name contains `term`, names starting with it first. */
export function searchEmoji(term, limit = 60) {
  const t = term.toLowerCase();
  const starts = [];
  const contains = [];
  for (const [name, char] of EMOJI) {
    if (name.startsWith(t)) starts.push({ name, char });
    else if (t && name.includes(t)) contains.push({ name, char });
    if (starts.length >= limit) break;
  }
  return starts.concat(contains).slice(0, limit);
}

/** Emoji of one picker category, in display order. */
export function emojiInCategory(category) {
  return EMOJI.filter((e) => e[2] === category).map(([name, char]) => ({ name, char }));
}

export const CATEGORIES = [
  ['people', 'Smileys & people'],
  ['nature', 'Animals & nature'],
  ['food', 'Food & drink'],
  ['activity', 'Activities'],
  ['travel', 'Travel & places'],
  ['objects', 'Objects'],
  ['symbols', 'Symbols'],
  ['flags', 'Flags'],
];
