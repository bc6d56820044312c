// A bot on @rocket.chat/sdk 0.2.9 (asteroid + ddp.js 0.5: DDP "pre2", plain-text password
// login, `stream-room-messages ["__my_messages__", true]`, getRoomIdByNameOrId, joinRoom,
// sendMessage with bot.i = "js.SDK"). It joins a room, prints FERROCHAT_READY on stdout, and
// answers the first message it is sent there containing FERROCHAT_TRIGGER with FERROCHAT_REPLY;
// it exits 0 once the answer was sent.
//
// Env: FERROCHAT_URL, FERROCHAT_USER, FERROCHAT_PASSWORD, FERROCHAT_ROOM_NAME,
//      FERROCHAT_TRIGGER, FERROCHAT_REPLY.
'use strict';

const { env, log, watchdog, within, run } = require('./lib');

watchdog(40);

run(async () => {
  const url = env('FERROCHAT_URL');
  const username = env('FERROCHAT_USER');
  const password = env('FERROCHAT_PASSWORD');
  const roomName = env('FERROCHAT_ROOM_NAME');
  const trigger = env('FERROCHAT_TRIGGER');
  const reply = env('FERROCHAT_REPLY');

  const { driver } = require('@rocket.chat/sdk');
  // Keep stdout for FERROCHAT_READY: the sdk's log goes to stderr.
  driver.useLog({
    debug: (...a) => log('[sdk debug]', ...a),
    info: (...a) => log('[sdk info]', ...a),
    warning: (...a) => log('[sdk warning]', ...a),
    warn: (...a) => log('[sdk warn]', ...a),
    error: (...a) => log('[sdk error]', ...a),
  });

  // The driver strips the scheme and uses ws:// (useSsl false) + /websocket.
  await driver.connect({ host: url, useSsl: false, timeout: 10000 });
  log('connected');
  const userId = await within('login', driver.login({ username, password }));
  log('logged in as', userId);

  // getRoomIdByNameOrId, then joinRoom.
  await within(`joining ${roomName}`, driver.joinRoom(roomName));
  const rid = await driver.getRoomId(roomName);
  log('joined', roomName, rid);

  await within('subscribing to __my_messages__', driver.subscribeToMessages());
  log('subscribed to __my_messages__');

  const answered = new Promise((resolve, reject) => {
    let done = false;
    driver.respondToMessages(async (err, message, meta) => {
      if (err) {
        reject(err);
        return;
      }
      log('received', JSON.stringify(message), JSON.stringify(meta));
      if (done || !message || typeof message.msg !== 'string' || !message.msg.includes(trigger)) {
        return;
      }
      done = true;
      try {
        if (message.rid !== rid) {
          throw new Error(`message from room ${message.rid}, expected ${rid}`);
        }
        if (!meta || meta.roomParticipant !== true || meta.roomType !== 'c') {
          throw new Error(`unexpected message meta ${JSON.stringify(meta)}`);
        }
        const sent = await driver.sendToRoomId(`${reply} @${message.u.username}`, message.rid);
        log('answered', JSON.stringify(sent));
        if (!sent || sent.rid !== rid || !sent.bot || sent.bot.i !== 'js.SDK') {
          throw new Error(`sendMessage returned ${JSON.stringify(sent)}`);
        }
        resolve(sent);
      } catch (e) {
        reject(e);
      }
    }, { rooms: [roomName], dm: false, livechat: false, edited: false });
  });

  process.stdout.write('FERROCHAT_READY\n');
  await answered;
  await within('logout', driver.logout());
});
