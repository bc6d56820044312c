// Small helpers of the browser tests: steps with timings, polling, the restart handshake.
import { createInterface } from 'node:readline';

const started = Date.now();
let currentStep = '(start)';

export function elapsed() {
  return ((Date.now() - started) / 1000).toFixed(1);
}

export function currentStepName() {
  return currentStep;
}

/** Runs one named step of the scenario, logging its start and duration. */
export async function step(name, fn) {
  currentStep = name;
  const t0 = Date.now();
  console.log(`[${elapsed()}s] ${name}`);
  const result = await fn();
  console.log(`  ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return result;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` (async; truthy = done) every 100 ms until `timeout` ms; throws with `what`
 * and the last value otherwise. Returns the truthy value.
 */
export async function waitUntil(what, check, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${detail})`);
    }
    await sleep(100);
  }
}

/** Lines of standard input, one at a time (the harness's answers to RESTART_SERVER). */
class StdinLines {
  constructor() {
    this.queue = [];
    this.waiters = [];
    this.closed = false;
    this.rl = null;
  }

  start() {
    if (this.rl) return;
    this.rl = createInterface({ input: process.stdin });
    this.rl.on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(line);
      else this.queue.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('standard input closed'));
    });
  }

  /** The next line, or an error after `timeout` ms or when stdin closes. */
  next(timeout) {
    this.start();
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.reject(new Error('standard input closed'));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no line on standard input within ${timeout} ms`));
      }, timeout);
      waiter.resolve = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      waiter.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiters.push(waiter);
    });
  }

  close() {
    if (this.rl) this.rl.close();
  }
}

export const stdinLines = new StdinLines();

/**
 * Asks the harness to restart the server (a line RESTART_SERVER on stdout) and waits for its
 * answer `restarted` on stdin.
 */
export async function restartServer(timeout = 60000) {
  stdinLines.start();
  console.log('RESTART_SERVER');
  for (;;) {
    const line = (await stdinLines.next(timeout)).trim();
    if (line === 'restarted') return;
    console.log(`  (ignoring stdin line ${JSON.stringify(line)})`);
  }
}
