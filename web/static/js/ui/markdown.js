// Renders a message's `md` AST (Rocket.Chat's message-parser format) as Preact elements:
// every piece of user text becomes a text node, never HTML. Links keep only http(s) and
// mailto addresses; anything else is shown as plain text.
import { html } from './html.js';
import { emojiChar } from '../emoji.js';
import { customEmoji } from '../store.js';

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** The address as a safe link target, or null. Bare hosts ("example.com") get https://. */
export function safeHref(src) {
  if (typeof src !== 'string' || !src) return null;
  const candidate = /^[a-z][a-z0-9+.-]*:/i.test(src) ? src : `https://${src}`;
  try {
    const url = new URL(candidate);
    return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * @param {any[]} blocks the message's `md`
 * @param {{ mentions?: any[], me?: string, channels?: any[] }} context
 */
export function renderMarkdown(blocks, context) {
  if (!Array.isArray(blocks)) return null;
  return blocks.map((b, i) => block(b, context, i));
}

function block(node, ctx, key) {
  switch (node?.type) {
    case 'PARAGRAPH':
      return html`<p key=${key} class="md-p">${inlines(node.value, ctx)}</p>`;
    case 'BIG_EMOJI':
      return html`<p key=${key} class="md-p big-emoji">${inlines(node.value, ctx)}</p>`;
    case 'HEADING': {
      // Headings inside a message are styled text, not document headings: the message list
      // has its own outline.
      return html`<p key=${key} class=${`md-heading md-h${node.level}`}>${inlines(node.value, ctx)}</p>`;
    }
    case 'CODE':
      return html`<pre key=${key} class="md-code"><code>${(node.value || []).map((line, i) =>
        html`${i ? '\n' : ''}${line?.value?.value ?? ''}`)}</code></pre>`;
    case 'QUOTE':
      return html`<blockquote key=${key} class="md-quote">${(node.value || []).map((b, i) => block(b, ctx, i))}</blockquote>`;
    case 'UNORDERED_LIST':
      return html`<ul key=${key} class="md-list">${(node.value || []).map((item, i) =>
        html`<li key=${i}>${inlines(item.value, ctx)}</li>`)}</ul>`;
    case 'ORDERED_LIST':
      return html`<ol key=${key} class="md-list">${(node.value || []).map((item, i) =>
        html`<li key=${i} value=${item.number}>${inlines(item.value, ctx)}</li>`)}</ol>`;
    case 'TASKS':
      return html`<ul key=${key} class="md-tasks">${(node.value || []).map((task, i) =>
        html`<li key=${i}><input type="checkbox" checked=${Boolean(task.status)} disabled aria-label=${task.status ? 'Done' : 'Not done'} /> ${inlines(task.value, ctx)}</li>`)}</ul>`;
    case 'LINE_BREAK':
      return html`<br key=${key} />`;
    case 'KATEX':
      return html`<pre key=${key} class="md-code">${String(node.value ?? '')}</pre>`;
    default:
      return null;
  }
}

function inlines(nodes, ctx) {
  if (!Array.isArray(nodes)) return inline(nodes, ctx, 0);
  return nodes.map((n, i) => inline(n, ctx, i));
}

function inline(node, ctx, key) {
  switch (node?.type) {
    case 'PLAIN_TEXT':
      return String(node.value ?? '');
    case 'BOLD':
      return html`<strong key=${key}>${inlines(node.value, ctx)}</strong>`;
    case 'ITALIC':
      return html`<em key=${key}>${inlines(node.value, ctx)}</em>`;
    case 'STRIKE':
      return html`<del key=${key}>${inlines(node.value, ctx)}</del>`;
    case 'INLINE_CODE':
      return html`<code key=${key} class="md-inline-code">${node.value?.value ?? ''}</code>`;
    case 'INLINE_KATEX':
      return html`<code key=${key}>${String(node.value ?? '')}</code>`;
    case 'LINK': {
      const src = node.value?.src?.value;
      const label = inlines(node.value?.label, ctx);
      const href = safeHref(src);
      if (!href) return html`<span key=${key}>${label}</span>`;
      return html`<a key=${key} href=${href} target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;
    }
    case 'IMAGE': {
      // Images from elsewhere are not loaded (the page's policy allows only this origin):
      // they show as a link.
      const href = safeHref(node.value?.src?.value);
      const label = node.value?.label?.value || href || '';
      return href
        ? html`<a key=${key} href=${href} target="_blank" rel="noopener noreferrer nofollow">${label}</a>`
        : label;
    }
    case 'MENTION_USER': {
      const name = node.value?.value ?? '';
      const isMe = ctx.me && (name === ctx.me || name === 'all' || name === 'here');
      return html`<span key=${key} class=${isMe ? 'mention mention-me' : 'mention'}>@${name}</span>`;
    }
    case 'MENTION_CHANNEL': {
      const name = node.value?.value ?? '';
      return html`<a key=${key} class="mention" href=${`/channel/${encodeURIComponent(name)}`}>#${name}</a>`;
    }
    case 'EMOJI':
      return emoji(node, key);
    case 'COLOR': {
      const { r, g, b, a } = node.value || {};
      return html`<span key=${key} class="md-color">rgba(${r}, ${g}, ${b}, ${a})</span>`;
    }
    case 'TIMESTAMP': {
      const seconds = Number(node.value?.timestamp);
      if (!Number.isFinite(seconds)) return node.fallback?.value ?? '';
      const date = new Date(seconds * 1000);
      return html`<time key=${key} datetime=${date.toISOString()}>${date.toLocaleString()}</time>`;
    }
    default:
      return null;
  }
}

function emoji(node, key) {
  if (node.unicode) return html`<span key=${key} class="emoji">${node.unicode}</span>`;
  return emojiByName(node.value?.value ?? node.shortCode ?? '', key);
}

/** An emoji by shortname: the character, the custom image, or the `:name:` text. */
export function emojiByName(name, key) {
  const char = emojiChar(name);
  if (char) return html`<span key=${key} class="emoji" title=${`:${name}:`}>${char}</span>`;
  const custom = customEmoji.value[name];
  if (custom) {
    return html`<img key=${key} class="emoji custom-emoji" alt=${`:${name}:`} title=${`:${name}:`}
      src=${`/emoji-custom/${encodeURIComponent(custom.name)}.${encodeURIComponent(custom.extension)}`} />`;
  }
  return `:${name}:`;
}
