// Shared helpers of the Node client scripts run by tests/real_clients.rs and tests/cluster.rs.
//
// Every script reads its inputs from the environment (FERROCHAT_URL and friends), talks to the
// server with a real client library, prints what it does to stderr, and exits 0 only when the
// scenario passed. A watchdog ends it with exit code 2 if it takes too long, so a server that
// never answers fails the test instead of hanging it.
'use strict';

const crypto = require('crypto');

/** A required environment variable. */
function env(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    fail(`environment variable ${name} is not set`);
  }
  return value;
}

/** Lowercase hex SHA-256 of a string: the password digest DDP login sends. */
function sha256(text) {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function log(...args) {
  console.error(`[${new Date().toISOString()}]`, ...args);
}

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

/** Ends the process with code 2 after `seconds` (FERROCHAT_CLIENT_TIMEOUT_S overrides). */
function watchdog(seconds) {
  const limit = Number(process.env.FERROCHAT_CLIENT_TIMEOUT_S || seconds);
  const timer = setTimeout(() => {
    console.error(`FAILED: timed out after ${limit} s`);
    process.exit(2);
  }, limit * 1000);
  timer.unref();
}

/** Resolves when `predicate()` is truthy, checking every 20 ms; rejects after `ms`. */
function until(what, predicate, ms = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      let value;
      try {
        value = predicate();
      } catch (e) {
        reject(e);
        return;
      }
      if (value) {
        resolve(value);
      } else if (Date.now() - started > ms) {
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      } else {
        setTimeout(tick, 20);
      }
    };
    tick();
  });
}

/** A promise with a deadline. */
function within(what, promise, ms = 10000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** POST /api/v1/<path> with the REST credentials; returns the JSON body, throws unless success. */
async function restPost(baseUrl, path, body, auth) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth) {
    headers['X-User-Id'] = auth.userId;
    headers['X-Auth-Token'] = auth.token;
  }
  const response = await fetch(`${baseUrl}/api/v1/${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch (_) {
    throw new Error(`POST ${path}: HTTP ${response.status}, not JSON: ${text}`);
  }
  if (response.status !== 200 || json.success !== true) {
    throw new Error(`POST ${path}: HTTP ${response.status}: ${text}`);
  }
  return json;
}

/** Runs `main`, exiting 0 when it resolves and 1 (with the error) when it rejects. */
function run(main) {
  // asteroid (under @rocket.chat/sdk) rejects a method's `updated` promise, with no reason and
  // no handler, whenever the method fails; the scenario's own promise carries the real error.
  process.on('unhandledRejection', (e) => log(`warning: unhandled rejection: ${describe(e)}`));
  main().then(
    () => {
      console.error('OK');
      process.exit(0);
    },
    (e) => fail(describe(e)),
  );
}

function describe(e) {
  if (e instanceof Error) {
    return e.stack || e.message;
  }
  try {
    return JSON.stringify(e);
  } catch (_) {
    return String(e);
  }
}

module.exports = { env, sha256, log, fail, watchdog, until, within, restPost, run, describe };
