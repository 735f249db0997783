// Browser tests for the UI against a server that requires tokens: the token
// prompt, retry after saving, roles in the header and nav, forgetting a
// token, and cancelling the prompt.
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
  await page.evaluate(() => localStorage.clear());
  await page.goto(srv.base + path);
  return page;
}

test('a 401 opens the token prompt; a refused token says so; a good one is saved and the call retried', async (t) => {
  const page = await fresh(t, '/');
  const dialog = page.locator('#token-dialog');
  await page.waitForSelector('#token-dialog[open]');
  assert.match(await dialog.innerText(), /missing bearer token/i, 'the prompt does not say why');

  await page.fill('#token-input', 'not-a-valid-token-at-all');
  await page.click('#token-save');
  await page.waitForFunction(() => /refused/.test(document.getElementById('token-error').textContent));
  assert.ok(await dialog.evaluate((d) => d.open), 'the prompt closed after a refused token');
  assert.equal(await page.evaluate(() => localStorage.getItem('logmart.token')), null, 'a refused token stays saved');
  await shot(page, 'auth-prompt');

  await page.fill('#token-input', VIEWER);
  await page.click('#token-save');
  await page.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.equal(await dialog.evaluate((d) => d.open), false);
  assert.equal(await page.evaluate(() => localStorage.getItem('logmart.token')), VIEWER);
  assert.match(await page.locator('#whoami').innerText(), /e2e-viewer[\s\S]*viewer/i);
  assert.equal(await page.locator('#health').getAttribute('data-state'), 'ok');

  // The saved token is sent on the next visit: no prompt.
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
  assert.equal(await page.evaluate(() => localStorage.getItem('logmart.token')), null);
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
