// One message: author, time, text (from the md AST), attachments, reactions, thread summary
// and the actions the user may take on it.
import { useState, useRef, useEffect } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { Avatar } from './avatar.js';
import { Icon } from './icons.js';
import { Dialog } from './dialog.js';
import { EmojiPicker } from './emoji-picker.js';
import { renderMarkdown, emojiByName, safeHref } from './markdown.js';
import { me } from '../session.js';
import {
  can, settings, editingId, editMessage, deleteMessage, react, setPinned, setStarred, openThread, showError,
} from '../store.js';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

/** What system messages (those with a `t`) say. */
function systemText(m) {
  const who = m.u?.username || '';
  switch (m.t) {
    case 'uj': return `${who} joined the room`;
    case 'ul': return `${who} left the room`;
    case 'ut': return `${who} joined the conversation`;
    case 'au': return `${who} added ${m.msg}`;
    case 'ru': return `${who} removed ${m.msg}`;
    case 'user-muted': return `${who} muted ${m.msg}`;
    case 'user-unmuted': return `${who} unmuted ${m.msg}`;
    case 'r': return `${who} changed the room name to ${m.msg}`;
    case 'room_changed_topic': return `${who} changed the topic to: ${m.msg}`;
    case 'room_changed_description': return `${who} changed the description to: ${m.msg}`;
    case 'room_changed_announcement': return `${who} changed the announcement to: ${m.msg}`;
    case 'room_changed_privacy': return `${who} changed the room type to ${m.msg}`;
    case 'room-archived': return `${who} archived the room`;
    case 'room-unarchived': return `${who} unarchived the room`;
    case 'message_pinned': return `${who} pinned a message`;
    case 'discussion-created': return `${who} started a discussion: ${m.msg}`;
    case 'subscription-role-added': return `${who} set ${m.msg} as ${m.role}`;
    case 'subscription-role-removed': return `${who} removed ${m.role} from ${m.msg}`;
    case 'rm': return 'Message deleted';
    default: return m.msg || m.t;
  }
}

/**
 * @param {{ message: any, grouped?: boolean, inThread?: boolean, readOnly?: boolean }} props
 */
export function Message({ message: m, grouped = false, inThread = false, readOnly = false }) {
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [picking, setPicking] = useState(false);
  const user = me.value;
  const mine = m.u?._id === user?._id;
  const ts = new Date(m.ts);
  const editing = editingId.value === m._id;
  const setEditing = (on) => { editingId.value = on ? m._id : null; };
  const authorId = `author-${m._id}`;

  if (m.t && m.t !== 'e2e') {
    return html`
      <article class="message system" aria-label=${systemText(m)} data-id=${m._id}>
        <span class="system-text">${systemText(m)}</span>
        <time class="time" datetime=${ts.toISOString()} title=${fullFormat.format(ts)}>${timeFormat.format(ts)}</time>
      </article>`;
  }

  // Rocket.Chat's rules: moderators edit and delete anything; authors their own messages
  // while the settings allow it.
  const allowEdit = !readOnly &&
    (can('edit-message', m.rid) || (mine && settings.value.Message_AllowEditing !== false));
  const allowDelete = !readOnly &&
    (can('delete-message', m.rid) || (mine && settings.value.Message_AllowDeleting !== false && can('delete-own-message', m.rid)));
  const allowPin = settings.value.Message_AllowPinning !== false && can('pin-message', m.rid);
  const allowStar = settings.value.Message_AllowStarring !== false;
  const starred = (m.starred || []).some((s) => s._id === user?._id);
  const reactions = Object.entries(m.reactions || {});

  async function run(action) {
    try {
      await action();
    } catch (e) {
      showError(e);
    }
  }

  return html`
    <article class=${`message${grouped ? ' grouped' : ''}${m.pinned ? ' pinned' : ''}${m._ephemeral ? ' ephemeral' : ''}`}
      aria-labelledby=${authorId} data-id=${m._id} tabindex="-1">
      <div class="message-gutter">
        ${grouped
          ? html`<time class="time hover-time" datetime=${ts.toISOString()} title=${fullFormat.format(ts)}>${timeFormat.format(ts)}</time>`
          : html`<${Avatar} username=${m.u?.username} size=${36} />`}
      </div>
      <div class="message-main">
        <div class=${grouped ? 'message-header visually-hidden' : 'message-header'}>
          <span id=${authorId} class="author">${m.alias || m.u?.name || m.u?.username}</span>
          ${m.u?.name && m.u?.username && html`<span class="username">@${m.u.username}</span>`}
          <time class="time" datetime=${ts.toISOString()} title=${fullFormat.format(ts)}>${timeFormat.format(ts)}</time>
          ${m.editedAt && html`<span class="edited" title=${`Edited ${fullFormat.format(new Date(m.editedAt))}`}>(edited)</span>`}
          ${m.pinned && html`<span class="tag">Pinned</span>`}
          ${starred && html`<span class="tag">Starred</span>`}
        </div>
        ${editing
          ? html`<${EditBox} message=${m} onDone=${() => setEditing(false)} />`
          : html`<div class="message-body">${Array.isArray(m.md) ? renderMarkdown(m.md, { me: user?.username }) : m.msg}</div>`}
        ${(m.attachments || []).map((a, i) => html`<${Attachment} key=${i} attachment=${a} />`)}
        ${reactions.length > 0 && html`
          <div class="reactions" role="group" aria-label="Reactions">
            ${reactions.map(([name, r]) => {
              const bare = name.replace(/^:|:$/g, '');
              const users = r.usernames || [];
              const pressed = users.includes(user?.username);
              return html`<button key=${name} type="button" class=${`reaction${pressed ? ' pressed' : ''}`}
                aria-pressed=${pressed} aria-label=${`:${bare}: ${users.length}`} title=${users.join(', ')}
                onClick=${() => run(() => react(m, bare, !pressed))}>
                ${emojiByName(bare)} <span aria-hidden="true">${users.length}</span></button>`;
            })}
          </div>`}
        ${!inThread && m.tcount > 0 && html`
          <button type="button" class="thread-summary" onClick=${() => run(() => openThread(m.rid, m._id))}>
            ${m.tcount === 1 ? '1 reply' : `${m.tcount} replies`}</button>`}
      </div>
      ${!m._ephemeral && html`
        <div class="message-actions" role="toolbar" aria-label="Message actions">
          <button type="button" class="icon-button" aria-label="Add reaction" title="Add reaction" onClick=${() => setPicking(true)}><${Icon} name="smile" /></button>
          ${!inThread && html`<button type="button" class="icon-button" aria-label="Reply in thread" title="Reply in thread" onClick=${() => run(() => openThread(m.rid, m.tmid || m._id))}><${Icon} name="thread" /></button>`}
          ${allowStar && html`<button type="button" class="icon-button" aria-label=${starred ? 'Unstar' : 'Star'} title=${starred ? 'Unstar' : 'Star'} onClick=${() => run(() => setStarred(m, !starred))}><${Icon} name="star" filled=${starred} /></button>`}
          ${allowPin && html`<button type="button" class="icon-button" aria-label=${m.pinned ? 'Unpin' : 'Pin'} title=${m.pinned ? 'Unpin' : 'Pin'} onClick=${() => run(() => setPinned(m, !m.pinned))}><${Icon} name="pin" filled=${Boolean(m.pinned)} /></button>`}
          ${allowEdit && html`<button type="button" class="icon-button" aria-label="Edit" title="Edit" onClick=${() => setEditing(true)}><${Icon} name="edit" /></button>`}
          ${allowDelete && html`<button type="button" class="icon-button" aria-label="Delete" title="Delete" onClick=${() => setConfirmDelete(true)}><${Icon} name="trash" /></button>`}
        </div>`}
      ${picking && html`<${EmojiPicker} onClose=${() => setPicking(false)}
        onPick=${(name) => { setPicking(false); run(() => react(m, name, true)); }} />`}
      ${confirmDelete && html`
        <${Dialog} title="Delete message?" role="alertdialog" onClose=${() => setConfirmDelete(false)}>
          <p>The message will be deleted for everyone. This cannot be undone.</p>
          <div class="form-actions">
            <button type="button" onClick=${() => setConfirmDelete(false)} autofocus>Cancel</button>
            <button type="button" class="danger" onClick=${() => { setConfirmDelete(false); run(() => deleteMessage(m)); }}>Delete</button>
          </div>
        <//>`}
    </article>`;
}

function EditBox({ message, onDone }) {
  const [text, setText] = useState(message.msg || '');
  const ref = useRef(/** @type {HTMLTextAreaElement} */ (null));
  useEffect(() => {
    // Focus comes back to where it was (the composer, or the Edit button) when editing ends.
    const opener = /** @type {HTMLElement | null} */ (document.activeElement);
    const el = ref.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  async function save() {
    const trimmed = text.trim();
    if (!trimmed || trimmed === message.msg) {
      onDone();
      return;
    }
    try {
      await editMessage(message, trimmed);
      onDone();
    } catch (e) {
      showError(e);
    }
  }
  return html`
    <div class="edit-box">
      <textarea ref=${ref} aria-label="Edit message" rows="2" value=${text}
        onInput=${(e) => setText(e.currentTarget.value)}
        onKeyDown=${(e) => {
          if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
          else if (e.key === 'Escape') { e.preventDefault(); onDone(); }
        }}></textarea>
      <p class="hint">Enter to save, Escape to cancel</p>
    </div>`;
}

/** A file or quoted message attached to a message. */
function Attachment({ attachment: a }) {
  const link = a.title_link ? sameOriginOrSafe(a.title_link) : null;
  if (a.image_url) {
    const src = sameOriginOrSafe(a.image_url);
    const alt = a.title || a.description || 'Image';
    return html`
      <figure class="attachment image">
        ${src && html`<a href=${link || src} target="_blank" rel="noopener">
          <img src=${src} alt=${alt} loading="lazy"
            width=${a.image_dimensions?.width} height=${a.image_dimensions?.height} /></a>`}
        <figcaption>${a.title}${a.description && html` — ${a.description}`}</figcaption>
      </figure>`;
  }
  if (a.message_link || a.text || a.author_name) {
    return html`
      <blockquote class="attachment quote">
        ${a.author_name && html`<strong>${a.author_name}</strong>`}
        <div>${Array.isArray(a.md) ? renderMarkdown(a.md, {}) : a.text}</div>
      </blockquote>`;
  }
  if (a.title) {
    return html`
      <div class="attachment file">
        <span aria-hidden="true">📄</span>
        ${link ? html`<a href=${link} target="_blank" rel="noopener" download>${a.title}</a>` : a.title}
        ${a.description && html`<span class="muted"> — ${a.description}</span>`}
      </div>`;
  }
  return null;
}

/** A path on this server as it is; anything else only if http(s). */
function sameOriginOrSafe(url) {
  if (typeof url !== 'string') return null;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  return safeHref(url);
}
