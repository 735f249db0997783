// Browser tests for dashboards: the list, every shipped dashboard drawn
// with no failed panel and no page error, a variable change that reruns
// the panels and lands in the URL, a copied URL that reopens the same
// view, and the panel menu (SQL, inspect, CSV).
//
//   node --test ui/e2e/dashboards.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshots go to
// test-output/ui/dashboard-<uid>.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

let srv = null;
let browser = null;
let base = '';
let dashboards = [];

before(async () => {
  srv = await startServer({ name: 'dashboards-server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '3000'], 'dashboards-demo.log', 180000);
  await srv.waitFor('the demo lines', async () => {
    const r = await getJSON(base + '/api/v1/logs?from=now-1h&limit=1');
    return r.status === 200 && r.body.rows.length > 0;
  }, 120000);
  const r = await getJSON(base + '/api/v1/dashboards');
  assert.equal(r.status, 200);
  dashboards = r.body.dashboards;
  assert.ok(dashboards.length >= 3, 'the shipped dashboards are served');
  browser = await launchBrowser();
}, { timeout: 420000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

// drawn waits until no panel is loading and returns the panels' states.
async function drawn(page) {
  await page.waitForSelector('.dash-panel');
  await page.waitForFunction(() => [...document.querySelectorAll('.dash-panel')].every((p) => p.dataset.state !== 'loading' && !p.classList.contains('stale')), null, { timeout: 60000 });
  return page.$$eval('.dash-panel', (ps) => ps.map((p) => ({ title: p.querySelector('.panel-title').textContent, state: p.dataset.state, error: p.querySelector('.error-text')?.textContent || '' })));
}

test('the list shows every dashboard by folder, the promotions, and the search filters it', async (t) => {
  const d = (await getJSON(base + '/api/v1/dashboards/deploy-freshness')).body;
  const rec = await fetch(base + '/api/v1/promotions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'dashboard', uid: 'deploy-freshness', from: 'dev', to: 'prod', old_hash: '', new_hash: d.hash, forced: false }) });
  assert.ok(rec.ok, `recording a promotion: ${rec.status} ${await rec.text()}`);
  const page = await openPage(t);
  await page.goto(base + '/dashboards');
  await page.waitForSelector('.dash-list[data-loaded="true"]');
  assert.equal(await page.locator('.dash-item').count(), dashboards.length);
  await page.locator('[data-list="promotions"] tr[data-uid="deploy-freshness"]').waitFor();
  await page.goto(base + '/d/deploy-freshness');
  await page.waitForFunction(() => /promoted from dev/.test(document.querySelector('.dash-promoted')?.textContent || ''));
  await page.goto(base + '/dashboards');
  await page.waitForSelector('.dash-list[data-loaded="true"]');
  await page.fill('input[name="q"]', 'security');
  assert.ok(await page.locator('.dash-item').count() >= 1);
  assert.ok(await page.locator('.dash-item').count() < dashboards.length);
  await shot(page, 'dashboard-list');
});

test('every shipped dashboard draws with no failed panel', async (t) => {
  const page = await openPage(t);
  for (const d of dashboards) {
    await page.goto(base + '/d/' + encodeURIComponent(d.uid));
    const panels = await drawn(page);
    const failed = panels.filter((p) => p.state === 'error');
    assert.deepEqual(failed, [], `${d.uid}: failed panels`);
    assert.ok(panels.length > 0, `${d.uid} has panels`);
    if (d.uid === 'deploy-freshness') {
      // The demo's billing and auth last deployed over 30 days ago: the
      // good-when-empty panel is red and names them.
      await page.locator('.dash-panel.expect-bad .expect-count').waitFor();
      const services = await page.$$eval('.dash-panel.expect-bad tbody tr td:first-child', (tds) => tds.map((td) => td.textContent).sort());
      assert.deepEqual(services, ['auth', 'billing']);
    }
    await shot(page, 'dashboard-' + d.uid);
  }
});

test('a variable change reruns the panels and a copied URL reopens the view', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/d/service-health');
  await drawn(page);
  const runs = [];
  page.on('request', (r) => { if (r.url().includes('/panels/') && r.method() === 'POST') runs.push(JSON.parse(r.postData())); });
  await page.selectOption('select[name="var-step"]', '5m');
  await page.waitForURL((u) => u.searchParams.get('var-step') === '5m');
  await drawn(page);
  assert.ok(runs.length > 0 && runs.every((b) => b.vars.step[0] === '5m'), 'the panels ran again with step 5m');
  await page.fill('input[name="var-service"]', 'checkout');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('var-service') === 'checkout');
  await drawn(page);
  const url = page.url();

  const again = await openPage(t);
  await again.goto(url);
  await drawn(again);
  assert.equal(await again.inputValue('select[name="var-step"]'), '5m');
  assert.equal(await again.inputValue('input[name="var-service"]'), 'checkout');
});

test('the panel menu shows SQL, inspects data and downloads CSV', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/d/service-health');
  await drawn(page);
  const panel = page.locator('.dash-panel[data-state="done"]').first();
  await panel.locator('.panel-menu summary').click();
  await panel.locator('.menu-item', { hasText: 'View SQL' }).click();
  assert.match(await panel.locator('.sql-text').textContent(), /SELECT/i);
  await panel.locator('.panel-menu summary').click();
  await panel.locator('.menu-item', { hasText: 'Inspect data' }).click();
  await panel.locator('.panel-extra table').waitFor();
  await panel.locator('.panel-menu summary').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), panel.locator('.menu-item', { hasText: 'Download CSV' }).click()]);
  const text = readFileSync(await dl.path(), 'utf8');
  assert.ok(text.split('\n')[0].length > 0, 'the CSV has a header');
});
