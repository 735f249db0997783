// Browser test for budgets: with demo traffic the shipped all_logs_hourly
// budget counts usage, and the Budgets page shows its card with usage,
// capacity, state, scope and the rule for overlapping budgets, draws its
// chart without page errors, resets it with a reason (the API then carries
// reset_at), and fits a 390 px screen. A minute budget written through the
// API shows its earlier periods (exceeded, with their alerts) and the
// budget it overlaps.
//
//   node --test ui/e2e/budgets.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshot:
// test-output/ui/budgets.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { BIN, OUT, ROOT, startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

const BUDGET = 'all_logs_hourly';
const SPIKE = 'spike_guard';
const SPIKE_YAML = `id: ${SPIKE}
owner: sre
description: a minute's spike guard over every record
scope: "true"
capacity: 100 events
period: minute
action: keep
notify: [log]
`;

let srv = null;
let demo = null;
let browser = null;
let base = '';

process.on('exit', () => demo && demo.kill('SIGKILL'));

before(async () => {
  srv = await startServer({ name: 'budgets-server' });
  base = srv.base;
  const log = createWriteStream(path.join(OUT, 'budgets-demo.log'));
  demo = spawn(BIN, ['demo', '--kafka-addr', srv.kafkaAddr, '--rate', '200'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout.pipe(log, { end: false });
  demo.stderr.pipe(log, { end: false });
  const put = await fetch(base + '/api/v1/budgets/' + SPIKE, { method: 'PUT', headers: { 'Content-Type': 'application/yaml' }, body: SPIKE_YAML });
  assert.equal(put.status, 201, await put.text());
  await srv.waitFor(`${BUDGET} to count usage`, async () => {
    const r = await getJSON(base + '/api/v1/budgets');
    return r.status === 200 && r.body.budgets.some((b) => b.id === BUDGET && b.usage > 0);
  }, 150000);
  browser = await launchBrowser();
}, { timeout: 240000 });

after(async () => {
  if (browser) await browser.close();
  if (demo) demo.kill('SIGTERM');
  if (srv) await srv.stop();
});

test('the Budgets page shows the budget, draws its chart, resets it, and fits 390 px', async (t) => {
  const page = await open(t, browser.context);
  await page.goto(base + '/budgets');
  await page.locator('#nav a[href="/budgets"].active').waitFor();
  const card = page.locator(`section.budget-card[data-budget="${BUDGET}"]`);
  await card.waitFor();
  const usage = (await card.locator('[data-field="usage"]').innerText()).trim();
  assert.match(usage, /^[\d,]+ events of 300,000 events/, usage);
  assert.notEqual(usage.split(' ')[0], '0', 'usage so far is above zero');
  const state = await card.locator('.card-head .state').getAttribute('data-state');
  assert.ok(['ok', 'threshold_crossed', 'forecast_over', 'exceeded', 'forecast_under'].includes(state), `state ${state}`);
  assert.match(await card.locator('[data-field="forecast"]').innerText(), /no forecast yet|events/);
  assert.match(await card.locator('[data-field="period"]').innerText(), /^hourly: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d – /);
  assert.equal(await card.locator('a[data-link="dashboard"]').getAttribute('href'), '/d/log-ingest');

  // The chart: uPlot's canvas, with the capacity as its threshold line.
  const chart = card.locator('[data-chart="usage"]');
  await chart.locator('canvas').first().waitFor();
  assert.equal(await chart.getAttribute('data-state'), 'done');
  assert.equal(await chart.getAttribute('data-threshold'), '300000');
  await shot(page, 'budgets');

  // Reset with a reason: the card confirms it and the API carries reset_at.
  await card.locator('button[data-action="reset"]').click();
  await card.locator('input[name="reset-reason"]').fill('browser test: usage counted again');
  await card.locator('form[data-form="reset"] button[type="submit"]').click();
  await page.locator(`section.budget-card[data-budget="${BUDGET}"] [data-field="reset_at"], section.budget-card[data-budget="${BUDGET}"] [data-reset="done"]`).first().waitFor();
  const r = await getJSON(base + '/api/v1/budgets');
  const b = r.body.budgets.find((x) => x.id === BUDGET);
  assert.ok(b.reset_at, 'the API shows reset_at after the reset');
  await page.locator(`section.budget-card[data-budget="${BUDGET}"] [data-field="reset_at"]`).waitFor();

  // The minute budget: its earlier periods, exceeded, with their alerts,
  // and the budget it overlaps. The evaluator judges once a minute.
  await srv.waitFor(`${SPIKE} to have an earlier period with an alert`, async () => {
    const res = await getJSON(base + '/api/v1/budgets');
    const x = res.body.budgets.find((y) => y.id === SPIKE);
    return x && x.history.some((p) => p.exceeded && p.alerts.includes('exceeded'));
  }, 150000);
  await page.reload();
  const spike = page.locator(`section.budget-card[data-budget="${SPIKE}"]`);
  await spike.waitFor();
  assert.equal((await spike.locator('[data-field="scope"]').innerText()).trim(), 'true');
  assert.match(await spike.locator('[data-field="overlaps"]').innerText(), new RegExp(BUDGET));
  assert.match(await page.locator('[data-note="overlaps"]').innerText(), /strictest action wins/);
  const over = spike.locator('table[data-table="budget-history"] tr[data-exceeded="true"]').first();
  await over.waitFor();
  assert.match(await over.innerText(), /exceeded/);
  await spike.scrollIntoViewIfNeeded();
  await shot(page, 'budgets-history');

  // The log-ingest dashboard charts the budget's volume against its bounds.
  await page.goto(base + '/d/log-ingest');
  const bp = page.locator('.dash-panel', { hasText: 'Budget usage against its bounds' });
  await bp.waitFor();
  await page.waitForFunction((title) => [...document.querySelectorAll('.dash-panel')].some((p) => p.querySelector('.panel-title')?.textContent.includes(title) && p.dataset.state === 'done'),
    'Budget usage against its bounds', { timeout: 60000 });
  await bp.locator('canvas').first().waitFor();
  const legend = await bp.innerText();
  assert.match(legend, /usage/);
  assert.match(legend, /capacity/);
  await bp.scrollIntoViewIfNeeded();
  await shot(page, 'budgets-dashboard-panel');
  await page.goto(base + '/budgets');
  await page.locator(`section.budget-card[data-budget="${BUDGET}"]`).waitFor();

  // A phone's width: no horizontal scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390 px`);
  await shot(page, 'budgets-390');
});
