// Browser tests for the Logs page's daily tools and the run controls every
// page shares: the volume histogram and its zoom, facets, filters from an
// opened line, show context, older pages, the live tail (a line sent with
// kcat appears without a reload), cancel of a long statement in the engine,
// CSV export that round-trips through a CSV parser, saved searches, the
// keyboard shortcuts and the narrow-screen layout.
//
//   node --test ui/e2e/logs.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs); kcat on PATH.
// Screenshots go to test-output/ui/logs-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

let srv = null;
let browser = null;
let base = '';

// kcat sends lines (JSON, one per element) to topic logs.
function kcat(lines) {
  const r = spawnSync('kcat', ['-P', '-b', srv.kafkaAddr, '-t', 'logs'], { input: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
  if (r.error) throw new Error('cannot run kcat: ' + r.error.message);
  assert.equal(r.status, 0, 'kcat: ' + String(r.stderr));
}

async function sql(q) {
  const res = await fetch(base + '/api/v1/sql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sql: q }) });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.rows;
}

// parseCSV reads RFC 4180 CSV: quoted fields with commas, doubled quotes
// and line breaks. Written here, apart from the server's writer.
function parseCSV(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(f); rows.push(row); row = []; f = '';
    } else f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

before(async () => {
  srv = await startServer({ name: 'logs-server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '3000'], 'logs-demo.log', 180000);
  await srv.waitFor('the demo lines', async () => {
    const r = await getJSON(base + '/api/v1/logs?from=now-1h&limit=1');
    return r.status === 200 && r.body.rows.length > 0;
  }, 120000);
  browser = await launchBrowser({ timezoneId: 'America/New_York' });
}, { timeout: 420000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

async function loaded(page) {
  await page.waitForFunction(() => ['done', 'error', 'live'].includes(document.querySelector('[data-page="logs"]')?.dataset.state));
}

test('histogram, facets and zoom', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?range=1h');
  await loaded(page);
  await page.waitForSelector('.log-histogram[data-buckets] canvas');
  assert.ok(Number(await page.getAttribute('.log-histogram', 'data-buckets')) > 0, 'the histogram has buckets');
  await page.waitForSelector('.facet[data-field="level"] .facet-value');
  await shot(page, 'logs-histogram-facets');

  // A facet value filters: every line shown then has it.
  const value = await page.getAttribute('.facet[data-field="service"] .facet-value', 'data-value');
  await page.click(`.facet[data-field="service"] .facet-value[data-value="${value}"]`);
  await page.waitForURL((u) => u.searchParams.get('service') === value);
  await loaded(page);
  const services = await page.$$eval('tr.log-row .col-service', (tds) => tds.map((td) => td.textContent));
  assert.ok(services.length > 0 && services.every((s) => s === value), `every line is from ${value}: ${services}`);

  // Dragging across the histogram zooms the range in.
  const box = await page.locator('.log-histogram .u-over').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL((u) => u.searchParams.get('from') && u.searchParams.get('to'));
  const u = new URL(page.url());
  const span = Date.parse(u.searchParams.get('to')) - Date.parse(u.searchParams.get('from'));
  assert.ok(span > 0 && span < 3600 * 1000 * 0.6, `the zoomed range is part of the hour: ${span} ms`);
  assert.equal(u.searchParams.get('service'), value, 'zooming keeps the filters');
});

test('an opened line shows every attribute, filters on one, and shows its context', async (t) => {
  const tag = 'ctx-' + Date.now();
  const t0 = Date.now() - 60000;
  kcat([1, 2, 3, 4, 5].map((i) => ({ time: new Date(t0 + i).toISOString(), level: 'info', service: 'ctx-svc', host: 'ctx-host', message: `${tag} line ${i}`, route: `/r${i}`, 'user.id': 'u-' + i })));
  await srv.waitFor('the context lines', async () => (await getJSON(base + `/api/v1/logs?from=now-1h&service=ctx-svc&q=${tag}`)).body.rows.length === 5, 30000);
  const page = await openPage(t);
  await page.goto(base + `/logs?range=1h&service=ctx-svc&q=${tag}`);
  await loaded(page);
  const third = page.locator('tr.log-row', { hasText: `${tag} line 3` });
  await third.click();
  const detail = page.locator('tr.log-detail');
  await detail.locator('dl.attrs').waitFor();
  const keys = await detail.locator('dl.attrs dt').allTextContents();
  assert.ok(keys.includes('route') && keys.includes('user.id'), `attributes shown: ${keys}`);

  await detail.locator('button.show-context').click();
  await detail.locator('.log-context table').waitFor();
  const ctxRows = await detail.locator('.log-context tr.log-row .col-body').allTextContents();
  assert.deepEqual(ctxRows.filter((b) => b.includes(tag)), [1, 2, 3, 4, 5].map((i) => `${tag} line ${i}`), 'context lines oldest first');
  assert.equal(await detail.locator('.log-context tr.log-anchor').count(), 1, 'the line itself is marked');
  await shot(page, 'logs-context');

  await detail.locator('dd:has-text("/r3") button.filter-on').click();
  await page.waitForURL((u) => u.searchParams.get('attr.route') === '/r3');
  await loaded(page);
  assert.equal(await page.locator('tr.log-row').count(), 1);
  assert.equal(await page.locator('.chip[data-filter="attr.route"] .chip-v').textContent(), '/r3');
  await page.click('.chip[data-filter="attr.route"] .chip-x');
  await page.waitForURL((u) => !u.searchParams.has('attr.route'));
});

test('older lines come a page at a time, each once', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?range=1h&limit=50');
  await loaded(page);
  assert.equal(await page.locator('tr.log-row').count(), 50);
  await page.click('button.load-more');
  await page.waitForFunction(() => document.querySelectorAll('tr.log-row').length > 50);
  const keys = await page.$$eval('tr.log-row', (trs) => trs.map((tr) => tr.dataset.line));
  assert.equal(new Set(keys).size, keys.length, 'no line twice');
  const times = await page.$$eval('tr.log-row .col-timestamp', (tds) => tds.map((td) => td.dataset.time));
  for (let i = 1; i < times.length; i++) assert.ok(Date.parse(times[i]) <= Date.parse(times[i - 1]), 'newest first across pages');
});

test('live tail shows a line sent with kcat without a reload, and pauses', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?live=1&service=tail-svc');
  await page.waitForFunction(() => document.querySelector('[data-page="logs"]')?.dataset.state === 'live');
  await page.evaluate(() => { window.sameDocument = true; });
  const tag = 'tail-' + Date.now();
  const started = Date.now();
  kcat([{ level: 'error', service: 'tail-svc', message: `${tag} arrived` }]);
  const sent = Date.now();
  await page.locator('tr.log-row', { hasText: `${tag} arrived` }).waitFor({ timeout: 20000 });
  const seen = Date.now();
  t.diagnostic(`live tail showed the kcat line ${seen - sent} ms after kcat exited (${seen - started} ms after it started)`);
  assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');
  await shot(page, 'logs-live');

  await page.click('button.tail-pause');
  const tag2 = 'paused-' + Date.now();
  kcat([{ level: 'info', service: 'tail-svc', message: `${tag2} waits` }]);
  await srv.waitFor('the paused line to be stored', async () => (await getJSON(base + `/api/v1/logs?from=now-1h&q=${tag2}`)).body.rows.length === 1, 30000);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('tr.log-row', { hasText: tag2 }).count(), 0, 'a paused tail shows nothing new');
  await page.click('button.tail-pause');
  await page.locator('tr.log-row', { hasText: tag2 }).waitFor({ timeout: 20000 });
});

test('cancel stops a long statement in the engine', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/explore?mode=sql');
  await page.fill('textarea.sql-editor', 'SELECT count() FROM numbers_mt(40000000000) WHERE sipHash64(number) = 0');
  await page.keyboard.press('Control+Enter');
  const progress = page.locator('.run-progress');
  await progress.waitFor();
  await page.waitForFunction(() => /read [\d,]+ rows/.test(document.querySelector('.run-progress .run-text')?.textContent || '') && !/read 0 rows/.test(document.querySelector('.run-progress .run-text').textContent));
  const id = await progress.getAttribute('data-statement');
  await shot(page, 'logs-cancel-progress');
  const running = await sql(`SELECT count() FROM system.processes WHERE query LIKE '%q=${id} %' AND query NOT LIKE '%system.processes%'`);
  assert.equal(Number(running[0][0]), 1, 'the statement runs in the engine');
  await page.click('.run-progress .run-cancel');
  await page.waitForFunction(() => document.querySelector('[data-page="explore"]')?.dataset.state === 'cancelled');
  await srv.waitFor('the statement to leave the process list', async () => {
    const rows = await sql(`SELECT count() FROM system.processes WHERE query LIKE '%q=${id} %' AND query NOT LIKE '%system.processes%'`);
    return Number(rows[0][0]) === 0;
  }, 10000);
});

test('CSV export from Logs round-trips commas, quotes and line breaks', async (t) => {
  const tag = 'csv-' + Date.now();
  const bodies = [`${tag} plain`, `${tag} comma, inside`, `${tag} "quoted", twice ""`, `${tag} two\nlines, "and" more`];
  kcat(bodies.map((m) => ({ level: 'warn', service: 'csv-svc', message: m })));
  await srv.waitFor('the CSV lines', async () => (await getJSON(base + `/api/v1/logs?from=now-1h&q=${tag}`)).body.rows.length === bodies.length, 30000);
  const page = await openPage(t);
  await page.goto(base + `/logs?range=1h&q=${tag}`);
  await loaded(page);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('button[data-export="csv"]')]);
  assert.match(dl.suggestedFilename(), /^logmart-logs-.*\.csv$/);
  const rows = parseCSV(readFileSync(await dl.path(), 'utf8'));
  const head = rows[0];
  const got = rows.slice(1).map((r) => r[head.indexOf('body')]).sort();
  assert.deepEqual(got, [...bodies].sort());
  // Times come in the zone the header shows (UTC by default), with the offset.
  for (const r of rows.slice(1)) assert.match(r[head.indexOf('timestamp')], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('a saved search is listed, opens, and is deleted', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?range=6h&level=error');
  await loaded(page);
  await page.click('text=Save search');
  const name = 'errors ' + Date.now();
  await page.fill('input[name="search-name"]', name);
  await page.click('.save-form button[type="submit"]');
  await page.locator('.save-msg.saved').waitFor();
  await page.goto(base + '/saved');
  const row = page.locator('[data-list="searches"] tr', { hasText: name });
  await row.waitFor();
  await shot(page, 'logs-saved');
  await row.locator('a').click();
  await page.waitForURL((u) => u.pathname === '/logs' && u.searchParams.get('range') === '6h' && u.searchParams.get('level') === 'error');
  await page.goto(base + '/saved');
  await page.locator('[data-list="searches"] tr', { hasText: name }).locator('button', { hasText: 'Delete' }).click();
  await page.locator('[data-list="searches"] tr', { hasText: name }).waitFor({ state: 'detached' });
  const left = (await getJSON(base + '/api/v1/searches')).body.searches.filter((s) => s.name === name);
  assert.equal(left.length, 0);
});

test('a shared link is listed on the Saved page and deleted there', async (t) => {
  const res = await fetch(base + '/api/v1/links', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ template: 'log_volume_by_level', from: 'now-1h', to: 'now', title: 'link to delete ' + Date.now() }) });
  const link = await res.json();
  assert.equal(res.status, 201, JSON.stringify(link));
  const page = await openPage(t);
  await page.goto(base + '/saved');
  const row = page.locator(`[data-list="links"] tr[data-id="${link.id}"]`);
  await row.waitFor();
  await row.locator('button', { hasText: 'Delete' }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await getJSON(base + '/api/v1/links/' + link.id)).status, 404, 'the deleted link is gone');
});

test('keyboard: / focuses search, ? shows the shortcuts, Ctrl+Enter runs', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?range=15m');
  await loaded(page);
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'q');
  await page.keyboard.type('kbd-check');
  await page.keyboard.press('Control+Enter');
  await page.waitForURL((u) => u.searchParams.get('q') === 'kbd-check');
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  await page.locator('dialog.keys-dialog[open]').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('dialog.keys-dialog[open]').waitFor({ state: 'detached' });
});

test('narrow screens: no page scrolls sideways', async (t) => {
  const page = await openPage(t);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/', '/logs?range=1h', '/explore', '/saved']) {
    await page.goto(base + path);
    await page.waitForLoadState('networkidle');
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 1, `${path} is ${over}px wider than the screen`);
  }
  await page.goto(base + '/logs?range=1h');
  await loaded(page);
  await shot(page, 'logs-narrow');
});
