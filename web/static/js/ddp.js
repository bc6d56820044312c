// A DDP client over WebSocket, speaking what Rocket.Chat's own clients speak at /websocket:
// `connect` version 1, method calls, `sub` to streams, pings both ways. It reconnects by
// itself with a growing delay, logs in again with the resume token, subscribes again to
// every stream it had, and then tells its listeners so they can fill the gap.

/** @typedef {{ name: string, params: any[], id: string, ready: boolean }} Sub */
/** @typedef {'connecting' | 'connected' | 'disconnected'} DdpStatus */

/** Turns EJSON dates into Date objects (and nothing else: messages carry no binary). */
export function fromEjson(value) {
  if (Array.isArray(value)) return value.map(fromEjson);
  if (value && typeof value === 'object') {
    if (typeof value.$date === 'number' && Object.keys(value).length === 1) return new Date(value.$date);
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromEjson(v);
    return out;
  }
  return value;
}

/** Turns Date objects into EJSON dates for method parameters. */
export function toEjson(value) {
  if (value instanceof Date) return { $date: value.getTime() };
  if (Array.isArray(value)) return value.map(toEjson);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = toEjson(v);
    return out;
  }
  return value;
}

export class DdpError extends Error {
  /** @param {any} error the `error` object of a DDP `result` or `nosub` */
  constructor(error) {
    super(error?.reason || error?.message || String(error?.error ?? 'error'));
    this.error = error?.error;
    this.details = error?.details;
  }
}

export class Ddp {
  /** @param {string} url ws:// or wss:// address of /websocket */
  constructor(url) {
    this.url = url;
    /** @type {WebSocket | null} */
    this.socket = null;
    /** @type {DdpStatus} */
    this.status = 'disconnected';
    this.nextId = 1;
    /** @type {Map<string, {resolve: (v: any) => void, reject: (e: any) => void}>} */
    this.calls = new Map();
    /** @type {Map<string, Sub>} */
    this.subs = new Map();
    /** @type {Map<string, Set<(args: any[]) => void>>} collection + eventName → handlers */
    this.handlers = new Map();
    /** @type {Set<(status: DdpStatus) => void>} */
    this.statusListeners = new Set();
    /** @type {Set<() => Promise<void> | void>} run after each (re)connect, once logged in */
    this.connectedListeners = new Set();
    /** @type {string | null} */
    this.resumeToken = null;
    this.retries = 0;
    this.closedByUs = false;
    /** Between `start` and `close`: the connection is kept open (reconnecting when dropped). */
    this.started = false;
    this.lastSeen = Date.now();
    this.heartbeat = 0;
    this.retryTimer = 0;
    /** @type {((v: void) => void) | null} */
    this.onConnected = null;
  }

  /** Opens the connection (and keeps it open until `close`). */
  start(resumeToken) {
    this.resumeToken = resumeToken;
    this.closedByUs = false;
    this.started = true;
    this.open();
  }

  close() {
    this.closedByUs = true;
    this.started = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.socket?.close();
    this.socket = null;
    this.subs.clear();
    this.handlers.clear();
    this.setStatus('disconnected');
  }

  /** @param {DdpStatus} status */
  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  open() {
    this.setStatus('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.send({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] });
    };
    socket.onmessage = (event) => {
      this.lastSeen = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      clearInterval(this.heartbeat);
      for (const call of this.calls.values()) call.reject(new DdpError({ error: 'disconnected', reason: 'Connection lost' }));
      this.calls.clear();
      for (const sub of this.subs.values()) sub.ready = false;
      this.setStatus('disconnected');
      if (!this.closedByUs) this.scheduleRetry();
    };
  }

  scheduleRetry() {
    // 0.5 s, 1 s, 2 s ... up to 15 s, with jitter so a restarted server is not hit by every
    // client at the same moment.
    const delay = Math.min(15000, 500 * 2 ** this.retries) * (0.75 + Math.random() / 2);
    this.retries += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.open(), delay);
  }

  /** Reconnects at once (after the browser says it is back online). */
  reconnectNow() {
    if (this.closedByUs || this.status !== 'disconnected') return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  async receive(frame) {
    switch (frame.msg) {
      case 'connected':
        await this.afterConnect();
        break;
      case 'failed':
        this.socket?.close();
        break;
      case 'ping':
        this.send(frame.id ? { msg: 'pong', id: frame.id } : { msg: 'pong' });
        break;
      case 'result': {
        const call = this.calls.get(frame.id);
        if (!call) break;
        this.calls.delete(frame.id);
        if (frame.error) call.reject(new DdpError(frame.error));
        else call.resolve(fromEjson(frame.result));
        break;
      }
      case 'ready':
        for (const id of frame.subs || []) {
          const sub = this.subs.get(id);
          if (sub) sub.ready = true;
        }
        break;
      case 'nosub': {
        const sub = this.subs.get(frame.id);
        if (sub && frame.error) {
          console.warn(`subscription ${sub.name} refused: ${frame.error.reason || frame.error.error}`);
          this.subs.delete(frame.id);
        }
        break;
      }
      case 'changed': {
        const eventName = frame.fields?.eventName;
        const set = this.handlers.get(`${frame.collection}|${eventName}`);
        if (set) {
          const args = fromEjson(frame.fields.args || []);
          for (const handler of set) handler(args);
        }
        break;
      }
      default:
        break;
    }
  }

  async afterConnect() {
    this.retries = 0;
    clearInterval(this.heartbeat);
    this.heartbeat = window.setInterval(() => {
      // A half-open connection (a sleeping laptop, a dropped network) shows as silence.
      if (Date.now() - this.lastSeen > 70000) this.socket?.close();
      else if (Date.now() - this.lastSeen > 30000) this.send({ msg: 'ping' });
    }, 10000);
    if (this.resumeToken) {
      try {
        await this.callNow('login', [{ resume: this.resumeToken }]);
      } catch (e) {
        if (e.error === 403 || e.error === '403') {
          this.resumeToken = null;
          window.dispatchEvent(new CustomEvent('ferrochat:session-expired'));
          this.close();
          return;
        }
        this.socket?.close();
        return;
      }
    }
    for (const sub of this.subs.values()) this.send({ msg: 'sub', id: sub.id, name: sub.name, params: sub.params });
    this.setStatus('connected');
    for (const listener of this.connectedListeners) {
      try {
        await listener();
      } catch (e) {
        console.warn('after reconnect:', e);
      }
    }
  }

  /** Sends a method call on the open connection. */
  callNow(method, params) {
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      if (this.socket?.readyState !== WebSocket.OPEN) {
        reject(new DdpError({ error: 'disconnected', reason: 'Not connected' }));
        return;
      }
      this.calls.set(id, { resolve, reject });
      this.send({ msg: 'method', id, method, params: toEjson(params) });
    });
  }

  /** Calls a method, waiting (up to 20 s) for the connection if it is being re-established. */
  async call(method, ...params) {
    if (this.status !== 'connected') await this.waitConnected(20000);
    return this.callNow(method, params);
  }

  waitConnected(timeoutMs) {
    if (this.status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.statusListeners.delete(listener);
        reject(new DdpError({ error: 'disconnected', reason: 'Not connected' }));
      }, timeoutMs);
      const listener = (status) => {
        if (status !== 'connected') return;
        clearTimeout(timer);
        this.statusListeners.delete(listener);
        resolve();
      };
      this.statusListeners.add(listener);
    });
  }

  /**
   * Subscribes to one event of a stream; returns the function that stops it.
   * @param {string} stream e.g. 'stream-room-messages'
   * @param {string} eventName e.g. a room id, or '<uid>/subscriptions-changed'
   * @param {(args: any[]) => void} handler
   */
  stream(stream, eventName, handler) {
    const key = `${stream}|${eventName}`;
    let set = this.handlers.get(key);
    let subId = null;
    if (!set) {
      set = new Set();
      this.handlers.set(key, set);
      subId = `s${this.nextId++}`;
      const sub = { name: stream, params: [eventName, { useCollection: false, args: [] }], id: subId, ready: false };
      this.subs.set(subId, sub);
      if (this.status === 'connected') this.send({ msg: 'sub', id: subId, name: sub.name, params: sub.params });
    }
    set.add(handler);
    return () => {
      const current = this.handlers.get(key);
      if (!current) return;
      current.delete(handler);
      if (current.size > 0) return;
      this.handlers.delete(key);
      for (const [id, sub] of this.subs) {
        if (sub.name === stream && sub.params[0] === eventName) {
          this.subs.delete(id);
          this.send({ msg: 'unsub', id });
        }
      }
    };
  }
}
