// Loading data for a component: the latest answer for the current inputs, or the error.
import { useState, useEffect } from '../../vendor/preact-hooks.js';

/**
 * Runs `load` whenever `deps` change (after `delayMs`, so typing makes one request) and
 * keeps what the latest run answered; answers of runs whose inputs have changed since are
 * dropped. `load` null means nothing to load: the value is null at once. The previous value
 * stays until the next answer arrives.
 * @template T
 * @param {(() => Promise<T>) | null} load
 * @param {any[]} deps
 * @param {number} [delayMs]
 * @returns {{ value: T | null, error: string }}
 */
export function useLoad(load, deps, delayMs = 0) {
  const [value, setValue] = useState(/** @type {T | null} */ (null));
  const [error, setError] = useState('');
  useEffect(() => {
    if (!load) {
      setValue(null);
      return undefined;
    }
    let current = true;
    const timer = setTimeout(() => {
      load()
        .then((answer) => {
          if (!current) return;
          setValue(answer);
          setError('');
        })
        .catch((e) => {
          if (current) setError(e?.message || String(e));
        });
    }, delayMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, deps);
  return { value, error };
}
