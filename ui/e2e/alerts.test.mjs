// Browser tests for alerts: a monitor fires on demo traffic, and the
// Alerts page shows it with its state, value and threshold, the pinned
// link opens the rows the monitor saw, the dashboard link opens the
// dashboard with the group's service, a silence made on the page is
// listed here and in the API, the log channel's delivery shows as sent,
// the monitor's page draws its history with the threshold line and the
// alerting time shaded, and the pages fit a 390 px screen.
//
//   node --test ui/e2e/alerts.test.mjs
//
// The shipped error_burst monitor waits for the demo's first incident
// (minutes), so it is checked last, in the API and on the page. The other
// checks use a monitor the test adds through the API, over the same
// template with a low threshold, that fires on the demo's everyday errors
// within seconds; it goes through the same evaluation, outbox and log
// channel.
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshots go to
// test-output/ui/alerts-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { BIN, OUT, ROOT, startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

const MONITOR = 'ui_error_quick';
const MONITOR_YAML = `id: ${MONITOR}
title: Errors in a service (browser test)
description: More than one error line a minute from a service.
owner: sre
severity: warning
template: {id: errors_by_service, version: 1}
params: {step: 1m}
every: 15s
range: 5m
condition: {column: errors, reduce: max, above: 1}
group_by: [service]
labels: {team: sre}
dashboard: {uid: service-health, vars: {service: $service, step: 1m}}
playbook: https://runbooks.logmart.dev/error-burst
notify: [log]
`;

let srv = null;
let demo = null;
let browser = null;
let base = '';
let alert = null; // the firing alert the page tests look at
let demoStarted = 0;

process.on('exit', () => demo && demo.kill('SIGKILL'));

before(async () => {
  srv = await startServer({ name: 'alerts-server' });
  base = srv.base;
  // Demo traffic for the whole run, as `serve --demo` makes it.
  const log = createWriteStream(path.join(OUT, 'alerts-demo.log'));
  demoStarted = Date.now();
  demo = spawn(BIN, ['demo', '--kafka-addr', srv.kafkaAddr, '--rate', '200'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout.pipe(log, { end: false });
  demo.stderr.pipe(log, { end: false });
  const put = await fetch(`${base}/api/v1/monitors/${MONITOR}`, { method: 'PUT', headers: { 'Content-Type': 'application/yaml' }, body: MONITOR_YAML });
  assert.ok(put.ok, `PUT the test monitor: ${put.status} ${await put.text()}`);
  alert = await srv.waitFor(`${MONITOR} to fire`, async () => {
    const r = await getJSON(base + '/api/v1/alerts');
    const firing = r.status === 200 ? r.body.alerts.filter((a) => a.monitor === MONITOR && a.state === 'firing' && a.link && a.dashboard_url) : [];
    // The loudest service stays firing longest.
    return firing.sort((a, b) => b.value - a.value)[0];
  }, 180000);
  await srv.waitFor('the log channel to deliver the trigger', async () => {
    const r = await getJSON(base + '/api/v1/notifications?channel=log&state=sent&monitor=' + MONITOR);
    return r.status === 200 && r.body.notifications.some((n) => n.action === 'trigger');
  }, 60000);
  browser = await launchBrowser();
}, { timeout: 300000 });

after(async () => {
  if (browser) await browser.close();
  if (demo) demo.kill('SIGTERM');
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

// alertRow is the firing alert's row on /alerts, once listed.
async function alertRow(page) {
  await page.goto(base + '/alerts');
  const row = page.locator(`tr.alert-row[data-monitor="${MONITOR}"][data-group="${alert.group}"]`);
  await row.waitFor();
  return row;
}

test('the Alerts page lists the firing alert with its state, value, threshold and context', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/');
  await page.locator('#nav a[href="/alerts"]').click();
  await page.waitForURL((u) => u.pathname === '/alerts');
  const row = page.locator(`tr.alert-row[data-monitor="${MONITOR}"][data-group="${alert.group}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.state').getAttribute('data-state'), 'firing');
  assert.equal(await row.locator('.alert-title').textContent(), 'Errors in a service (browser test)');
  assert.equal(await row.locator('.label[data-label="service"] .chip-v').textContent(), alert.labels.service);
  assert.match(await row.textContent(), /vs errors > 1/);
  assert.match(await row.locator('.alert-since').textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.equal(await row.locator('a[data-link="playbook"]').getAttribute('href'), 'https://runbooks.logmart.dev/error-burst');
  // The links open on this origin, whatever alerts.base_url says.
  assert.match(await row.locator('a[data-link="pinned"]').getAttribute('href'), /^\/s\/[^/]+$/);
  assert.match(await row.locator('a[data-link="dashboard"]').getAttribute('href'), /^\/d\/service-health\?/);

  // Deliveries: the log channel's trigger, sent, with its payload.
  const sent = page.locator('[data-list="deliveries"] tr[data-channel="log"][data-state="sent"]').first();
  await sent.waitFor();
  assert.equal((await sent.locator('td').nth(4).textContent()).trim(), '200');
  await sent.locator('details.payload summary').click();
  const payload = JSON.parse(await sent.locator('.payload-json').textContent());
  assert.ok(payload.link && payload.title, 'the payload carries the link and title');

  // Filtered to failed deliveries, the list has none of them.
  await page.selectOption('select[name="delivery-state"]', 'failed');
  await page.locator('[data-list="deliveries"] tr[data-state="sent"]').first().waitFor({ state: 'detached' });
  await page.selectOption('select[name="delivery-state"]', '');
  await page.locator('[data-list="deliveries"] tr[data-state="sent"]').first().waitFor();
  await page.locator(`[data-list="noise"] tr[data-monitor="${MONITOR}"]`).waitFor();
  await page.locator('[data-list="monitors"] tr[data-monitor="error_burst"]').waitFor();
  await shot(page, 'alerts');
});

test('the pinned link opens a shared link with the rows the monitor saw', async (t) => {
  const page = await openPage(t);
  const row = await alertRow(page);
  await row.locator('a[data-link="pinned"]').click();
  await page.waitForURL((u) => u.pathname.startsWith('/s/'));
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('.page')?.dataset.state));
  assert.equal(await page.locator('.page').getAttribute('data-state'), 'done', await page.locator('.page').textContent());
  const rows = await page.locator('.link-section table.data tbody tr').count();
  assert.ok(rows > 0, 'the shared link shows rows');
  await shot(page, 'alerts-pinned-link');
});

test('the dashboard link opens the dashboard with the group\'s service', async (t) => {
  const page = await openPage(t);
  const row = await alertRow(page);
  await row.locator('a[data-link="dashboard"]').click();
  await page.waitForURL((u) => u.pathname === '/d/service-health');
  assert.equal(new URL(page.url()).searchParams.get('var-service'), alert.labels.service);
  await page.waitForSelector('.dash-panel');
  assert.equal(await page.inputValue('input[name="var-service"]'), alert.labels.service);
  await shot(page, 'alerts-dashboard');
});

test('a silence made on the page is listed there and in the API, and ends', async (t) => {
  const page = await openPage(t);
  const row = await alertRow(page);
  await row.locator('button[data-action="silence"]').click();
  const form = page.locator('form[data-form="silence"]');
  await form.waitFor();
  assert.equal(await form.locator('select[name="silence-duration"]').inputValue(), '2h');
  await form.locator('input[name="silence-comment"]').fill('browser test: known noisy');
  await form.locator('button[type="submit"]').click();
  const listed = page.locator(`[data-list="silences"] tr[data-monitor="${MONITOR}"]`);
  await listed.waitFor();
  assert.match(await listed.textContent(), /browser test: known noisy/);
  const api = (await getJSON(base + '/api/v1/silences')).body.silences;
  const s = api.find((x) => x.monitor === MONITOR && x.comment === 'browser test: known noisy');
  assert.ok(s, 'the silence is in /api/v1/silences');
  assert.deepEqual(s.matchers, alert.labels);
  const hours = (Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 3600e3;
  assert.ok(Math.abs(hours - 2) < 0.01, `the silence lasts 2h, not ${hours}h`);

  // Acknowledge takes a comment and says so.
  await row.locator('button[data-action="ack"]').click();
  await page.locator('form[data-form="ack"] input[name="ack-comment"]').fill('on it');
  await page.locator('form[data-form="ack"] button[type="submit"]').click();
  await row.locator('button[data-action="ack"]:disabled', { hasText: 'Acknowledged' }).waitFor();
  await shot(page, 'alerts-silenced');

  await page.locator(`[data-list="silences"] tr[data-silence="${s.id}"] button[data-action="end-silence"]`).click();
  await page.locator(`[data-list="silences"] tr[data-silence="${s.id}"]`).waitFor({ state: 'detached' });
  const left = (await getJSON(base + '/api/v1/silences')).body.silences;
  assert.ok(!left.some((x) => x.id === s.id), 'the ended silence is no longer active');
});

test('the monitor page draws the history with the threshold line and the firing shaded', async (t) => {
  const page = await openPage(t);
  const row = await alertRow(page);
  await row.locator('a.alert-title').click();
  await page.waitForURL((u) => u.pathname === `/alerts/monitor/${MONITOR}`);
  const chart = page.locator('[data-chart="history"]');
  await page.waitForFunction(() => ['done', 'error', 'empty'].includes(document.querySelector('[data-chart="history"]')?.dataset.state));
  assert.equal(await chart.getAttribute('data-state'), 'done', await chart.textContent());
  assert.equal(await chart.getAttribute('data-threshold'), '1');
  assert.ok(Number(await chart.getAttribute('data-bands')) >= 1, 'the firing interval is shaded');
  assert.ok(await chart.locator('canvas').count() >= 1, 'uPlot drew a canvas');
  // The dashed threshold line is red across the plot, on the canvas row
  // the chart says it drew it on.
  await page.waitForFunction(() => document.querySelector('[data-chart="history"]').dataset.thresholdY);
  const y = Number(await chart.getAttribute('data-threshold-y'));
  const red = await chart.locator('canvas').first().evaluate((c, row) => {
    let n = 0;
    for (const r of [row - 1, row, row + 1]) {
      const d = c.getContext('2d').getImageData(0, r, c.width, 1).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 40 && d[i] > 180 && d[i + 1] < 130 && d[i + 2] < 140) n++;
    }
    return n;
  }, y);
  assert.ok(red > 100, `the threshold line is drawn (${red} red pixels on row ${y})`);
  assert.match(await page.locator('.monitor-def').textContent(), /errors_by_service v1/);
  await page.locator('[data-list="transitions"] tr[data-to="firing"]').first().waitFor();
  await page.locator('[data-list="deliveries"] tr[data-channel="log"][data-state="sent"]').first().waitFor();
  // The range picker redraws over the last hour, in the URL.
  await page.selectOption('select[name="range"]', '1h');
  await page.waitForURL((u) => u.searchParams.get('range') === '1h');
  await page.waitForFunction(() => document.querySelector('[data-chart="history"]')?.dataset.state === 'done');
  assert.ok(Number(await chart.getAttribute('data-bands')) >= 1, 'the firing interval is shaded over the last hour');
  await shot(page, 'alerts-monitor');

  // The shipped monitor's page draws too, with its own threshold.
  await page.goto(base + '/alerts/monitor/error_burst?range=1h');
  await page.waitForFunction(() => ['done', 'error', 'empty'].includes(document.querySelector('[data-chart="history"]')?.dataset.state));
  assert.equal(await chart.getAttribute('data-state'), 'done', await chart.textContent());
  assert.equal(await chart.getAttribute('data-threshold'), '300');
  await shot(page, 'alerts-monitor-error_burst');
});

test('narrow screens: the alerts pages do not scroll sideways', async (t) => {
  const page = await openPage(t);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const p of ['/alerts', `/alerts/monitor/${MONITOR}`]) {
    await page.goto(base + p);
    await page.waitForLoadState('networkidle');
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 1, `${p} is ${over}px wider than the screen`);
  }
  await page.locator('[data-chart="history"][data-state="done"]').waitFor();
  await shot(page, 'alerts-monitor-narrow');
  await page.goto(base + '/alerts');
  await page.locator('[data-list="alerts"][data-loaded="true"]').waitFor();
  await shot(page, 'alerts-narrow');
});

test('the shipped error_burst monitor fires on the demo\'s first incident', async (t) => {
  // The demo's first incident starts 45–120 s in and floods one service's
  // logs; error_burst (every 20s over 2m) fires on it, then resolves a
  // minute after it ends: both show.
  const left = Math.max(30000, demoStarted + 300000 - Date.now());
  const burst = await srv.waitFor('error_burst to fire on a demo incident', async () => {
    const r = await getJSON(base + '/api/v1/alerts');
    return r.status === 200 && r.body.alerts.find((a) => a.monitor === 'error_burst' && ['firing', 'resolved'].includes(a.state));
  }, left);
  const page = await openPage(t);
  await page.goto(base + '/alerts');
  const row = page.locator(`tr.alert-row[data-monitor="error_burst"][data-group="${burst.group}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /vs errors > 300/);
  assert.match(await row.locator('a[data-link="pinned"]').getAttribute('href'), /^\/s\//);
  await shot(page, 'alerts-error-burst');
}, { timeout: 330000 });
