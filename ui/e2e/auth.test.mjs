// Browser tests for the UI against a server that requires tokens: the token
// prompt, retry after saving, where the token is kept (this tab, or this
// device when remembered, and a token an older UI left in localStorage),
// roles in the header and nav, forgetting a token, and cancelling the
// prompt.
//
//   node --test ui/e2e/      (same environment as ui.test.mjs)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, launchBrowser, openPage, shot } from './harness.mjs';

const VIEWER = 'viewer-' + randomBytes(16).toString('hex');
const EDITOR = 'editor-' + randomBytes(16).toString('hex');
const CONFIG = `server:
  tokens:
    - name: e2e-viewer
      role: viewer
      token_env: LOGMART_E2E_VIEWER_TOKEN
    - name: e2e-editor
      role: editor
      token_env: LOGMART_E2E_EDITOR_TOKEN
`;

let srv = null;
let browser = null;

before(async () => {
  srv = await startServer({
    name: 'server-tokens',
    config: CONFIG,
    env: { LOGMART_E2E_VIEWER_TOKEN: VIEWER, LOGMART_E2E_EDITOR_TOKEN: EDITOR },
  });
  browser = await launchBrowser();
}, { timeout: 300000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

// fresh opens the app at path with no saved token.
async function fresh(t, path) {
  const page = await openPage(t, browser.context);
  await page.goto(srv.base + '/favicon.svg');
  await page.evaluate(() => {
    localStorage.clear();
    sessionStorage.clear();
  });
  await page.goto(srv.base + path);
  return page;
}

// where lists the storages of page's origin that hold token: 'session',
// 'local', both or neither.
const where = (page, token) => page.evaluate((tok) => {
  const holds = (s) => Object.keys(s).some((k) => s.getItem(k) === tok);
  return [holds(sessionStorage) && 'session', holds(localStorage) && 'local'].filter(Boolean);
}, token);

test('a 401 opens the token prompt; a refused token says so; a good one is saved and the call retried', async (t) => {
  const page = await fresh(t, '/');
  const dialog = page.locator('#token-dialog');
  await page.waitForSelector('#token-dialog[open]');
  assert.match(await dialog.innerText(), /missing bearer token/i, 'the prompt does not say why');

  await page.fill('#token-input', 'not-a-valid-token-at-all');
  await page.click('#token-save');
  await page.waitForFunction(() => /refused/.test(document.getElementById('token-error').textContent));
  assert.ok(await dialog.evaluate((d) => d.open), 'the prompt closed after a refused token');
  assert.deepEqual(await where(page, 'not-a-valid-token-at-all'), [], 'a refused token stays saved');
  await shot(page, 'auth-prompt');

  await page.fill('#token-input', VIEWER);
  await page.click('#token-save');
  await page.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.equal(await dialog.evaluate((d) => d.open), false);
  assert.deepEqual(await where(page, VIEWER), ['session'], 'the token is not kept for this tab only');
  assert.match(await page.locator('#whoami').innerText(), /e2e-viewer[\s\S]*viewer/i);
  assert.equal(await page.locator('#health').getAttribute('data-state'), 'ok');

  // The saved token is sent on this tab's later pages: no prompt.
  await page.goto(srv.base + '/logs');
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  assert.equal(await dialog.evaluate((d) => d.open), false);

  // A viewer has no ad-hoc SQL tab, and who opens /sql directly gets the
  // reason, not a broken page.
  await page.goto(srv.base + '/explore');
  await page.waitForSelector('.tmpl-list[data-loaded="true"]');
  assert.equal(await page.locator('.tabs .tab').count(), 1, 'a viewer sees the ad-hoc SQL tab');
  await page.goto(srv.base + '/sql');
  await page.waitForSelector('#main .error');
  assert.match(await page.locator('#main .error').innerText(), /editor or admin/);
  assert.equal(await page.locator('textarea[name="sql"]').count(), 0);
  await shot(page, 'auth-viewer-sql');
});

test('forgetting the token prompts again; an editor runs SQL', async (t) => {
  const page = await fresh(t, '/');
  await page.waitForSelector('#token-dialog[open]');
  await page.fill('#token-input', VIEWER);
  await page.click('#token-save');
  await page.waitForSelector('#signout:not([hidden])');

  await page.click('#signout');
  await page.waitForSelector('#token-dialog[open]');
  assert.deepEqual(await where(page, VIEWER), []);
  await page.fill('#token-input', EDITOR);
  await page.click('#token-save');
  await page.waitForFunction(() => /editor/i.test(document.getElementById('whoami').innerText));

  await page.click('#nav a[href="/explore"]');
  await page.click('.tabs a:has-text("Ad-hoc SQL")');
  await page.locator('textarea[name="sql"]').fill('SELECT 40 + 2 AS answer');
  await page.click('.sql-form button[type="submit"]');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  assert.equal(await page.locator('.results tbody td').first().innerText(), '42');
});

test('cancelling the prompt shows the error in place and an Enter token button', async (t) => {
  const page = await fresh(t, '/logs');
  await page.waitForSelector('#token-dialog[open]');
  await page.click('#token-cancel');
  await page.waitForSelector('[data-page="logs"][data-state="error"]');
  assert.match(await page.locator('.results .error').innerText(), /authentication required/);
  assert.equal(await page.locator('#token-dialog').evaluate((d) => d.open), false, 'the prompt reopened after cancel');
  await shot(page, 'auth-cancelled');

  await page.click('#signin');
  await page.waitForSelector('#token-dialog[open]');
  await page.fill('#token-input', VIEWER);
  await Promise.all([page.waitForEvent('load'), page.click('#token-save')]);
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  assert.match(await page.locator('#whoami').innerText(), /viewer/i);
});

test('the token is kept for this tab unless remembered on this device; Forget token clears it there', async (t) => {
  // By default the token is this tab's: another tab asks for one.
  const first = await fresh(t, '/');
  await first.waitForSelector('#token-dialog[open]');
  assert.equal(await first.isChecked('#token-remember'), false, 'remembering on this device is the default');
  await first.fill('#token-input', VIEWER);
  await first.click('#token-save');
  await first.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.deepEqual(await where(first, VIEWER), ['session']);
  assert.match(await first.getAttribute('#signout', 'title'), /this tab/);

  const second = await openPage(t, browser.context, { allowPrompt: true });
  await second.goto(srv.base + '/');
  await second.waitForSelector('#token-dialog[open]');
  assert.equal(await second.isChecked('#token-remember'), false);
  // Remembered: kept in localStorage, so a new tab needs no prompt.
  await second.fill('#token-input', EDITOR);
  await second.check('#token-remember');
  await shot(second, 'auth-remember');
  await second.click('#token-save');
  await second.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.deepEqual(await where(second, EDITOR), ['local']);
  assert.match(await second.getAttribute('#signout', 'title'), /this device/);

  const third = await openPage(t, browser.context);
  await third.goto(srv.base + '/');
  await third.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.match(await third.locator('#whoami').innerText(), /e2e-editor/);

  // The first tab still sends its own token.
  await first.reload();
  await first.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.match(await first.locator('#whoami').innerText(), /e2e-viewer/);

  // Forgetting a remembered token removes it from the device.
  await third.click('#signout');
  await third.waitForSelector('#token-dialog[open]');
  assert.deepEqual(await where(third, EDITOR), []);
  await third.click('#token-cancel');
});

test('a token an older UI left in localStorage moves to this tab and off the device', async (t) => {
  const page = await openPage(t, browser.context);
  await page.goto(srv.base + '/favicon.svg');
  await page.evaluate((tok) => {
    localStorage.clear();
    sessionStorage.clear();
    localStorage.setItem('logmart.token', tok);
  }, VIEWER);
  await page.goto(srv.base + '/');
  await page.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.match(await page.locator('#whoami').innerText(), /e2e-viewer/);
  assert.deepEqual(await where(page, VIEWER), ['session']);

  // No longer kept on the device: a new tab asks.
  const other = await openPage(t, browser.context, { allowPrompt: true });
  await other.goto(srv.base + '/');
  await other.waitForSelector('#token-dialog[open]');
});
