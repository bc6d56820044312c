// A generic DDP client (npm `simpleddp` on `ws`, DDP version "1") logs in with a password
// digest, subscribes to stream-room-messages for one room, posts a message over REST with the
// credentials of its DDP login, and must receive that message on the stream.
//
// Env: FERROCHAT_URL (http://host:port), FERROCHAT_USER, FERROCHAT_PASSWORD, FERROCHAT_ROOM_ID.
'use strict';

const SimpleDDP = require('simpleddp');
const WebSocket = require('ws');
const { env, sha256, log, watchdog, within, until, restPost, run } = require('./lib');

watchdog(30);

run(async () => {
  const url = env('FERROCHAT_URL');
  const username = env('FERROCHAT_USER');
  const password = env('FERROCHAT_PASSWORD');
  const rid = env('FERROCHAT_ROOM_ID');
  const endpoint = `${url.replace(/^http/, 'ws')}/websocket`;

  const server = new SimpleDDP({
    endpoint,
    SocketConstructor: WebSocket,
    autoReconnect: false,
    maxTimeout: 10000,
  });
  const frames = [];
  server.on('changed', (m) => frames.push(m));
  server.on('error', (e) => log('ddp error', e));
  await within(`connecting to ${endpoint}`, server.connect());
  log('connected');

  const login = await server.call('login', {
    user: { username },
    password: { digest: sha256(password), algorithm: 'sha-256' },
  });
  log('logged in', JSON.stringify(login));
  if (typeof login.id !== 'string' || typeof login.token !== 'string') {
    throw new Error(`login result without id/token: ${JSON.stringify(login)}`);
  }
  // simpleddp parses EJSON, so tokenExpires arrives as a Date.
  if (!(login.tokenExpires instanceof Date) || Number.isNaN(login.tokenExpires.getTime())) {
    throw new Error(`login result without an EJSON tokenExpires: ${JSON.stringify(login)}`);
  }

  const sub = server.subscribe('stream-room-messages', rid, { useCollection: false, args: [] });
  await within('the subscription to become ready', sub.ready());
  log('subscribed to stream-room-messages', rid);

  const text = `hello from simpleddp ${Date.now()}`;
  const posted = await restPost(url, 'chat.postMessage', { roomId: rid, text }, {
    userId: login.id,
    token: login.token,
  });
  log('posted over REST', posted.message && posted.message._id);

  const frame = await until(
    `the message on stream-room-messages/${rid}`,
    () => frames.find(
      (m) => m.collection === 'stream-room-messages'
        && m.fields && m.fields.eventName === rid
        && Array.isArray(m.fields.args) && m.fields.args[0] && m.fields.args[0].msg === text,
    ),
    10000,
  );
  const message = frame.fields.args[0];
  log('received', JSON.stringify(frame));
  if (message._id !== posted.message._id) {
    throw new Error(`streamed _id ${message._id} differs from the posted ${posted.message._id}`);
  }
  if (message.rid !== rid || !message.u || message.u.username !== username) {
    throw new Error(`unexpected rid/u in ${JSON.stringify(message)}`);
  }
  if (!(message.ts instanceof Date)) {
    throw new Error(`ts is not an EJSON date: ${JSON.stringify(message)}`);
  }

  await within('unsubscribing', sub.stop());
  await server.call('logout');
  await server.disconnect();
});
