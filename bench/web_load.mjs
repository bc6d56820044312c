// Loads the web client in Debian's chromium (playwright-core from web/node_modules) and prints
// what a first visit and a reload cost: time until the login form, requests and bytes of the
// page and its assets, time from "Log in" to the room list, and reloads of a room until its
// messages show, with how much went over the network.
//
//   node bench/web_load.mjs http://127.0.0.1:3000 USER PASSWORD [ROOM]
//
// The server must be running; ROOM (default general) must have at least one message.
import { chromium } from '../web/node_modules/playwright-core/index.mjs';

const [url = 'http://127.0.0.1:3000', user, password, room = 'general'] = process.argv.slice(2);
if (!user || !password) {
  console.error('usage: node bench/web_load.mjs URL USER PASSWORD [ROOM]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.FERROCHAT_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext();
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
let requests = 0;
let encoded = 0;
let cached = 0;
cdp.on('Network.requestServedFromCache', () => { cached += 1; });
cdp.on('Network.loadingFinished', (e) => { requests += 1; encoded += e.encodedDataLength; });
const reset = () => { requests = 0; encoded = 0; cached = 0; };
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

let start = performance.now();
await page.goto(`${url}/login`);
await page.getByRole('button', { name: 'Log in' }).waitFor();
console.log(`first visit: login form after ${(performance.now() - start).toFixed(0)} ms; ${requests} requests, ${kib(encoded)} over the network`);

await page.getByRole('textbox', { name: 'Username or email' }).fill(user);
await page.getByRole('textbox', { name: 'Password' }).fill(password);
start = performance.now();
await page.getByRole('button', { name: 'Log in' }).click();
await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
console.log(`log in: room list after ${(performance.now() - start).toFixed(0)} ms`);

const times = [];
for (let i = 0; i < 5; i += 1) {
  reset();
  start = performance.now();
  await page.goto(`${url}/channel/${encodeURIComponent(room)}`);
  await page.getByRole('log', { name: 'Messages' }).getByRole('article').first().waitFor();
  times.push((performance.now() - start).toFixed(0));
}
console.log(`reload of /channel/${room} until its messages show: ${times.join(', ')} ms; ` +
  `the last one took ${cached} files from the browser cache and ${kib(encoded)} over the network (page and API)`);
await browser.close();
