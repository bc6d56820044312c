// The address bar as a signal: Rocket.Chat's paths (/home, /channel/<name>, /group/<name>,
// /direct/<rid>, each with an optional /thread/<tmid>), so links and reloads land in place.
import { signal } from '../vendor/signals.js';

export const path = signal(location.pathname);

/** @param {string} to */
export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.value = to;
}

window.addEventListener('popstate', () => {
  path.value = location.pathname;
});
window.addEventListener('ferrochat:navigate', (e) => navigate(/** @type {CustomEvent} */ (e).detail));

/**
 * What a path names.
 * @returns {{ screen: 'login' | 'register' | 'home' | 'room', kind?: 'channel' | 'group' | 'direct', name?: string, tmid?: string }}
 */
export function parse(p) {
  const parts = p.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (parts[0] === 'login') return { screen: 'login' };
  if (parts[0] === 'register') return { screen: 'register' };
  if ((parts[0] === 'channel' || parts[0] === 'group' || parts[0] === 'direct') && parts[1]) {
    return { screen: 'room', kind: parts[0], name: parts[1], tmid: parts[2] === 'thread' ? parts[3] : undefined };
  }
  return { screen: 'home' };
}
