// Shared set-up for the UI browser tests: start the real logmart binary on
// free loopback ports, run its subcommands, and drive headless Chromium.
// Not a test file itself (node --test picks *.test.mjs only).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(ROOT, process.env.LOGMART_BIN || 'bin/logmart');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = path.join(ROOT, 'test-output', 'ui');

// The launch flags this machine needs: without the background-networking
// ones Chromium keeps trying Google's hosts through a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set(); // servers to kill if the runner exits early

// Last resort if the runner dies mid-test: never leave a server behind.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function logTail(file, n = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function getJSON(url, headers = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

function checkPrerequisites() {
  mkdirSync(OUT, { recursive: true });
  assert.ok(existsSync(BIN), `server binary ${BIN} not found: run "go build -o bin/logmart ./cmd/logmart" (or make build) or set LOGMART_BIN`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
}

/**
 * startServer runs `logmart serve` with a fresh data folder on free ports and
 * waits for /readyz. name prefixes its log file (test-output/ui/<name>.log).
 * config, when given, is YAML written to a file passed with --config; env is
 * added to the server's environment. Returns {base, kafkaAddr, logFile,
 * waitFor, run, stop}.
 */
export async function startServer({ name = 'server', config, env = {} } = {}) {
  checkPrerequisites();
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${httpPort}`;
  const kafkaAddr = `127.0.0.1:${kafkaPort}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'logmart-e2e-'));
  const dataDir = path.join(dir, 'data');
  const args = ['serve', '--data', dataDir, '--http-addr', `127.0.0.1:${httpPort}`, '--kafka-addr', kafkaAddr];
  if (config !== undefined) {
    const cfgFile = path.join(dir, 'logmart.yaml');
    writeFileSync(cfgFile, config);
    args.push('--config', cfgFile);
  }
  const logFile = path.join(OUT, name + '.log');
  const log = createWriteStream(logFile);
  const child = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  live.add(child);
  let exit = null;
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    live.delete(child);
  });
  child.on('error', (e) => {
    exit = { error: e.message };
    live.delete(child);
  });

  // waitFor polls fn until it returns a truthy value, failing with what the
  // last attempt saw and the server's log.
  async function waitFor(what, fn, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (exit) throw new Error(`logmart serve exited (${JSON.stringify(exit)}) while waiting for ${what}:\n${logTail(logFile)}`);
      try {
        const v = await fn();
        if (v) return v;
        last = 'not yet';
      } catch (e) {
        last = e.message;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what} (last: ${last}):\n${logTail(logFile)}`);
      }
      await sleep(500);
    }
  }

  // run runs another logmart subcommand to completion.
  function run(subArgs, runLog, timeoutMs) {
    return new Promise((resolve, reject) => {
      const file = path.join(OUT, runLog);
      const out = createWriteStream(file);
      const c = spawn(BIN, subArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout.pipe(out);
      c.stderr.pipe(out);
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new Error(`logmart ${subArgs[0]} did not finish in ${timeoutMs / 1000}s:\n${logTail(file)}`));
      }, timeoutMs);
      c.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${BIN}: ${e.message}`));
      });
      c.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`logmart ${subArgs.join(' ')} exited with ${code ?? signal}:\n${logTail(file)}`));
      });
    });
  }

  // stop ends the server (SIGTERM, then SIGKILL after 20 s) and removes its data.
  async function stop() {
    if (!exit) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const srv = { base, kafkaAddr, logFile, waitFor, run, stop };
  try {
    await waitFor('GET /readyz to answer 200', async () => (await getJSON(base + '/readyz')).status === 200, 120000);
  } catch (e) {
    await stop();
    throw e;
  }
  return srv;
}

/** launchBrowser starts headless Chromium with a fresh profile at 1366x768,
 * in timezoneId (an IANA zone; the machine's zone when not given) and
 * locale when given. Returns {context, close}. */
export async function launchBrowser({ timezoneId, locale } = {}) {
  checkPrerequisites();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'logmart-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
    ...(timezoneId ? { timezoneId, env: { ...process.env, TZ: timezoneId } } : {}),
    ...(locale ? { locale } : {}),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * openPage opens a tab that fails test t on any uncaught page error, and,
 * unless allowPrompt, on an open token prompt at the end of the test.
 */
export async function openPage(t, context, { allowPrompt = false } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(30000);
  t.after(async () => {
    const prompted = await page.locator('#token-dialog').evaluate((d) => d.open).catch(() => false);
    await page.close();
    assert.deepEqual(errors, [], 'uncaught errors in the page');
    if (!allowPrompt) assert.equal(prompted, false, 'a token prompt appeared although the server runs without tokens');
  });
  return page;
}

/** shot saves a full-page screenshot as test-output/ui/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}
