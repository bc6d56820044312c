// Light and dark themes: the system's choice until the user picks one, remembered per browser.
import { signal } from '../vendor/signals.js';

const KEY = 'ferrochat.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

function resolve(choice) {
  return choice === 'dark' || choice === 'light' ? choice : media.matches ? 'dark' : 'light';
}

export const theme = signal(resolve(localStorage.getItem(KEY)));

function apply() {
  document.documentElement.dataset.theme = theme.value;
}
apply();
media.addEventListener('change', () => {
  if (!localStorage.getItem(KEY)) {
    theme.value = resolve(null);
    apply();
  }
});

export function toggleTheme() {
  theme.value = theme.value === 'dark' ? 'light' : 'dark';
  localStorage.setItem(KEY, theme.value);
  apply();
}
