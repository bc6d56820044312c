// The browser side of the end-to-end tests: Debian's chromium driven by playwright-core,
// pages watched for console errors, uncaught exceptions, Content-Security-Policy violations
// and server errors, axe-core scans and screenshots.
import { readFileSync, mkdirSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The flags every run uses (see docs: no sandbox in containers, nothing phoning home). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless chromium; playwright gives the browser a fresh temporary profile. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.FERROCHAT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * Collects what must not happen on any page: console errors (CSP violations among them),
 * uncaught exceptions, 5xx answers. Expected noise (a wrong password's 401, refused
 * connections while the server restarts) is let through inside `allowing()`.
 */
export class Problems {
  constructor() {
    /** @type {string[]} */
    this.errors = [];
    /** @type {{pattern: RegExp, why: string}[]} */
    this.allowed = [];
    /** @type {string[]} */
    this.tolerated = [];
  }

  report(where, text) {
    const allowance = this.allowed.find((a) => a.pattern.test(text));
    if (allowance) {
      this.tolerated.push(`${where}: ${text} (expected: ${allowance.why})`);
      return;
    }
    const line = `${where}: ${text}`;
    this.errors.push(line);
    console.log(`  ! ${line}`);
  }

  /** Runs `fn` while messages matching `pattern` count as expected. */
  async allowing(pattern, why, fn) {
    const allowance = { pattern, why };
    this.allowed.push(allowance);
    try {
      return await fn();
    } finally {
      // Late console messages of the same cause arrive a moment after the action.
      await new Promise((r) => setTimeout(r, 300));
      this.allowed.splice(this.allowed.indexOf(allowance), 1);
    }
  }

  /** Starts allowing `pattern` until the returned function is called. */
  allow(pattern, why) {
    const allowance = { pattern, why };
    this.allowed.push(allowance);
    return () => {
      const i = this.allowed.indexOf(allowance);
      if (i >= 0) this.allowed.splice(i, 1);
    };
  }

  /** Watches every page of `context`, naming them `label`. */
  watch(context, label) {
    // Runs before the page's own scripts; CDP-injected, so the page's CSP does not apply.
    context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(
          `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} ` +
            `at ${e.sourceFile || '?'}:${e.lineNumber || 0}`,
        );
      });
    });
    const onPage = (page) => {
      page.on('console', (msg) => {
        if (msg.type() === 'error') {
          const loc = msg.location();
          const at = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
          this.report(`${label} console`, `${msg.text()}${at}`);
        }
      });
      page.on('pageerror', (err) => this.report(`${label} uncaught`, String(err && err.stack || err)));
      page.on('response', (resp) => {
        if (resp.status() >= 500) {
          this.report(`${label} HTTP`, `${resp.status()} ${resp.request().method()} ${resp.url()}`);
        }
      });
      page.on('crash', () => this.report(label, 'the page crashed'));
    };
    context.on('page', onPage);
    for (const page of context.pages()) onPage(page);
  }
}

/** Reads axe-core's browser build once. */
let axeSource = null;
function axeScript() {
  if (!axeSource) axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core on the page and returns its serious and critical violations as printable
 * lines (also logs every violation). axe is evaluated through the DevTools protocol, like
 * @axe-core/playwright does, so the page's CSP needs no exception for it.
 */
export async function axeScan(page, screen) {
  const loaded = await page.evaluate(() => typeof window['axe'] === 'object');
  if (!loaded) await page.evaluate(axeScript());
  const results = await page.evaluate(async () => {
    const axe = window['axe'];
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary })),
    }));
  });
  const bad = [];
  for (const v of results) {
    const serious = v.impact === 'serious' || v.impact === 'critical';
    const lines = [`axe [${screen}] ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes)`];
    for (const n of v.nodes.slice(0, 5)) {
      lines.push(`    ${n.target}: ${String(n.summary || '').replace(/\s+/g, ' ').slice(0, 300)}`);
      lines.push(`      ${String(n.html || '').replace(/\s+/g, ' ').slice(0, 300)}`);
    }
    console.log((serious ? '  ! ' : '  ~ ') + lines.join('\n'));
    if (serious) bad.push(lines.join('\n'));
  }
  if (!results.length) console.log(`  axe [${screen}]: no violations`);
  return bad;
}

/** Where screenshots go: FERROCHAT_ARTIFACTS, default target/web-artifacts in the repo. */
export function artifactsDir() {
  return process.env.FERROCHAT_ARTIFACTS || join(here, '..', '..', '..', 'target', 'web-artifacts');
}

/** Removes the screenshots of an earlier run (only the names this test writes). */
export function clearScreenshots() {
  const dir = artifactsDir();
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (/^(\d\d-|failure-).*\.png$/.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/** Saves a screenshot of the page's viewport as `<dir>/<name>.png`; returns the path. */
export async function screenshot(page, name) {
  const dir = artifactsDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  console.log(`  screenshot ${path}`);
  return path;
}
