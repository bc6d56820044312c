// The login and registration screens.
import { useState, useRef, useEffect } from '../../vendor/preact-hooks.js';
import { html } from './html.js';
import * as session from '../session.js';
import { settings } from '../store.js';
import { navigate } from '../router.js';
import { useSubmit } from './forms.js';

function siteName() {
  return settings.value.Site_Name || 'Ferrochat';
}

/** @param {{ onLoggedIn: () => void }} props */
export function Login({ onLoggedIn }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const codeRef = useRef(/** @type {HTMLInputElement} */ (null));

  useEffect(() => {
    if (needsCode) codeRef.current?.focus();
  }, [needsCode]);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await session.login(user.trim(), password, needsCode ? code.trim() : undefined);
      onLoggedIn();
    } catch (err) {
      if (err.errorType === 'totp-required' || err.body?.error === 'totp-required') {
        setNeedsCode(err.details?.method || 'totp');
      } else if (err.errorType === 'totp-invalid' || err.body?.error === 'totp-invalid') {
        setError('The code is not valid. Try again.');
      } else if (err.status === 401 || err.status === 403) {
        setError('Wrong username, email or password.');
      } else {
        setError(err.message || 'Could not log in.');
      }
    } finally {
      setBusy(false);
    }
  }

  const registration = settings.value.Accounts_RegistrationForm !== 'Disabled';
  return html`
    <main class="auth" id="main">
      <form class="auth-card" onSubmit=${submit} aria-labelledby="auth-title">
        <h1 id="auth-title">${needsCode ? 'Two-factor authentication' : `Log in to ${siteName()}`}</h1>
        ${!needsCode && html`
          <label>Username or email
            <input name="username" autocomplete="username" required value=${user}
              onInput=${(e) => setUser(e.currentTarget.value)} autofocus />
          </label>
          <label>Password
            <input name="password" type="password" autocomplete="current-password" required value=${password}
              onInput=${(e) => setPassword(e.currentTarget.value)} />
          </label>`}
        ${needsCode && html`
          <p>${needsCode === 'email' ? 'Enter the code sent to your email.' : 'Enter the code from your authenticator app.'}</p>
          <label>Two-factor code
            <input ref=${codeRef} name="code" inputmode="numeric" autocomplete="one-time-code" required value=${code}
              onInput=${(e) => setCode(e.currentTarget.value)} />
          </label>`}
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" class="primary" disabled=${busy}>${needsCode ? 'Verify' : 'Log in'}</button>
        ${!needsCode && registration && html`
          <p class="auth-switch">New here? <a href="/register" onClick=${(e) => { e.preventDefault(); navigate('/register'); }}>Create an account</a></p>`}
      </form>
    </main>`;
}

/** @param {{ onLoggedIn: () => void }} props */
export function Register({ onLoggedIn }) {
  const [fields, setFields] = useState({ name: '', username: '', email: '', password: '' });
  const set = (key) => (e) => setFields({ ...fields, [key]: e.currentTarget.value });
  const { busy, error, onSubmit } = useSubmit(async () => {
    await session.register({ ...fields, name: fields.name.trim(), username: fields.username.trim(), email: fields.email.trim() });
    onLoggedIn();
  });

  return html`
    <main class="auth" id="main">
      <form class="auth-card" onSubmit=${onSubmit} aria-labelledby="auth-title">
        <h1 id="auth-title">Create an account</h1>
        <label>Name <input name="name" autocomplete="name" required value=${fields.name} onInput=${set('name')} autofocus /></label>
        <label>Username <input name="username" autocomplete="username" required value=${fields.username} onInput=${set('username')} /></label>
        <label>Email <input name="email" type="email" autocomplete="email" required value=${fields.email} onInput=${set('email')} /></label>
        <label>Password <input name="password" type="password" autocomplete="new-password" required value=${fields.password} onInput=${set('password')} /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" class="primary" disabled=${busy}>Create account</button>
        <p class="auth-switch">Already have an account? <a href="/login" onClick=${(e) => { e.preventDefault(); navigate('/login'); }}>Log in</a></p>
      </form>
    </main>`;
}
