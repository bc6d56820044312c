// The sidebar's dialogs: create a channel or private group, start a direct message, and the
// directory (search for rooms and people).
import { useState } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { Dialog } from './dialog.js';
import { useSubmit } from './forms.js';
import { useLoad } from './loading.js';
import { Avatar } from './avatar.js';
import { createRoom, createDirect, ddp, roomPath, subscriptions } from '../store.js';
import { navigate } from '../router.js';

/** @param {{ onClose: () => void }} props */
export function CreateRoomDialog({ onClose }) {
  const [name, setName] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [readOnly, setReadOnly] = useState(false);
  const [members, setMembers] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const list = members.split(/[\s,]+/).map((m) => m.replace(/^@/, '')).filter(Boolean);
    const created = await createRoom(name.trim(), isPrivate, list, readOnly);
    onClose();
    const sub = subscriptions.value[created.rid];
    navigate(sub ? roomPath(sub) : `/${isPrivate ? 'group' : 'channel'}/${encodeURIComponent(created.name || name.trim())}`);
  });

  return html`
    <${Dialog} title="Create room" onClose=${onClose}>
      <form class="form" onSubmit=${onSubmit}>
        <label>Name <input required value=${name} onInput=${(e) => setName(e.currentTarget.value)} autofocus /></label>
        <label class="check"><input type="checkbox" checked=${isPrivate} onChange=${(e) => setPrivate(e.currentTarget.checked)} /> Private</label>
        <label class="check"><input type="checkbox" checked=${readOnly} onChange=${(e) => setReadOnly(e.currentTarget.checked)} /> Read only</label>
        <label>Members <input value=${members} placeholder="usernames, separated by commas" onInput=${(e) => setMembers(e.currentTarget.value)} /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <div class="form-actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Create</button>
        </div>
      </form>
    <//>`;
}

/** @param {{ onClose: () => void }} props */
export function DirectMessageDialog({ onClose }) {
  const [username, setUsername] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const created = await createDirect(username.trim().replace(/^@/, ''));
    onClose();
    navigate(`/direct/${encodeURIComponent(created.rid || created._id)}`);
  });

  return html`
    <${Dialog} title="Direct message" onClose=${onClose}>
      <form class="form" onSubmit=${onSubmit}>
        <label>Username <input required value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} autofocus /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <div class="form-actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Start</button>
        </div>
      </form>
    <//>`;
}

/** @param {{ onClose: () => void }} props */
export function DirectoryDialog({ onClose }) {
  const [text, setText] = useState('');
  const [messageError, setMessageError] = useState('');
  const term = text.trim();
  // The directory: public channels (the busiest first) and people.
  const { value, error: loadError } = useLoad(async () => {
    const [channels, people] = await Promise.all([
      ddp.call('browseChannels', { text: term, type: 'channels', sortBy: term ? 'name' : 'usersCount', sortDirection: term ? 'asc' : 'desc', limit: 50 }),
      ddp.call('browseChannels', { text: term, type: 'users', sortBy: 'username', limit: 20 }).catch(() => ({ results: [] })),
    ]);
    return { rooms: channels.results || [], users: people.results || [] };
  }, [term], 200);
  const result = value || { rooms: [], users: [] };
  const error = messageError || loadError;

  function open(path) {
    onClose();
    navigate(path);
  }

  async function message(username) {
    try {
      const created = await createDirect(username);
      open(`/direct/${encodeURIComponent(created.rid || created._id)}`);
    } catch (err) {
      setMessageError(err.message);
    }
  }

  return html`
    <${Dialog} title="Directory" onClose=${onClose} className="directory">
      <label class="visually-hidden" for="directory-search">Search directory</label>
      <input id="directory-search" type="search" placeholder="Search rooms and people" value=${text}
        onInput=${(e) => setText(e.currentTarget.value)} autofocus />
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <h3>Rooms</h3>
      <ul class="directory-list">
        ${result.rooms.length === 0 && html`<li class="empty">No rooms found</li>`}
        ${result.rooms.map((r) => html`
          <li key=${r._id}>
            <a href=${roomPath({ t: r.t, name: r.name, rid: r._id })}
              onClick=${(e) => { e.preventDefault(); open(roomPath({ t: r.t, name: r.name, rid: r._id })); }}>
              <span class="muted">${r.t === 'p' ? '(private) ' : '#'}</span>${r.fname || r.name}</a>
            ${r.topic && html`<span class="muted"> — ${r.topic}</span>`}
          </li>`)}
      </ul>
      <h3>People</h3>
      <ul class="directory-list">
        ${result.users.length === 0 && html`<li class="empty">No people found</li>`}
        ${result.users.map((u) => html`
          <li key=${u._id}>
            <${Avatar} username=${u.username} size=${20} />
            <span>${u.name || u.username} <span class="muted">@${u.username}</span></span>
            <button type="button" onClick=${() => message(u.username)} aria-label=${`Message ${u.username}`}>Message</button>
          </li>`)}
      </ul>
      <div class="form-actions"><button type="button" onClick=${onClose}>Close</button></div>
    <//>`;
}
