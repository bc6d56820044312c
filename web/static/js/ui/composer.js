// The message composer: Enter sends, Shift+Enter breaks the line; @mentions and :emoji:
// complete from a list; files attach by the button or by dropping them on the room.
import { useState, useRef, useEffect } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { Avatar } from './avatar.js';
import { Icon } from './icons.js';
import { ddp, sendMessage, startTyping, stopTyping, showError, customEmoji, messagesOf, repliesOf, editingId } from '../store.js';
import { me } from '../session.js';
import { searchEmoji } from '../emoji.js';
import { emojiByName } from './markdown.js';
import * as api from '../api.js';

/** The word being completed before the caret: '@par' or ':smi'. */
function tokenBeforeCaret(text, caret) {
  const match = /(^|\s)([@:])([\w.+-]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  if (match[2] === ':' && match[3].length < 2) return null;
  return { trigger: match[2], term: match[3], start: caret - match[3].length - 1 };
}

let suggestionCounter = 0;

/**
 * @param {{ rid: string, tmid?: string, label: string, sendLabel: string, onUpload?: (files: File[]) => void }} props
 */
export function Composer({ rid, tmid, label, sendLabel, onUpload }) {
  const [text, setText] = useState('');
  const [suggestions, setSuggestions] = useState(/** @type {{ key: string, insert: string, view: any }[]} */ ([]));
  const [active, setActive] = useState(0);
  const [token, setToken] = useState(/** @type {{ trigger: string, term: string, start: number } | null} */ (null));
  const ref = useRef(/** @type {HTMLTextAreaElement} */ (null));
  const fileRef = useRef(/** @type {HTMLInputElement} */ (null));
  const listId = useRef(`suggestions-${++suggestionCounter}`);
  const draftKey = `ferrochat.draft.${rid}${tmid ? `.${tmid}` : ''}`;

  useEffect(() => {
    setText(sessionStorage.getItem(draftKey) || '');
    setSuggestions([]);
    setToken(null);
    if (window.matchMedia('(min-width: 700px)').matches) ref.current?.focus();
  }, [draftKey]);

  useEffect(() => {
    if (!token) {
      setSuggestions([]);
      return undefined;
    }
    let cancelled = false;
    const timer = setTimeout(async () => {
      let list = [];
      if (token.trigger === ':') {
        const t = token.term.toLowerCase();
        const custom = [...new Set(Object.values(customEmoji.value).map((e) => e.name))]
          .filter((n) => n.toLowerCase().startsWith(t)).slice(0, 5);
        list = [
          ...custom.map((name) => ({ key: `c:${name}`, insert: `:${name}: `, view: html`${emojiByName(name)} :${name}:` })),
          ...searchEmoji(t, 8).map((e) => ({ key: e.name, insert: `:${e.name}: `, view: html`<span aria-hidden="true">${e.char}</span> :${e.name}:` })),
        ];
      } else {
        try {
          const found = await ddp.call('spotlight', `@${token.term}`, [], { users: true, rooms: false, mentions: true }, rid);
          list = (found.users || []).slice(0, 8).map((u) => ({
            key: u._id,
            insert: `@${u.username} `,
            view: html`<${Avatar} username=${u.username} size=${20} /> ${u.name || u.username} <span class="muted">@${u.username}</span>`,
          }));
          for (const special of ['all', 'here']) {
            if (special.startsWith(token.term.toLowerCase())) {
              list.push({ key: special, insert: `@${special} `, view: html`@${special} <span class="muted">notify ${special === 'all' ? 'everyone' : 'everyone online'}</span>` });
            }
          }
        } catch {
          list = [];
        }
      }
      if (!cancelled) {
        setSuggestions(list);
        setActive(0);
      }
    }, token.trigger === '@' ? 150 : 0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [token?.trigger, token?.term]);

  function update(value, caret) {
    setText(value);
    sessionStorage.setItem(draftKey, value);
    setToken(tokenBeforeCaret(value, caret));
    if (value.trim()) startTyping(rid, tmid);
    else stopTyping(rid);
  }

  function pick(suggestion) {
    const el = ref.current;
    if (!el || !token) return;
    const caret = el.selectionStart;
    const value = text.slice(0, token.start) + suggestion.insert + text.slice(caret);
    const position = token.start + suggestion.insert.length;
    setText(value);
    sessionStorage.setItem(draftKey, value);
    setToken(null);
    setSuggestions([]);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(position, position);
    });
  }

  async function send() {
    const value = text;
    if (!value.trim()) return;
    setText('');
    sessionStorage.removeItem(draftKey);
    setToken(null);
    try {
      await sendMessage(rid, value, tmid);
    } catch (e) {
      // Nothing typed is lost: the text goes back into the box.
      setText(value);
      sessionStorage.setItem(draftKey, value);
      showError(e);
    }
  }

  function onKeyDown(e) {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((active + 1) % suggestions.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((active - 1 + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(suggestions[active]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setSuggestions([]);
        setToken(null);
        return;
      }
    }
    if (e.key === 'ArrowUp' && !text) {
      // As in Rocket.Chat: the up arrow in an empty box edits the user's last message.
      const list = tmid ? repliesOf(tmid).value : messagesOf(rid).value.messages;
      const last = [...list].reverse().find((m) => m.u?._id === me.value?._id && !m.t && !m._ephemeral);
      if (last) {
        e.preventDefault();
        editingId.value = last._id;
      }
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  }

  const open = suggestions.length > 0;
  return html`
    <form class="composer" onSubmit=${(e) => { e.preventDefault(); send(); }}>
      ${open && html`
        <ul id=${listId.current} class="suggestions" role="listbox" aria-label="Suggestions">
          ${suggestions.map((s, i) => html`
            <li key=${s.key} id=${`${listId.current}-${i}`} role="option" aria-selected=${i === active}
              class=${i === active ? 'active' : ''}
              onMouseDown=${(e) => { e.preventDefault(); pick(s); }}>${s.view}</li>`)}
        </ul>`}
      ${onUpload && html`
        <input ref=${fileRef} type="file" class="visually-hidden" aria-label="File to attach" tabindex="-1" multiple
          onChange=${(e) => {
            const files = [...(e.currentTarget.files || [])];
            e.currentTarget.value = '';
            if (files.length) onUpload(files);
          }} />
        <button type="button" class="icon-button" aria-label="Attach file" title="Attach file"
          onClick=${() => fileRef.current?.click()}><${Icon} name="clip" /></button>`}
      <textarea ref=${ref} rows="1" aria-label=${label} placeholder=${label}
        aria-autocomplete="list"
        aria-controls=${open ? listId.current : undefined}
        aria-activedescendant=${open ? `${listId.current}-${active}` : undefined}
        value=${text}
        onInput=${(e) => update(e.currentTarget.value, e.currentTarget.selectionStart)}
        onKeyDown=${onKeyDown}
        onBlur=${() => setTimeout(() => setSuggestions([]), 150)}></textarea>
      <button type="submit" class="primary send" disabled=${!text.trim()}>${sendLabel}</button>
    </form>`;
}

/**
 * Uploads files to a room one after the other, reporting progress.
 * @param {string} rid
 * @param {File[]} files
 * @param {string | undefined} tmid
 * @param {(state: { name: string, fraction: number, abort: () => void } | null) => void} onProgress
 */
export async function uploadFiles(rid, files, tmid, onProgress) {
  for (const file of files) {
    const { promise, abort } = api.upload(rid, file, { tmid }, (fraction) => onProgress({ name: file.name, fraction, abort }));
    onProgress({ name: file.name, fraction: 0, abort });
    try {
      await promise;
    } catch (e) {
      showError(e);
    }
  }
  onProgress(null);
}
