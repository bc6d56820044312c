// Form submission with a busy flag and an error message to show.
import { useState } from '../../vendor/preact-hooks.js';

/**
 * @param {() => Promise<void>} action what the form does; its error's message is shown
 * @returns {{ busy: boolean, error: string, onSubmit: (e: Event) => Promise<void> }}
 */
export function useSubmit(action) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (err) {
      setError(err?.message || String(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, onSubmit };
}
