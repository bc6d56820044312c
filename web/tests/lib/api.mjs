// A small REST client for the browser tests' set-up: the test creates users and rooms and
// posts messages exactly as any Rocket.Chat client does, through /api/v1.

export class Api {
  /**
   * @param {string} base server URL without trailing slash
   * @param {{userId: string, authToken: string} | null} auth
   */
  constructor(base, auth = null) {
    this.base = base.replace(/\/+$/, '');
    this.auth = auth;
  }

  /** Logs in with `POST /api/v1/login`; returns a client with the user's credentials. */
  async login(user, password) {
    const body = await this.call('POST', '/api/v1/login', { user, password });
    if (body.status !== 'success' || !body.data?.authToken) {
      throw new Error(`login as ${user} failed: ${JSON.stringify(body)}`);
    }
    return new Api(this.base, { userId: body.data.userId, authToken: body.data.authToken });
  }

  /** Sends a request; throws unless the answer is 2xx with `success` not false. */
  async call(method, path, body, query) {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, String(v));
    const headers = {};
    if (this.auth) {
      headers['X-User-Id'] = this.auth.userId;
      headers['X-Auth-Token'] = this.auth.authToken;
    }
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const resp = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(15000) });
    const text = await resp.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    if (!resp.ok || json.success === false) {
      throw new Error(`${method} ${path} → HTTP ${resp.status}: ${text.slice(0, 500)}`);
    }
    return json;
  }

  get(path, query) {
    return this.call('GET', path, undefined, query);
  }

  post(path, body) {
    return this.call('POST', path, body);
  }

  /** Creates a verified user with a password; returns the user object. */
  async createUser(username, password) {
    const body = await this.post('/api/v1/users.create', {
      username,
      password,
      email: `${username}@example.com`,
      name: `User ${username}`,
      verified: true,
    });
    return body.user;
  }

  /** Creates a public channel with these members; returns the room. */
  async createChannel(name, members) {
    const body = await this.post('/api/v1/channels.create', { name, members });
    return body.channel;
  }

  async postMessage(roomId, text, extra = {}) {
    const body = await this.post('/api/v1/chat.postMessage', { roomId, text, ...extra });
    return body.message;
  }

  async setSetting(id, value) {
    return this.post(`/api/v1/settings/${encodeURIComponent(id)}`, { value });
  }
}
