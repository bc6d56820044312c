// The entry point: restores the login, connects, and shows the screen the address names.
import { render } from '../vendor/preact.js';
import { useState, useEffect } from '../vendor/preact-hooks.js';
import { html } from './ui/html.js';
import { Login, Register } from './ui/login.js';
import { Sidebar } from './ui/sidebar.js';
import { RoomView } from './ui/room.js';
import * as session from './session.js';
import {
  boot, startSession, endSession, connection, toast, findRoom, openThread, currentThread, settings, ddp, showError,
} from './store.js';
import { path, parse, navigate } from './router.js';
import './theme.js';

function App() {
  const [phase, setPhase] = useState(/** @type {'booting' | 'anonymous' | 'ready' | 'failed'} */ ('booting'));

  async function enter() {
    try {
      await startSession();
      setPhase('ready');
      const route = parse(path.value);
      if (route.screen === 'login' || route.screen === 'register') navigate('/home', { replace: true });
    } catch (e) {
      showError(e);
      session.forget();
      setPhase('anonymous');
    }
  }

  useEffect(() => {
    let retry = 0;
    const start = async () => {
      try {
        await boot();
        if (await session.restore()) await enter();
        else setPhase('anonymous');
      } catch (e) {
        // The server is down or restarting: say so and try again, without a reload.
        console.warn('start:', e);
        setPhase('failed');
        retry = window.setTimeout(start, 3000);
      }
    };
    start();
    const expired = () => {
      endSession();
      session.forget();
      setPhase('anonymous');
      navigate('/login');
    };
    window.addEventListener('ferrochat:session-expired', expired);
    window.addEventListener('ferrochat:unauthorized', expired);
    const online = () => ddp.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('ferrochat:session-expired', expired);
      window.removeEventListener('ferrochat:unauthorized', expired);
      window.removeEventListener('online', online);
      clearTimeout(retry);
    };
  }, []);

  useEffect(() => {
    document.title = settings.value.Site_Name || 'Ferrochat';
  }, [settings.value.Site_Name]);

  const route = parse(path.value);
  if (phase === 'booting') return html`<main class="splash" id="main"><p role="status">Connecting…</p></main>`;
  if (phase === 'failed') {
    return html`<main class="splash" id="main"><p role="alert">The server cannot be reached. Trying again…</p></main>`;
  }
  if (phase === 'anonymous') {
    return route.screen === 'register'
      ? html`<${Register} onLoggedIn=${enter} />`
      : html`<${Login} onLoggedIn=${enter} />`;
  }
  return html`<${Shell} route=${route} onLogout=${() => { endSession(); setPhase('anonymous'); navigate('/login'); }} />`;
}

function Shell({ route, onLogout }) {
  const inRoom = route.screen === 'room';
  return html`
    <div class=${`shell${inRoom ? ' in-room' : ''}`}>
      <a class="skip-link" href="#main">Skip to the room</a>
      <${Sidebar} onLogout=${onLogout} />
      <main id="main" class="main" tabindex="-1">
        ${inRoom
          ? html`<${RoomRoute} key=${`${route.kind}/${route.name}`} kind=${route.kind} name=${route.name} tmid=${route.tmid} />`
          : html`<${Home} />`}
      </main>
      <${ConnectionBanner} />
      ${toast.value && html`<div class="toast" role="alert">${toast.value}</div>`}
    </div>`;
}

function Home() {
  return html`
    <section class="home" aria-labelledby="home-title">
      <h1 id="home-title">Welcome to ${settings.value.Site_Name || 'Ferrochat'}</h1>
      <p>Pick a room on the left, or create one.</p>
    </section>`;
}

function RoomRoute({ kind, name, tmid }) {
  const [found, setFound] = useState(/** @type {{ rid: string, room: any } | null | undefined} */ (undefined));
  useEffect(() => {
    let cancelled = false;
    findRoom(kind, name)
      .then((r) => {
        if (cancelled) return;
        setFound(r);
        if (r && tmid) openThread(r.rid, tmid).catch(showError);
        else if (currentThread.value && currentThread.value.rid !== r?.rid) currentThread.value = null;
      })
      .catch(() => { if (!cancelled) setFound(null); });
    return () => { cancelled = true; };
  }, [kind, name]);
  if (found === undefined) return html`<p class="loading" role="status">Opening the room…</p>`;
  if (found === null) {
    return html`
      <section class="home" aria-labelledby="missing-title">
        <h1 id="missing-title">Room not found</h1>
        <p>The room does not exist, or you may not see it.</p>
      </section>`;
  }
  return html`<${RoomView} rid=${found.rid} room=${found.room} />`;
}

function ConnectionBanner() {
  const status = connection.value;
  return html`
    <div class=${`connection-banner${status === 'connected' ? ' hidden' : ''}`} role="status">
      ${status === 'connected' ? '' : 'Reconnecting to the server…'}
    </div>`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
