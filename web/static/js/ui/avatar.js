// A user's avatar (served by /avatar/<username>) with an optional presence dot. Decorative:
// the name is always next to it.
import { html } from './html.js';

/** @param {{ username?: string, status?: string | null, size?: number, version?: number }} props */
export function Avatar({ username, status, size = 36, version = 0 }) {
  // `version` changes the address after the user changes their avatar, so it is fetched anew.
  const src = `/avatar/${encodeURIComponent(username || '')}${version ? `?v=${version}` : ''}`;
  return html`
    <span class="avatar" style=${{ width: `${size}px`, height: `${size}px` }}>
      ${username && html`<img src=${src} alt="" width=${size} height=${size} loading="lazy" />`}
      ${status && html`<span class=${`presence presence-${status}`} title=${status} aria-hidden="true"></span>`}
    </span>`;
}
