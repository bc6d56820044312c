// The official modern client, @rocket.chat/ddp-client 1.1.2 (DDPSDK, DDP "1"): connects, logs in
// with a password digest (account.loginWithPassword takes the sha-256 hex), streams
// room-messages for one room, posts a message through its own REST client (sdk.rest, with the
// credentials of the DDP login) and must receive it on the stream.
//
// Env: FERROCHAT_URL, FERROCHAT_USER, FERROCHAT_PASSWORD, FERROCHAT_ROOM_ID.
'use strict';

// Node 20 has no global WebSocket; the SDK looks it up when the connection is created.
globalThis.WebSocket = require('ws');

const { DDPSDK } = require('@rocket.chat/ddp-client');
const { env, sha256, log, watchdog, within, until, run } = require('./lib');

watchdog(30);

run(async () => {
  const url = env('FERROCHAT_URL');
  const username = env('FERROCHAT_USER');
  const password = env('FERROCHAT_PASSWORD');
  const rid = env('FERROCHAT_ROOM_ID');

  const sdk = await within(`connecting to ${url}`, DDPSDK.createAndConnect(url));
  log('connected, session', sdk.connection.session);

  await within('login', sdk.account.loginWithPassword(username, sha256(password)));
  const uid = sdk.account.uid;
  const token = sdk.account.user && sdk.account.user.token;
  log('logged in', uid);
  if (!uid || !token) {
    throw new Error(`no credentials after login: ${JSON.stringify(sdk.account.user)}`);
  }
  const expires = sdk.account.user.tokenExpires;
  if (!(expires instanceof Date) || Number.isNaN(expires.getTime()) || expires.getTime() < Date.now()) {
    throw new Error(`tokenExpires is not a future date: ${expires}`);
  }

  const received = [];
  const stream = sdk.stream('room-messages', rid, (...args) => received.push(args));
  await within('the room-messages stream to become ready', stream.ready());
  log('streaming room-messages', rid);

  const text = `hello from @rocket.chat/ddp-client ${Date.now()}`;
  const posted = await within(
    'chat.postMessage through sdk.rest',
    sdk.rest.post('/v1/chat.postMessage', { roomId: rid, text }),
  );
  if (!posted || posted.success !== true || !posted.message) {
    throw new Error(`chat.postMessage answered ${JSON.stringify(posted)}`);
  }
  log('posted', posted.message._id);

  const args = await until(
    'the message on the stream',
    () => received.find((a) => a[0] && a[0].msg === text),
    10000,
  );
  log('received', JSON.stringify(args));
  const [message] = args;
  if (message._id !== posted.message._id || message.rid !== rid || message.u.username !== username) {
    throw new Error(`unexpected streamed message ${JSON.stringify(message)}`);
  }
  if (!message.ts || typeof message.ts.$date !== 'number') {
    throw new Error(`ts is not EJSON {$date}: ${JSON.stringify(message.ts)}`);
  }

  // A method call on the same connection, then a clean logout.
  const settings = await within('public-settings/get', sdk.call('public-settings/get'));
  if (!Array.isArray(settings) || settings.length === 0) {
    throw new Error(`public-settings/get returned ${JSON.stringify(settings)}`);
  }
  stream.stop();
  await within('logout', sdk.account.logout());
  sdk.connection.close();
});
