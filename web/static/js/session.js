// Who is logged in: the login token kept where Rocket.Chat's web app keeps it (localStorage
// `Meteor.loginToken` / `Meteor.userId`), the rc_uid / rc_token cookies that let the browser
// fetch files and avatars, and the REST calls that log in, register and log out.
import { signal } from '../vendor/signals.js';
import * as api from './api.js';

const TOKEN_KEY = 'Meteor.loginToken';
const USER_KEY = 'Meteor.userId';

/** @typedef {{ _id: string, username: string, name?: string, status?: string, statusDefault?: string, statusText?: string, roles?: string[], avatarETag?: string }} Me */

/** @type {import('../vendor/signals.js').Signal<{ userId: string, token: string } | null>} */
export const credentials = signal(null);
/** @type {import('../vendor/signals.js').Signal<Me | null>} */
export const me = signal(null);

function setCookie(name, value, maxAgeSeconds) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAgeSeconds}; SameSite=Strict${secure}`;
}

function remember(userId, token) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, userId);
  // Cookies for what the browser loads by itself (file downloads, avatars); 90 days, the
  // default lifetime of a Rocket.Chat login token.
  setCookie('rc_uid', userId, 90 * 86400);
  setCookie('rc_token', token, 90 * 86400);
  api.setCredentials({ userId, token });
  credentials.value = { userId, token };
}

export function forget() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  setCookie('rc_uid', '', 0);
  setCookie('rc_token', '', 0);
  api.setCredentials(null);
  credentials.value = null;
  me.value = null;
}

/** Restores a stored login; false when there is none or the server no longer accepts it. */
export async function restore() {
  const token = localStorage.getItem(TOKEN_KEY);
  const userId = localStorage.getItem(USER_KEY);
  if (!token || !userId) return false;
  api.setCredentials({ userId, token });
  try {
    me.value = await api.get('me');
  } catch (e) {
    if (e instanceof api.ApiError && (e.status === 401 || e.status === 403)) {
      forget();
      return false;
    }
    throw e;
  }
  remember(userId, token);
  return true;
}

/**
 * Logs in with a password (and the second factor, when the server asked for one).
 * Throws an ApiError; `errorType` 'totp-required' / 'totp-invalid' asks for a code.
 */
export async function login(user, password, code) {
  const body = { user, password };
  if (code) body.code = code;
  const reply = await api.post('login', body);
  const { userId, authToken } = reply.data;
  remember(userId, authToken);
  me.value = reply.data.me;
}

export async function register({ name, username, email, password }) {
  await api.post('users.register', { name, username, email, pass: password });
  await login(username, password);
}

export async function logout() {
  try {
    await api.post('logout');
  } catch {
    // The token is forgotten here whatever the server said.
  }
  forget();
}
