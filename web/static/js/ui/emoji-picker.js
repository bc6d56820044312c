// The emoji picker: a dialog with a search box and a grid of emoji buttons named by their
// shortnames; custom emoji first.
import { useState } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { Dialog } from './dialog.js';
import { searchEmoji, emojiInCategory, CATEGORIES } from '../emoji.js';
import { customEmoji } from '../store.js';
import { emojiByName } from './markdown.js';

/** @param {{ onPick: (name: string) => void, onClose: () => void }} props */
export function EmojiPicker({ onPick, onClose }) {
  const [term, setTerm] = useState('');
  const [category, setCategory] = useState('people');
  const t = term.trim().replace(/^:|:$/g, '').toLowerCase();
  const custom = [...new Set(Object.values(customEmoji.value).map((e) => e.name))]
    .filter((name) => !t || name.toLowerCase().includes(t));
  const standard = t ? searchEmoji(t, 120) : emojiInCategory(category);
  return html`
    <${Dialog} title="Emoji" onClose=${onClose} className="emoji-dialog">
      <input type="search" aria-label="Search emoji" placeholder="Search emoji" value=${term}
        onInput=${(e) => setTerm(e.currentTarget.value)} autofocus />
      ${!t && html`
        <div class="emoji-categories" role="group" aria-label="Categories">
          ${CATEGORIES.map(([id, label]) => html`
            <button key=${id} type="button" aria-pressed=${category === id} onClick=${() => setCategory(id)}>${label}</button>`)}
        </div>`}
      <div class="emoji-grid">
        ${custom.map((name) => html`
          <button key=${`c-${name}`} type="button" class="emoji-button" aria-label=${`:${name}:`} title=${`:${name}:`}
            onClick=${() => onPick(name)}>${emojiByName(name)}</button>`)}
        ${standard.map((e) => html`
          <button key=${e.name} type="button" class="emoji-button" aria-label=${`:${e.name}:`} title=${`:${e.name}:`}
            onClick=${() => onPick(e.name)}><span aria-hidden="true">${e.char}</span></button>`)}
        ${custom.length + standard.length === 0 && html`<p class="empty">No emoji found</p>`}
      </div>
    <//>`;
}
