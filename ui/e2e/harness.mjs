/**
 * What the end-to-end tests share: the real `vedette` binary started as a console on a fresh
 * data dir, Debian's Chromium driven by playwright-core and pinned to the console's key, and
 * small page helpers. (Not a test file itself: `node --test e2e/` runs only `*.test.mjs`.)
 *
 * Environment:
 * - `VEDETTE_BIN`: the binary (default `$CARGO_TARGET_DIR/debug/vedette`, else
 *   `../target/debug/vedette` relative to `ui/`);
 * - `CHROMIUM_PATH`: the browser (default `/usr/bin/chromium`).
 * Missing either is a test failure with a clear message, never a skip.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = path.join(UI_DIR, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const BIN =
  process.env.VEDETTE_BIN ??
  (process.env.CARGO_TARGET_DIR
    ? path.join(process.env.CARGO_TARGET_DIR, 'debug', 'vedette')
    : path.resolve(UI_DIR, '..', 'target', 'debug', 'vedette'));

/**
 * A console and a browser for one test file.
 * `env.url`, `env.setupCode`, `env.fingerprint` (hex, lower case), `env.fingerprintText` (as the
 * banner prints it), `env.apiKey` (the sensor API key) and `env.certPem` are set by `start()`.
 */
export function createHarness(name) {
  const env = {
    /** @type {import('node:child_process').ChildProcess | null} */ console: null,
    /** @type {import('playwright-core').Browser | null} */ browser: null,
    dataDir: '',
    url: '',
    setupCode: '',
    fingerprint: '',
    fingerprintText: '',
    apiKey: '',
    certPem: '',
    output: '',
    /** Uncaught errors of pages, which must stay empty. */
    pageErrors: /** @type {string[]} */ ([]),
    /** Other processes to stop at the end (sensors). */
    children: /** @type {import('node:child_process').ChildProcess[]} */ ([]),
  };

  /**
   * Starts the console and waits for its banner (URL, setup code, fingerprint); the sensor API key
   * is read with `vedette console api-key show` (the banner prints it only to a terminal).
   */
  async function startConsole() {
    if (!existsSync(BIN)) {
      throw new Error(`vedette binary not found at ${BIN}: build it with \`cargo build -p vedette\` or set VEDETTE_BIN`);
    }
    env.dataDir = await mkdtemp(path.join(tmpdir(), `vedette-ui-${name}-`));
    const child = spawn(BIN, ['console', '--data-dir', path.join(env.dataDir, 'console'), '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // No fixed metrics port: it would clash with other consoles running on this machine.
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', VEDETTE_METRICS_LISTEN: 'off' },
    });
    env.console = child;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no complete banner within 60 s; output so far:\n${env.output}`)), 60_000);
      const onData = (chunk) => {
        env.output += chunk.toString();
        const url = /Console URL:\s+(https:\/\/\S+)/.exec(env.output);
        const code = /Setup code:\s+(\S+)/.exec(env.output);
        const fingerprint = /TLS fingerprint:\s+(SHA256:([0-9A-Fa-f:]+))/.exec(env.output);
        if (url && code && fingerprint && /Start a sensor/.test(env.output)) {
          clearTimeout(timer);
          env.url = url[1].replace(/\/+$/, '');
          env.setupCode = code[1];
          env.fingerprintText = fingerprint[1];
          env.fingerprint = fingerprint[2].replace(/:/g, '').toLowerCase();
          resolve(undefined);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk) => {
        env.output += chunk.toString();
      });
      child.on('exit', (status, signal) => {
        clearTimeout(timer);
        reject(new Error(`console exited (${status ?? signal}) before its banner:\n${env.output}`));
      });
    });
    const shown = await promisify(execFile)(BIN, ['console', 'api-key', 'show', '--data-dir', path.join(env.dataDir, 'console')]);
    env.apiKey = shown.stdout.trim();
    assert.match(env.apiKey, /^vsk_/, 'vedette console api-key show prints the sensor API key');
  }

  /** base64(SHA-256(SubjectPublicKeyInfo DER)) of the console certificate, for Chromium's pin. */
  async function spkiPin() {
    env.certPem = await readFile(path.join(env.dataDir, 'console', 'tls', 'cert.pem'), 'utf8');
    const cert = new X509Certificate(env.certPem);
    // The banner's fingerprint must be the one of the certificate the console serves.
    assert.equal(cert.fingerprint256.replace(/:/g, '').toLowerCase(), env.fingerprint, 'banner fingerprint matches cert.pem');
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('base64');
  }

  /** Console, then Chromium trusting only its key. */
  async function start() {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
    }
    await startConsole();
    const pin = await spkiPin();
    env.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--ignore-certificate-errors-spki-list=${pin}`,
      ],
    });
  }

  /** Stops a child with SIGTERM (SIGKILL after 10 s). */
  async function stopChild(child) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(undefined);
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  /** Browser, extra processes, console, data dir. */
  async function stop() {
    await env.browser?.close();
    for (const child of env.children) await stopChild(child);
    await stopChild(env.console);
    if (env.dataDir) await rm(env.dataDir, { recursive: true, force: true });
  }

  /** A GET with a bearer token from Node, trusting only the console certificate. */
  function apiGet(pathname, token) {
    return new Promise((resolve, reject) => {
      const req = request(
        `${env.url}${pathname}`,
        { ca: env.certPem, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** A fresh browser context (separate cookies) with error collection. */
  async function newPage() {
    assert.ok(env.browser, 'browser started');
    const context = await env.browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => env.pageErrors.push(String(error)));
    page.setDefaultTimeout(15_000);
    return page;
  }

  return { env, start, stop, stopChild, apiGet, newPage };
}

/** Saves a full-page screenshot into `ui/test-results/`. */
export async function screenshot(page, name) {
  await mkdir(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage: true });
}

/** Signs in through the login form. */
export async function login(page, { username, password }) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Creates the first admin on the setup page (the browser lands on `/`). */
export async function setupAdmin(page, env, { username, password }) {
  await page.goto(`${env.url}/`);
  await page.waitForURL(/\/setup$/);
  await page.getByLabel('Setup code').fill(env.setupCode);
  await page.getByLabel('Admin username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create admin and sign in' }).click();
  await page.getByRole('heading', { name: 'Deploy a sensor' }).waitFor();
}
