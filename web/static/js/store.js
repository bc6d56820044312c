// The client's state and the actions that change it. Everything the screens show lives in
// signals here; the screens read them and call the actions. Data comes from the server the
// way Rocket.Chat's web app gets it: REST for lists and files, DDP methods for messages, and
// DDP streams for everything that changes while the page is open.
import { signal, computed, batch } from '../vendor/signals.js';
import { Ddp } from './ddp.js';
import * as api from './api.js';
import { credentials, me } from './session.js';

const HISTORY_PAGE = 50;
const TYPING_TTL_MS = 15000;
/** A busy room marks itself read at most this often: the server allows 10 calls of a
 * method per connection in 10 s (DDP_Rate_Limit_Connection_By_Method). */
const READ_DEBOUNCE_MS = 1200;

export const ddp = new Ddp(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/websocket`);

/** @type {import('../vendor/signals.js').Signal<'connecting' | 'connected' | 'disconnected'>} */
export const connection = signal('connecting');
ddp.statusListeners.add((status) => {
  connection.value = status;
});

/** Public settings by id. */
export const settings = signal(/** @type {Record<string, any>} */ ({}));
/** permission id → role ids holding it */
export const permissions = signal(/** @type {Record<string, string[]>} */ ({}));
/** rid → subscription (the caller's membership: unread counts, favourite, name...) */
export const subscriptions = signal(/** @type {Record<string, any>} */ ({}));
/** rid → room */
export const rooms = signal(/** @type {Record<string, any>} */ ({}));
/** uid → status ('online' | 'away' | 'busy' | 'offline') */
export const presence = signal(/** @type {Record<string, string>} */ ({}));
/** name → custom emoji */
export const customEmoji = signal(/** @type {Record<string, {name: string, extension: string, aliases: string[]}>} */ ({}));
/** The open room's id, or null. */
export const currentRid = signal(/** @type {string | null} */ (null));
/** The open thread: its parent message id and room, or null. */
export const currentThread = signal(/** @type {{ rid: string, tmid: string } | null} */ (null));
/** The id of the message being edited in place, or null. */
export const editingId = signal(/** @type {string | null} */ (null));
/** A message shown to the user for a while (an error of an action). */
export const toast = signal(/** @type {string | null} */ (null));

/** @typedef {{ messages: any[], hasMore: boolean, loading: boolean, loaded: boolean }} RoomMessages */
/** @type {Map<string, import('../vendor/signals.js').Signal<RoomMessages>>} */
const roomMessages = new Map();
/** @type {Map<string, import('../vendor/signals.js').Signal<any[]>>} tmid → replies */
const threadMessages = new Map();
/** rid → username → expiry time */
export const typing = signal(/** @type {Record<string, Record<string, number>>} */ ({}));

export function messagesOf(rid) {
  let s = roomMessages.get(rid);
  if (!s) {
    s = signal({ messages: [], hasMore: true, loading: false, loaded: false });
    roomMessages.set(rid, s);
  }
  return s;
}

export function repliesOf(tmid) {
  let s = threadMessages.get(tmid);
  if (!s) {
    s = signal([]);
    threadMessages.set(tmid, s);
  }
  return s;
}

export function showError(e) {
  toast.value = e?.message || String(e);
  setTimeout(() => {
    if (toast.value === (e?.message || String(e))) toast.value = null;
  }, 6000);
}

// ---------------------------------------------------------------------------------------------
// Rooms, subscriptions and the sidebar

/** Sidebar entries: every open subscription with its room, newest activity first. */
export const sidebar = computed(() => {
  const subs = Object.values(subscriptions.value).filter((s) => s.open !== false);
  const byRid = rooms.value;
  return subs
    .map((sub) => ({ sub, room: byRid[sub.rid] || null }))
    .sort((a, b) => activity(b) - activity(a) || displayName(a.sub).localeCompare(displayName(b.sub)));
});

function activity({ sub, room }) {
  const t = room?.lm || room?._updatedAt || sub.ts || sub._updatedAt;
  return t ? new Date(t).getTime() : 0;
}

/** How a room is called in the interface: a DM by the other user's username. */
export function displayName(sub) {
  return sub?.t === 'd' ? sub.name : sub?.fname || sub?.name || '';
}

/** The path of a room, as Rocket.Chat's web app writes it. */
export function roomPath(sub) {
  if (!sub) return '/home';
  if (sub.t === 'd') return `/direct/${encodeURIComponent(sub.rid)}`;
  return `/${sub.t === 'p' ? 'group' : 'channel'}/${encodeURIComponent(sub.name)}`;
}

function mergeSubscription(sub) {
  subscriptions.value = { ...subscriptions.value, [sub.rid]: { ...subscriptions.value[sub.rid], ...sub } };
}

function removeSubscription(rid) {
  const next = { ...subscriptions.value };
  delete next[rid];
  subscriptions.value = next;
}

function mergeRoom(room) {
  rooms.value = { ...rooms.value, [room._id]: { ...rooms.value[room._id], ...room } };
}

let lastSync = /** @type {Date | null} */ (null);

/** Loads subscriptions and rooms: all of them the first time, what changed since then after. */
async function syncRooms() {
  const since = lastSync;
  const started = new Date();
  const [subs, roomList] = await Promise.all([
    ddp.call('subscriptions/get', ...(since ? [since] : [])),
    ddp.call('rooms/get', ...(since ? [since] : [])),
  ]);
  batch(() => {
    if (since) {
      for (const s of subs.update || []) mergeSubscription(s);
      for (const s of subs.remove || []) removeSubscription(s.rid);
      for (const r of roomList.update || []) mergeRoom(r);
    } else {
      const byRid = {};
      for (const s of subs) byRid[s.rid] = s;
      subscriptions.value = byRid;
      const roomsById = {};
      for (const r of roomList) roomsById[r._id] = r;
      rooms.value = roomsById;
    }
  });
  lastSync = started;
}

async function loadPermissions() {
  const list = await ddp.call('permissions/get');
  /** @type {Record<string, string[]>} */
  const map = {};
  for (const p of list) map[p._id] = p.roles || [];
  permissions.value = map;
}

/** Whether the logged-in user holds a permission, globally or through their roles in `rid`. */
export function can(permission, rid) {
  const roles = permissions.value[permission];
  if (!roles) return false;
  const mine = new Set(me.value?.roles || []);
  const sub = rid ? subscriptions.value[rid] : null;
  for (const r of sub?.roles || []) mine.add(r);
  return roles.some((r) => mine.has(r));
}

async function loadCustomEmoji() {
  const list = await ddp.call('listEmojiCustom');
  /** @type {Record<string, any>} */
  const map = {};
  for (const e of list) {
    map[e.name] = e;
    for (const alias of e.aliases || []) map[alias] = e;
  }
  customEmoji.value = map;
}

let presenceLoadedAt = 0;
/**
 * The current status of the people the sidebar shows a dot for (DM partners); changes arrive
 * on the `user-status` stream after that. At most once a minute: `users.presence` is a REST
 * route under the server's per-address rate limit.
 */
async function loadPresence() {
  const mine = me.value?._id;
  const ids = new Set();
  for (const sub of Object.values(subscriptions.value)) {
    if (sub.t !== 'd') continue;
    for (const uid of rooms.value[sub.rid]?.uids || []) if (uid !== mine) ids.add(uid);
  }
  if (ids.size === 0 || Date.now() - presenceLoadedAt < 60000) return;
  presenceLoadedAt = Date.now();
  try {
    const reply = await api.get('users.presence', { ids: [...ids].join(',') });
    /** @type {Record<string, string>} */
    const map = {};
    for (const u of reply.users || []) map[u._id] = u.status;
    presence.value = { ...presence.value, ...map };
  } catch (e) {
    console.warn('presence:', e);
  }
}

// ---------------------------------------------------------------------------------------------
// Start and stop

let unsubscribers = /** @type {(() => void)[]} */ ([]);

/** Connects anonymously and loads the public settings (the login screen needs some). */
export async function boot() {
  if (!ddp.started) ddp.start(null);
  const list = await ddp.call('public-settings/get');
  const map = {};
  for (const s of list) map[s._id] = s.value;
  settings.value = map;
}

/** After a login: logs the DDP connection in, subscribes to the user's streams, loads data. */
export async function startSession() {
  const creds = credentials.value;
  if (!creds) return;
  ddp.resumeToken = creds.token;
  await ddp.call('login', { resume: creds.token });
  const uid = creds.userId;
  unsubscribers.push(
    ddp.stream('stream-notify-user', `${uid}/subscriptions-changed`, ([action, sub]) => {
      if (action === 'removed') removeSubscription(sub.rid);
      else mergeSubscription(sub);
    }),
    ddp.stream('stream-notify-user', `${uid}/rooms-changed`, ([action, room]) => {
      if (action !== 'removed') mergeRoom(room);
    }),
    ddp.stream('stream-notify-user', `${uid}/message`, ([message]) => {
      // Ephemeral messages from the server (e.g. "not in this room"), shown in their room.
      if (message?.rid && roomMessages.has(message.rid)) addMessages(message.rid, [{ ...message, _ephemeral: true }]);
    }),
    ddp.stream('stream-notify-user', `${uid}/notification`, ([notification]) => notify(notification)),
    ddp.stream('stream-notify-logged', 'user-status', ([entry]) => {
      if (!Array.isArray(entry)) return;
      const [userId, , status] = entry;
      presence.value = { ...presence.value, [userId]: statusName(status) };
      if (userId === uid && me.value) me.value = { ...me.value, status: statusName(status) };
    }),
    ddp.stream('stream-notify-logged', 'updateEmojiCustom', () => loadCustomEmoji().catch(showError)),
    ddp.stream('stream-notify-logged', 'deleteEmojiCustom', () => loadCustomEmoji().catch(showError)),
  );
  ddp.connectedListeners.add(resync);
  await Promise.all([syncRooms(), loadPermissions(), loadCustomEmoji()]);
  loadPresence();
  // A connected user shows the status they chose (statusDefault); /me was read before this
  // connection logged in, so its `status` may still say offline.
  if (me.value?._id) {
    const mine = me.value.statusDefault || 'online';
    me.value = { ...me.value, status: mine };
    presence.value = { ...presence.value, [me.value._id]: mine };
  }
}

export function endSession() {
  for (const stop of unsubscribers) stop();
  unsubscribers = [];
  ddp.connectedListeners.delete(resync);
  ddp.resumeToken = null;
  ddp.call('logout').catch(() => {});
  batch(() => {
    subscriptions.value = {};
    rooms.value = {};
    currentRid.value = null;
    currentThread.value = null;
  });
  roomMessages.clear();
  threadMessages.clear();
  lastSync = null;
  presenceLoadedAt = 0;
}

/** After a reconnect: what changed while the connection was down. */
async function resync() {
  await syncRooms();
  const rid = currentRid.value;
  if (rid) await loadMissed(rid);
  const thread = currentThread.value;
  if (thread) await loadThread(thread.tmid);
  loadPresence();
}

function statusName(n) {
  return typeof n === 'string' ? n : ['offline', 'online', 'away', 'busy'][n] || 'offline';
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Messages whose only place is their thread (not shown in the room's list). */
export function isThreadOnly(m) {
  return Boolean(m.tmid) && !m.tshow;
}

/**
 * Merges messages into a room's list by id (so nothing shows twice), keeping time order.
 * @param {string} rid
 * @param {any[]} incoming
 * @param {{ older?: boolean, hasMore?: boolean }} [options]
 */
function addMessages(rid, incoming, { older = false, hasMore = undefined } = {}) {
  const state = messagesOf(rid);
  const byId = new Map(state.value.messages.map((m) => [m._id, m]));
  for (const m of incoming) {
    if (isThreadOnly(m)) continue;
    // Replaced, not merged: a field the server dropped (the last star, reaction or a pin)
    // must go away here too.
    byId.set(m._id, m);
  }
  const messages = [...byId.values()].sort((a, b) => new Date(a.ts).getTime() - new Date(b.ts).getTime());
  state.value = {
    ...state.value,
    messages,
    hasMore: older && hasMore !== undefined ? hasMore : state.value.hasMore,
  };
}

function removeMessage(rid, id) {
  const state = messagesOf(rid);
  state.value = { ...state.value, messages: state.value.messages.filter((m) => m._id !== id) };
  for (const [tmid, replies] of threadMessages) {
    if (tmid === id) threadMessages.delete(tmid);
    else if (replies.value.some((m) => m._id === id)) replies.value = replies.value.filter((m) => m._id !== id);
  }
}

function onRoomMessage(message) {
  if (!message?.rid) return;
  if (message.tmid) {
    const replies = threadMessages.get(message.tmid);
    if (replies) {
      const list = replies.value.filter((m) => m._id !== message._id);
      list.push(message);
      list.sort((a, b) => new Date(a.ts).getTime() - new Date(b.ts).getTime());
      replies.value = list;
    }
  }
  if (roomMessages.has(message.rid)) addMessages(message.rid, [message]);
  // A message from someone else in the open room, seen while the page is visible, is read.
  if (message.rid === currentRid.value && message.u?._id !== me.value?._id && !document.hidden) markRead(message.rid);
  clearTyping(message.rid, message.u?.username);
}

/** Opens a room: history, its live streams, and marks it read. Returns a function closing it. */
export function openRoom(rid) {
  currentRid.value = rid;
  const stops = [
    ddp.stream('stream-room-messages', rid, ([message]) => onRoomMessage(message)),
    ddp.stream('stream-notify-room', `${rid}/deleteMessage`, ([{ _id }]) => removeMessage(rid, _id)),
    ddp.stream('stream-notify-room', `${rid}/deleteMessageBulk`, () => reloadRoom(rid)),
    ddp.stream('stream-notify-room', `${rid}/user-activity`, ([username, activities]) =>
      setTyping(rid, username, Array.isArray(activities) && activities.includes('user-typing'))),
  ];
  loadOlder(rid).catch(showError);
  markRead(rid);
  return () => {
    for (const stop of stops) stop();
    if (currentRid.value === rid) currentRid.value = null;
    // Without its streams the copy would miss deletions; the next visit loads it afresh.
    roomMessages.delete(rid);
  };
}

async function reloadRoom(rid) {
  messagesOf(rid).value = { messages: [], hasMore: true, loading: false, loaded: false };
  await loadOlder(rid);
}

/** Loads the page of history before the oldest message shown. */
export async function loadOlder(rid) {
  const state = messagesOf(rid);
  if (state.value.loading || !state.value.hasMore) return;
  state.value = { ...state.value, loading: true };
  try {
    const oldest = state.value.messages[0];
    const reply = await ddp.call('loadHistory', rid, oldest ? new Date(oldest.ts) : null, HISTORY_PAGE, null, false);
    const page = reply?.messages || [];
    addMessages(rid, page, { older: true, hasMore: page.length >= HISTORY_PAGE });
  } finally {
    state.value = { ...state.value, loading: false, loaded: true };
  }
}

/** Fills the gap after a reconnect: every message since the newest one shown. */
async function loadMissed(rid) {
  const state = messagesOf(rid);
  const newest = state.value.messages[state.value.messages.length - 1];
  if (!newest) return loadOlder(rid);
  const missed = await ddp.call('loadMissedMessages', rid, new Date(newest.ts));
  if (Array.isArray(missed) && missed.length) addMessages(rid, missed);
}

/** @type {Map<string, number>} rid → pending readMessages timer */
const readTimers = new Map();
/** Marks a room read (debounced per room: a burst of messages makes one call). */
export function markRead(rid) {
  const sub = subscriptions.value[rid];
  if (!sub) return;
  clearTimeout(readTimers.get(rid));
  readTimers.set(rid, window.setTimeout(() => {
    readTimers.delete(rid);
    ddp.call('readMessages', rid).catch((e) => console.warn('readMessages:', e));
  }, READ_DEBOUNCE_MS));
}

export async function sendMessage(rid, text, tmid) {
  const msg = text.trim();
  if (!msg) return;
  stopTyping(rid);
  const message = { _id: randomId(), rid, msg };
  if (tmid) message.tmid = tmid;
  if (msg.startsWith('/') && !msg.startsWith('//')) {
    const [command, ...rest] = msg.slice(1).split(' ');
    const known = await slashCommands();
    if (known.has(command)) {
      await ddp.call('slashCommand', { cmd: command, params: rest.join(' '), msg: message, triggerId: randomId() });
      return;
    }
  }
  const saved = await ddp.call('sendMessage', message);
  if (saved?.rid) onRoomMessage(saved);
}

let commandNames = /** @type {Set<string> | null} */ (null);
async function slashCommands() {
  if (!commandNames) {
    const reply = await api.get('commands.list', { count: 0 });
    commandNames = new Set((reply.commands || []).map((c) => c.command));
  }
  return commandNames;
}

export async function editMessage(message, text) {
  await ddp.call('updateMessage', { _id: message._id, rid: message.rid, msg: text });
}

export async function deleteMessage(message) {
  await ddp.call('deleteMessage', { _id: message._id });
  removeMessage(message.rid, message._id);
}

export async function react(message, name, shouldReact) {
  await ddp.call('setReaction', `:${name}:`, message._id, ...(shouldReact === undefined ? [] : [shouldReact]));
}

export async function setPinned(message, pinned) {
  await ddp.call(pinned ? 'pinMessage' : 'unpinMessage', { _id: message._id, rid: message.rid });
}

export async function setStarred(message, starred) {
  await ddp.call('starMessage', { _id: message._id, rid: message.rid, starred });
}

// ---------------------------------------------------------------------------------------------
// Threads

export async function openThread(rid, tmid) {
  currentThread.value = { rid, tmid };
  await loadThread(tmid);
}

async function loadThread(tmid) {
  const replies = await ddp.call('getThreadMessages', { tmid, limit: 200 });
  const list = (Array.isArray(replies) ? replies : replies?.messages || []).slice();
  list.sort((a, b) => new Date(a.ts).getTime() - new Date(b.ts).getTime());
  repliesOf(tmid).value = list;
}

export async function threadParent(rid, tmid) {
  const inRoom = messagesOf(rid).value.messages.find((m) => m._id === tmid);
  return inRoom || ddp.call('getSingleMessage', tmid);
}

// ---------------------------------------------------------------------------------------------
// Typing

function setTyping(rid, username, active) {
  if (!username || username === me.value?.username) return;
  const room = { ...(typing.value[rid] || {}) };
  if (active) room[username] = Date.now() + TYPING_TTL_MS;
  else delete room[username];
  typing.value = { ...typing.value, [rid]: room };
}

function clearTyping(rid, username) {
  if (username && typing.value[rid]?.[username]) setTyping(rid, username, false);
}

setInterval(() => {
  const now = Date.now();
  let changed = false;
  /** @type {Record<string, Record<string, number>>} */
  const next = {};
  for (const [rid, users] of Object.entries(typing.value)) {
    next[rid] = {};
    for (const [u, until] of Object.entries(users)) {
      if (until > now) next[rid][u] = until;
      else changed = true;
    }
  }
  if (changed) typing.value = next;
}, 2000);

let typingSentAt = 0;
let typingRid = /** @type {string | null} */ (null);
/** Tells the room the user is typing (at most every 4 s). */
export function startTyping(rid, tmid) {
  const now = Date.now();
  if (typingRid === rid && now - typingSentAt < 4000) return;
  typingRid = rid;
  typingSentAt = now;
  const username = me.value?.username;
  ddp.call('stream-notify-room', `${rid}/user-activity`, username, ['user-typing'], tmid ? { tmid } : {}).catch(() => {});
}

export function stopTyping(rid) {
  if (typingRid !== rid) return;
  typingRid = null;
  typingSentAt = 0;
  ddp.call('stream-notify-room', `${rid}/user-activity`, me.value?.username, [], {}).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// Rooms: create, join, favourite; status; notifications

export async function createRoom(name, isPrivate, members, readOnly) {
  const method = isPrivate ? 'createPrivateGroup' : 'createChannel';
  const created = await ddp.call(method, name, members, readOnly);
  await syncRooms();
  return created;
}

export async function createDirect(username) {
  const created = await ddp.call('createDirectMessage', username);
  await syncRooms();
  return created;
}

export async function joinRoom(rid) {
  await ddp.call('joinRoom', rid);
  await syncRooms();
}

export async function toggleFavorite(rid, favorite) {
  await ddp.call('toggleFavorite', rid, favorite);
  mergeSubscription({ rid, f: favorite });
}

export async function setStatus(status) {
  await ddp.call('UserPresence:setDefaultStatus', status);
  if (me.value) me.value = { ...me.value, status, statusDefault: status };
  presence.value = { ...presence.value, [me.value._id]: status };
}

/** Finds a room by the name in the address (`/channel/<name>`), loading it if it is not joined. */
export async function findRoom(kind, nameOrId) {
  const subs = Object.values(subscriptions.value);
  const sub = kind === 'direct'
    ? subs.find((s) => s.rid === nameOrId)
    : subs.find((s) => s.name === nameOrId && (kind === 'group' ? s.t === 'p' : s.t === 'c'));
  if (sub) return { rid: sub.rid, sub, room: rooms.value[sub.rid] };
  if (kind === 'direct') return null;
  const reply = await api.get('rooms.info', { roomName: nameOrId });
  const room = reply.room;
  mergeRoom(room);
  return { rid: room._id, sub: null, room };
}

function notify(notification) {
  if (!notification || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const rid = notification.payload?.rid;
  if (!document.hidden && rid === currentRid.value) return;
  const shown = new Notification(notification.title || 'New message', {
    body: notification.text || '',
    tag: notification.payload?._id,
    icon: notification.payload?.sender?.username ? `/avatar/${encodeURIComponent(notification.payload.sender.username)}` : undefined,
  });
  shown.onclick = () => {
    window.focus();
    const sub = subscriptions.value[rid];
    if (sub) window.dispatchEvent(new CustomEvent('ferrochat:navigate', { detail: roomPath(sub) }));
    shown.close();
  };
}

function randomId() {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';
  const bytes = crypto.getRandomValues(new Uint8Array(17));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
