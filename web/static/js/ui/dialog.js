// A modal dialog on the native <dialog> element: the browser traps focus, Escape closes it,
// and focus returns to where it was.
import { useEffect, useRef } from '../../vendor/preact-hooks.js';
import { html } from './html.js';

let counter = 0;

/**
 * @param {{ title: string, onClose: () => void, children: any, role?: string, className?: string }} props
 */
export function Dialog({ title, onClose, children, role, className }) {
  const ref = useRef(/** @type {HTMLDialogElement} */ (null));
  const id = useRef(`dialog-title-${++counter}`);
  useEffect(() => {
    const dialog = ref.current;
    const opener = /** @type {HTMLElement | null} */ (document.activeElement);
    dialog?.showModal();
    return () => {
      dialog?.close();
      opener?.focus?.();
    };
  }, []);
  return html`
    <dialog ref=${ref} class=${`dialog ${className || ''}`} role=${role} aria-labelledby=${id.current}
      onCancel=${(e) => { e.preventDefault(); onClose(); }}
      onClick=${(e) => { if (e.target === ref.current) onClose(); }}>
      <div class="dialog-body">
        <h2 id=${id.current} class="dialog-title">${title}</h2>
        ${children}
      </div>
    </dialog>`;
}
