// htm bound to Preact: tagged templates instead of JSX, so the client needs no build step.
import htm from '../../vendor/htm.js';
import { h } from '../../vendor/preact.js';

export const html = htm.bind(h);
