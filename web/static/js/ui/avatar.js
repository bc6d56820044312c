// A user's avatar (served by /avatar/<username>) with an optional presence dot. Decorative:
// the name is always next to it.
import { html } from './html.js';

/** @param {{ username?: string, status?: string | null, size?: number }} props */
export function Avatar({ username, status, size = 36 }) {
  return html`
    <span class="avatar" style=${{ width: `${size}px`, height: `${size}px` }}>
      ${username && html`<img src=${`/avatar/${encodeURIComponent(username)}`} alt="" width=${size} height=${size} loading="lazy" />`}
      ${status && html`<span class=${`presence presence-${status}`} title=${status}></span>`}
    </span>`;
}
