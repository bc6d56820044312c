// The sidebar: the user's menu, room actions, and the list of rooms with their unread and
// mention badges (kept current by the subscriptions-changed stream).
import { useState, useRef } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import { MenuButton } from './menu.js';
import { Avatar } from './avatar.js';
import { Icon } from './icons.js';
import { CreateRoomDialog, DirectMessageDialog, DirectoryDialog } from './dialogs.js';
import { sidebar, displayName, roomPath, currentRid, presence, setStatus, showError, rooms } from '../store.js';
import { me, logout } from '../session.js';
import { navigate } from '../router.js';
import { theme, toggleTheme } from '../theme.js';
import * as api from '../api.js';

const STATUSES = [
  ['online', 'Online'],
  ['away', 'Away'],
  ['busy', 'Busy'],
  ['offline', 'Offline'],
];

/** @param {{ onLogout: () => void }} props */
export function Sidebar({ onLogout }) {
  const [dialog, setDialog] = useState(/** @type {string | null} */ (null));
  const [avatarVersion, setAvatarVersion] = useState(0);
  const avatarInput = useRef(/** @type {HTMLInputElement} */ (null));
  const user = me.value;
  const status = presence.value[user?._id] || user?.status || 'online';
  const entries = sidebar.value;
  const favorites = entries.filter((e) => e.sub.f);
  const channels = entries.filter((e) => !e.sub.f && e.sub.t !== 'd');
  const directs = entries.filter((e) => !e.sub.f && e.sub.t === 'd');

  const menuItems = [
    ...STATUSES.map(([value, label]) => ({
      label,
      radio: true,
      checked: status === value,
      onSelect: () => setStatus(value).catch(showError),
    })),
    { label: 'Change avatar', onSelect: () => avatarInput.current?.click() },
    { label: theme.value === 'dark' ? 'Light theme' : 'Dark theme', onSelect: toggleTheme },
    ...(typeof Notification !== 'undefined' && Notification.permission === 'default'
      ? [{ label: 'Enable notifications', onSelect: () => Notification.requestPermission() }]
      : []),
    { label: 'Log out', danger: true, onSelect: async () => { await logout(); onLogout(); } },
  ];

  return html`
    <aside class="sidebar" aria-label="Sidebar">
      <header class="sidebar-header">
        <div class="me">
          <${Avatar} key=${avatarVersion} username=${user?.username} status=${status} size=${32} version=${avatarVersion} />
          <input ref=${avatarInput} type="file" accept="image/*" class="visually-hidden" tabindex="-1" aria-label="Avatar image"
            onChange=${async (e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (!file) return;
              const form = new FormData();
              form.append('image', file, file.name);
              try {
                await api.postForm('users.setAvatar', form);
                setAvatarVersion(avatarVersion + 1);
              } catch (err) {
                showError(err);
              }
            }} />
          <span class="me-name">${user?.username}</span>
        </div>
        <${MenuButton} label="User menu" className="user-menu" buttonContent=${html`<${Icon} name="more" />`} items=${menuItems} />
      </header>
      <div class="sidebar-actions">
        <button type="button" class="icon-button" aria-label="Create room" title="Create room" onClick=${() => setDialog('create')}><${Icon} name="plus" /></button>
        <button type="button" class="icon-button" aria-label="Direct message" title="Direct message" onClick=${() => setDialog('dm')}><${Icon} name="at" /></button>
        <button type="button" class="icon-button" aria-label="Directory" title="Directory" onClick=${() => setDialog('directory')}><${Icon} name="search" /></button>
      </div>
      <nav class="room-list" aria-label="Rooms">
        ${favorites.length > 0 && html`<${Section} title="Favorites" entries=${favorites} />`}
        <${Section} title="Channels" entries=${channels} />
        <${Section} title="Direct messages" entries=${directs} />
      </nav>
      ${dialog === 'create' && html`<${CreateRoomDialog} onClose=${() => setDialog(null)} />`}
      ${dialog === 'dm' && html`<${DirectMessageDialog} onClose=${() => setDialog(null)} />`}
      ${dialog === 'directory' && html`<${DirectoryDialog} onClose=${() => setDialog(null)} />`}
    </aside>`;
}

function Section({ title, entries }) {
  const id = `section-${title.replace(/\s+/g, '-').toLowerCase()}`;
  return html`
    <section class="room-section" aria-labelledby=${id}>
      <h2 id=${id} class="section-title">${title}</h2>
      ${entries.length === 0
        ? html`<p class="empty">None yet</p>`
        : html`<ul>${entries.map((e) => html`<${RoomLink} key=${e.sub.rid} sub=${e.sub} />`)}</ul>`}
    </section>`;
}

function RoomLink({ sub }) {
  const name = displayName(sub);
  const unread = Number(sub.unread || 0);
  const mentions = Number(sub.userMentions || 0) + Number(sub.groupMentions || 0);
  const active = currentRid.value === sub.rid;
  const bold = unread > 0 || sub.alert;
  const href = roomPath(sub);
  const badgeId = `badge-${sub.rid}`;
  let icon = sub.t === 'p' ? 'lock' : 'hash';
  let status = null;
  if (sub.t === 'd') {
    const room = rooms.value[sub.rid];
    const other = (room?.uids || []).find((u) => u !== me.value?._id);
    status = presence.value[other] || 'offline';
    icon = null;
  }
  const description = [
    status ? status : '',
    unread > 0 ? `${unread} unread` : '',
    mentions > 0 ? `${mentions} mention${mentions === 1 ? '' : 's'}` : '',
  ].filter(Boolean).join(', ');
  return html`
    <li>
      <a href=${href} class=${`room-link${active ? ' active' : ''}${bold ? ' unread' : ''}`}
        aria-current=${active ? 'page' : undefined}
        aria-describedby=${description ? badgeId : undefined}
        data-rid=${sub.rid} data-unread=${unread} data-mentions=${mentions}
        onClick=${(e) => { e.preventDefault(); navigate(href); }}>
        ${icon !== null
          ? html`<span class="room-icon"><${Icon} name=${icon} size=${16} /></span>`
          : html`<${Avatar} username=${sub.name} status=${status} size=${20} />`}
        <span class="room-name">${name}</span>
        ${mentions > 0 && html`<span class="badge mention-badge" aria-hidden="true">@</span>`}
        ${unread > 0 && html`<span class="badge" aria-hidden="true">${unread}</span>`}
      </a>
      ${description && html`<span id=${badgeId} class="visually-hidden">${description}</span>`}
    </li>`;
}
