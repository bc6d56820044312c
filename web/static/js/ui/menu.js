// A menu button (WAI-ARIA menu pattern): the button opens a list of items, arrow keys move
// between them, Escape closes and gives focus back to the button.
import { useState, useRef, useEffect } from '../../vendor/preact-hooks.js';
import { html } from './html.js';

/**
 * @typedef {{ label: string, onSelect: () => void, checked?: boolean, radio?: boolean, danger?: boolean }} MenuItem
 * @param {{ label: string, buttonContent: any, items: MenuItem[], className?: string }} props
 */
export function MenuButton({ label, buttonContent, items, className }) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef(/** @type {HTMLButtonElement} */ (null));
  const menuRef = useRef(/** @type {HTMLUListElement} */ (null));

  useEffect(() => {
    if (!open) return undefined;
    const first = /** @type {HTMLElement | null} */ (menuRef.current?.querySelector('[role^="menuitem"]'));
    first?.focus();
    const onDocClick = (e) => {
      if (!menuRef.current?.contains(e.target) && !buttonRef.current?.contains(e.target)) setOpen(false);
    };
    document.addEventListener('mousedown', onDocClick);
    return () => document.removeEventListener('mousedown', onDocClick);
  }, [open]);

  function onKeyDown(e) {
    const entries = /** @type {HTMLElement[]} */ ([...(menuRef.current?.querySelectorAll('[role^="menuitem"]') || [])]);
    const index = entries.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      entries[(index + 1) % entries.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      entries[(index - 1 + entries.length) % entries.length]?.focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      entries[0]?.focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      entries[entries.length - 1]?.focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') e.preventDefault();
      setOpen(false);
      buttonRef.current?.focus();
    }
  }

  function select(item) {
    setOpen(false);
    buttonRef.current?.focus();
    item.onSelect();
  }

  return html`
    <div class=${`menu-wrap ${className || ''}`}>
      <button ref=${buttonRef} type="button" class="icon-button" aria-label=${label} aria-haspopup="menu" aria-expanded=${open}
        onClick=${() => setOpen(!open)}>${buttonContent}</button>
      ${open && html`
        <ul ref=${menuRef} class="menu" role="menu" aria-label=${label} onKeyDown=${onKeyDown}>
          ${items.map((item) => html`
            <li key=${item.label} role=${item.radio ? 'menuitemradio' : 'menuitem'} tabindex="-1"
              aria-checked=${item.radio ? Boolean(item.checked) : undefined}
              class=${item.danger ? 'danger' : ''}
              onClick=${() => select(item)}
              onKeyDown=${(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(item); } }}>
              ${item.radio && html`<span class="check-mark" aria-hidden="true">${item.checked ? '✓' : ''}</span>`}${item.label}
            </li>`)}
        </ul>`}
    </div>`;
}
