// The room: its header, the message list (history loads as the user scrolls up), typing
// indicator, composer and file uploads, and the thread panel beside it.
import { useState, useEffect, useRef, useLayoutEffect } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { Message } from './message.js';
import { Icon } from './icons.js';
import { Avatar } from './avatar.js';
import { MenuButton } from './menu.js';
import { Composer, uploadFiles } from './composer.js';
import { useLoad } from './loading.js';
import {
  messagesOf, repliesOf, openRoom, loadOlder, subscriptions, rooms, currentThread, typing, can,
  toggleFavorite, joinRoom, showError, displayName, threadParent, markRead, ddp, presence,
} from '../store.js';
import { navigate } from '../router.js';
import * as api from '../api.js';

const GROUPING_MS = 5 * 60 * 1000;
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Messages with day separators, and whether each continues its author's group. */
function layout(messages) {
  const rows = [];
  let previous = null;
  for (const m of messages) {
    const ts = new Date(m.ts);
    const prevTs = previous ? new Date(previous.ts) : null;
    if (!prevTs || !sameDay(prevTs, ts)) {
      rows.push({ separator: dayFormat.format(ts), key: `day-${ts.toDateString()}` });
    }
    const grouped = Boolean(previous && prevTs && sameDay(prevTs, ts) && !m.t && !previous.t &&
      previous.u?._id === m.u?._id && ts.getTime() - prevTs.getTime() < GROUPING_MS && !m.alias && !previous.alias);
    rows.push({ message: m, grouped, key: m._id });
    previous = m;
  }
  return rows;
}

/** @param {{ rid: string, room: any }} props */
export function RoomView({ rid, room: initialRoom }) {
  const sub = subscriptions.value[rid] || null;
  const room = rooms.value[rid] || initialRoom || {};
  const [upload, setUpload] = useState(/** @type {{ name: string, fraction: number, abort: () => void } | null} */ (null));
  const [dragging, setDragging] = useState(false);
  const [list, setList] = useState(/** @type {'pinned' | 'starred' | 'search' | 'members' | null} */ (null));
  const panelButton = (kind, label, icon) => html`
    <button type="button" class="icon-button" aria-label=${label} title=${label} aria-pressed=${list === kind}
      onClick=${() => { currentThread.value = null; setList(list === kind ? null : kind); }}><${Icon} name=${icon} /></button>`;
  const roomActions = [
    ...(sub && room.t !== 'd' ? [{ label: 'Leave room', danger: true, onSelect: () => leave('leaveRoom') }] : []),
    ...(sub ? [{ label: 'Hide room', onSelect: () => leave('hideRoom') }] : []),
  ];

  async function leave(method) {
    try {
      await ddp.call(method, rid);
      navigate('/home');
    } catch (e) {
      showError(e);
    }
  }
  const thread = currentThread.value?.rid === rid ? currentThread.value : null;

  useEffect(() => {
    if (thread) setList(null);
  }, [thread?.tmid]);

  useEffect(() => openRoom(rid), [rid]);

  // The address follows the open thread, so a reload or a shared link opens it again.
  useEffect(() => {
    const base = location.pathname.replace(/\/thread\/[^/]*$/, '');
    navigate(thread ? `${base}/thread/${encodeURIComponent(thread.tmid)}` : base, { replace: true });
  }, [thread?.tmid]);

  useEffect(() => {
    const onVisible = () => {
      if (!document.hidden) markRead(rid);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [rid]);

  const name = sub ? displayName(sub) : room.fname || room.name || '';
  const archived = Boolean(room.archived || sub?.archived);
  const readOnly = Boolean(room.ro) && !can('post-readonly', rid);
  const canPost = Boolean(sub) && !archived && !readOnly;
  const canUpload = canPost && room.t !== 'l';

  async function onUpload(files) {
    await uploadFiles(rid, files, undefined, setUpload);
  }

  function onDrop(e) {
    e.preventDefault();
    setDragging(false);
    const files = [...(e.dataTransfer?.files || [])];
    if (files.length && canUpload) onUpload(files);
  }

  return html`
    <div class=${`room-layout${thread || list ? ' with-thread' : ''}`}>
      <section class=${`room${dragging ? ' dragging' : ''}`} aria-labelledby="room-title"
        onDragOver=${(e) => { if (canUpload && e.dataTransfer?.types?.includes('Files')) { e.preventDefault(); setDragging(true); } }}
        onDragLeave=${(e) => { if (e.currentTarget === e.target) setDragging(false); }}
        onDrop=${onDrop}>
        <header class="room-header">
          <button type="button" class="icon-button back" aria-label="Back to rooms" onClick=${() => navigate('/home')}><${Icon} name="back" /></button>
          <div class="room-title">
            <div class="room-name-row">
              <h1 id="room-title">${room.t === 'p' || room.t === 'c' ? html`<span class="muted room-kind"><${Icon} name=${room.t === 'p' ? 'lock' : 'hash'} size=${18} /></span>` : ''}${name}</h1>
              ${sub && html`
                <button type="button" class="icon-button favorite" aria-label="Favorite" aria-pressed=${Boolean(sub.f)}
                  title=${sub.f ? 'Remove from favorites' : 'Add to favorites'}
                  onClick=${() => toggleFavorite(rid, !sub.f).catch(showError)}><${Icon} name="star" filled=${Boolean(sub.f)} /></button>`}
            </div>
            ${room.topic && html`<p class="topic">${room.topic}</p>`}
          </div>
          ${panelButton('search', 'Search messages', 'search')}
          ${panelButton('members', 'Members', 'people')}
          ${panelButton('pinned', 'Pinned messages', 'pin')}
          ${sub && panelButton('starred', 'Starred messages', 'starList')}
          ${roomActions.length > 0 && html`<${MenuButton} label="Room actions" buttonContent=${html`<${Icon} name="more" />`} items=${roomActions} />`}
        </header>
        ${room.announcement && html`<p class="announcement">${room.announcement}</p>`}
        <${MessageList} rid=${rid} readOnly=${!canPost} />
        <${TypingIndicator} rid=${rid} />
        ${upload && html`
          <div class="upload-progress">
            <span>Uploading ${upload.name}</span>
            <progress aria-label="Upload progress" max="1" value=${upload.fraction}></progress>
            <button type="button" onClick=${upload.abort}>Cancel upload</button>
          </div>`}
        ${archived
          ? html`<p class="room-note">This room is archived.</p>`
          : readOnly
            ? html`<p class="room-note">This room is read only.</p>`
            : !sub
              ? html`<div class="room-note">
                  <span>You are viewing ${name}.</span>
                  <button type="button" class="primary" onClick=${() => joinRoom(rid).catch(showError)}>Join</button>
                </div>`
              : html`<${Composer} rid=${rid} label="Message" sendLabel="Send" onUpload=${canUpload ? onUpload : undefined} />`}
        ${dragging && html`<div class="drop-hint" aria-hidden="true">Drop files to upload them to ${name}</div>`}
      </section>
      ${thread && html`<${ThreadPanel} rid=${rid} tmid=${thread.tmid} canPost=${canPost} />`}
      ${!thread && (list === 'pinned' || list === 'starred') && html`<${MessageListPanel} key=${list} rid=${rid} kind=${list} onClose=${() => setList(null)} />`}
      ${!thread && list === 'search' && html`<${SearchPanel} rid=${rid} onClose=${() => setList(null)} />`}
      ${!thread && list === 'members' && html`<${MembersPanel} rid=${rid} t=${room.t} onClose=${() => setList(null)} />`}
    </div>`;
}

function MessageList({ rid, readOnly }) {
  const state = messagesOf(rid).value;
  const scroller = useRef(/** @type {HTMLDivElement} */ (null));
  const pinnedToBottom = useRef(true);
  const previousHeight = useRef(0);
  const previousFirst = useRef(/** @type {string | null} */ (null));
  const rows = layout(state.messages);

  // Keeps the view in place: at the bottom when it was there, and at the same message when
  // older history is put above it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = state.messages[0]?._id || null;
    if (previousFirst.current && first !== previousFirst.current && !pinnedToBottom.current) {
      el.scrollTop += el.scrollHeight - previousHeight.current;
    } else if (pinnedToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    previousFirst.current = first;
    previousHeight.current = el.scrollHeight;
  }, [state.messages]);

  useEffect(() => {
    pinnedToBottom.current = true;
    previousFirst.current = null;
  }, [rid]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    pinnedToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    previousHeight.current = el.scrollHeight;
    if (el.scrollTop < 200 && state.hasMore && !state.loading) loadOlder(rid).catch(showError);
  }

  return html`
    <div class="messages-scroller" ref=${scroller} onScroll=${onScroll}>
      ${state.hasMore && state.loaded && html`
        <button type="button" class="load-older" disabled=${state.loading} onClick=${() => loadOlder(rid).catch(showError)}>
          ${state.loading ? 'Loading…' : 'Load older messages'}</button>`}
      ${!state.hasMore && html`<p class="start-of-room">This is the start of the conversation.</p>`}
      <div role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" class="message-list">
        ${rows.map((row) => row.separator
          ? html`<div key=${row.key} class="day-separator" role="separator" aria-label=${row.separator}><span aria-hidden="true">${row.separator}</span></div>`
          : html`<${Message} key=${row.key} message=${row.message} grouped=${row.grouped} readOnly=${readOnly} />`)}
      </div>
      ${!state.loaded && html`<p class="loading" role="status">Loading messages…</p>`}
    </div>`;
}

function TypingIndicator({ rid }) {
  const names = Object.keys(typing.value[rid] || {});
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names.length} people are typing…`;
  return html`<div class="typing" role="status" aria-live="polite">${text}</div>`;
}

/** The room's pinned or starred messages, beside the room like a thread. */
function MessageListPanel({ rid, kind, onClose }) {
  const title = kind === 'pinned' ? 'Pinned messages' : 'Starred messages';
  const { value: messages, error } = useLoad(
    () => api.get(kind === 'pinned' ? 'chat.getPinnedMessages' : 'chat.getStarredMessages', { roomId: rid, count: 100 })
      .then((reply) => reply.messages || []),
    [rid, kind],
  );
  return html`
    <${Panel} title=${title} onClose=${onClose}>
      <div class="messages-scroller">
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${messages === null && !error && html`<p class="loading" role="status">Loading…</p>`}
        ${messages?.length === 0 && html`<p class="empty panel-empty">${kind === 'pinned' ? 'No pinned messages' : 'No starred messages'}</p>`}
        <ul class="panel-list">
          ${(messages || []).map((m) => html`<li key=${m._id}><${Message} message=${m} inThread=${true} readOnly=${true} /></li>`)}
        </ul>
      </div>
    <//>`;
}

/** A side panel with a title and a close button. */
function Panel({ title, onClose, children }) {
  return html`
    <aside class="thread-panel" aria-label=${title}>
      <header class="thread-header">
        <h2>${title}</h2>
        <button type="button" class="icon-button" aria-label=${`Close ${title.toLowerCase()}`} onClick=${onClose}><${Icon} name="close" /></button>
      </header>
      ${children}
    </aside>`;
}

/** Full-text search in the room (the `messageSearch` method: words, from:user, is:pinned...). */
function SearchPanel({ rid, onClose }) {
  const [text, setText] = useState('');
  const term = text.trim();
  const { value: found, error } = useLoad(
    term ? () => ddp.call('messageSearch', term, rid, 50).then((reply) => reply?.message?.docs || []) : null,
    [term, rid],
    250,
  );
  return html`
    <${Panel} title="Search messages" onClose=${onClose}>
      <div class="panel-search">
        <input type="search" aria-label="Search in this room" placeholder="Words, from:user, is:pinned" value=${text}
          onInput=${(e) => setText(e.currentTarget.value)} autofocus />
      </div>
      <div class="messages-scroller">
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${found?.length === 0 && html`<p class="empty panel-empty" role="status">No messages found</p>`}
        <ul class="panel-list" aria-label="Search results">
          ${(found || []).map((m) => html`<li key=${m._id}><${Message} message=${m} inThread=${true} readOnly=${true} /></li>`)}
        </ul>
      </div>
    <//>`;
}

/** The room's members with their presence. */
function MembersPanel({ rid, t, onClose }) {
  const prefix = t === 'p' ? 'groups' : t === 'd' ? 'im' : 'channels';
  const { value: reply, error } = useLoad(
    () => api.get(`${prefix}.members`, { roomId: rid, count: 100, sort: { username: 1 } }),
    [rid, prefix],
  );
  const members = reply ? reply.members || [] : null;
  const total = reply?.total || 0;
  return html`
    <${Panel} title="Members" onClose=${onClose}>
      <div class="messages-scroller" tabindex="0" aria-label="Member list">
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${members === null && !error && html`<p class="loading" role="status">Loading…</p>`}
        ${members && html`<p class="muted panel-empty">${total === 1 ? '1 member' : `${total} members`}</p>`}
        <ul class="member-list">
          ${(members || []).map((u) => {
            const status = presence.value[u._id] || u.status || 'offline';
            return html`<li key=${u._id}>
              <${Avatar} username=${u.username} status=${status} size=${28} />
              <span>${u.name || u.username} <span class="muted">@${u.username}</span></span>
              <span class="visually-hidden">${status}</span>
            </li>`;
          })}
        </ul>
      </div>
    <//>`;
}

function ThreadPanel({ rid, tmid, canPost }) {
  const replies = repliesOf(tmid).value;
  const [parent, setParent] = useState(/** @type {any} */ (null));
  const scroller = useRef(/** @type {HTMLDivElement} */ (null));

  useEffect(() => {
    let cancelled = false;
    setParent(null);
    threadParent(rid, tmid).then((m) => { if (!cancelled) setParent(m); }).catch(showError);
    return () => { cancelled = true; };
  }, [rid, tmid]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [replies.length]);

  // The parent's counters change as replies arrive; prefer the live copy in the room's list.
  const liveParent = messagesOf(rid).value.messages.find((m) => m._id === tmid) || parent;

  return html`
    <aside class="thread-panel" aria-label="Thread">
      <header class="thread-header">
        <h2>Thread</h2>
        <button type="button" class="icon-button" aria-label="Close thread" onClick=${() => { currentThread.value = null; }}><${Icon} name="close" /></button>
      </header>
      <div class="messages-scroller" ref=${scroller}>
        ${liveParent && html`<div class="thread-parent"><${Message} message=${liveParent} inThread=${true} readOnly=${!canPost} /></div>`}
        <div role="log" aria-label="Thread messages" aria-live="polite" class="message-list">
          ${layout(replies).map((row) => row.separator
            ? html`<div key=${row.key} class="day-separator" role="separator" aria-label=${row.separator}><span aria-hidden="true">${row.separator}</span></div>`
            : html`<${Message} key=${row.key} message=${row.message} grouped=${row.grouped} inThread=${true} readOnly=${!canPost} />`)}
        </div>
      </div>
      ${canPost && html`<${Composer} rid=${rid} tmid=${tmid} label="Reply in thread" sendLabel="Send reply" />`}
    </aside>`;
}
