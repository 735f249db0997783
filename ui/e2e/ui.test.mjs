// Browser tests for the logmart web UI, against the real server binary.
//
//   node --test ui/e2e/
//
// Environment:
//   LOGMART_BIN  server binary (default bin/logmart, relative to the repo root)
//   CHROMIUM     browser executable (default /usr/bin/chromium)
//
// The test starts `logmart serve` on free loopback ports with a fresh data
// directory (no tokens: loopback mode), produces demo traffic with
// `logmart demo`, and drives headless Chromium through Overview, Logs and
// Explore's ad-hoc SQL tab. Screenshots go to test-output/ui/*.png, the server's and the demo's
// output to test-output/ui/*.log. A missing binary or browser fails the run;
// nothing is skipped. auth.test.mjs covers a server with tokens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

let srv = null; // the running server
let browser = null;
let base = '';

before(async () => {
  srv = await startServer({ name: 'server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '3000'], 'demo.log', 180000);
  await srv.waitFor('the overview to count rows', async () => {
    const r = await getJSON(base + '/api/v1/overview?minutes=15');
    if (r.status !== 200) throw new Error(`GET /api/v1/overview: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.totals && r.body.totals.rows > 0;
  }, 120000);
  browser = await launchBrowser();
}, { timeout: 420000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

// parseCompact reads the tiles' 1,234 / 1.2k / 3.4M back into a number.
function parseCompact(s) {
  const m = /^([\d.,]+)\s*([kMBT]?)$/.exec(s.trim());
  if (!m) return NaN;
  const mult = { '': 1, k: 1e3, M: 1e6, B: 1e9, T: 1e12 }[m[2]];
  return Number(m[1].replace(/,/g, '')) * mult;
}

test('overview shows tiles, charts, streams and services, and refreshes', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/');
  await page.waitForSelector('[data-page="overview"][data-loaded="true"]');

  const tile = (k) => page.locator(`[data-tile="${k}"] .tile-value`).innerText();
  const rows = parseCompact(await tile('rows'));
  assert.ok(rows > 0, `rows tile shows ${await tile('rows')}`);
  assert.match(await tile('disk'), /^\d[\d,.]* (B|KiB|MiB|GiB|TiB)$/);
  assert.ok(Number.isFinite(parseCompact(await tile('rpm'))), `rows/min tile shows ${await tile('rpm')}`);
  assert.ok(parseCompact(await tile('services')) >= 1, `services tile shows ${await tile('services')}`);

  // Charts: the binary under test is built after `make ui`, so uPlot is embedded.
  for (const name of ['rate', 'levels']) {
    const box = page.locator(`[data-chart="${name}"]`);
    assert.equal(await box.locator('.charts-unavailable').count(), 0, `${name} chart says charts are unavailable: was the binary built after make ui?`);
    await box.locator('canvas').first().waitFor();
    const size = await box.locator('canvas').first().boundingBox();
    assert.ok(size.width > 200 && size.height > 100, `${name} chart canvas is ${size.width}x${size.height}`);
  }

  const streamRows = page.locator('[data-table="streams"] tbody tr');
  assert.ok(await streamRows.count() >= 1, 'streams table has no rows');
  const streamCells = await streamRows.first().locator('td').allInnerTexts();
  assert.ok(streamCells[0].trim().length > 0, 'stream name is empty');
  assert.ok(Number(streamCells[1].replace(/,/g, '')) > 0, `stream rows cell is ${streamCells[1]}`);
  assert.match(streamCells[2], /^\d[\d,.]* (B|KiB|MiB|GiB|TiB)$/);

  const serviceRows = page.locator('[data-table="services"] tbody tr');
  assert.ok(await serviceRows.count() >= 1, 'services table has no rows');
  const svcCells = await serviceRows.first().locator('td').allInnerTexts();
  assert.ok(Number(svcCells[1].replace(/,/g, '')) > 0, `service rows cell is ${svcCells[1]}`);
  assert.match(svcCells[2], /^\d[\d,]*$/, 'errors column is a count');

  assert.equal(await page.locator('#health').getAttribute('data-state'), 'ok');
  assert.match(await page.locator('#whoami').innerText(), /admin/i);
  await shot(page, 'overview');

  // Auto-refresh: another overview request within the 10 s period.
  await page.waitForRequest((r) => r.url().includes('/api/v1/overview?minutes=15'), { timeout: 15000 });
});

test('logs: searching one service returns only its rows; a row expands', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs');
  await page.waitForSelector('select[name="service"][data-loaded="true"]');
  const services = await page.locator('select[name="service"] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(services.length > 0, 'service select has no services');
  const svc = services[0];

  await page.selectOption('select[name="range"]', '1h');
  await page.selectOption('select[name="service"]', svc);
  await page.click('form[role="search"] button[type="submit"]');
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('service'), svc, 'the search is not in the URL');
  assert.equal(url.searchParams.get('range'), '1h');

  const rows = page.locator('table.logs tbody tr.log-row');
  const n = await rows.count();
  assert.ok(n > 0, `no log rows for service ${svc}`);
  const shown = await page.locator('table.logs tbody tr.log-row td.col-service').allInnerTexts();
  assert.deepEqual([...new Set(shown)], [svc], 'rows from other services were returned');
  assert.match(await page.locator('.stats').first().innerText(), /^\d[\d,]* rows? · read [\d,]+ rows/);
  // Levels are coloured badges.
  assert.ok(await page.locator('table.logs td.col-level .lvl').count() === n);

  await rows.first().click();
  const detail = page.locator('tr.log-detail').first();
  await detail.waitFor();
  const detailText = await detail.innerText();
  for (const col of ['timestamp', 'service', 'host', 'level', 'body']) {
    assert.ok(detailText.includes(col), `expanded row lacks ${col}`);
  }
  await shot(page, 'logs');

  // Text filter: a word from the first body finds rows that contain it.
  const body = await rows.first().locator('td.col-body').innerText();
  const word = (body.match(/[A-Za-z][A-Za-z0-9_]{3,}/) || [])[0];
  if (word) {
    await page.fill('input[name="q"]', word);
    await page.click('form[role="search"] button[type="submit"]');
    await page.waitForSelector('[data-page="logs"][data-state="done"]');
    const bodies = await page.locator('table.logs td.col-body').allInnerTexts();
    assert.ok(bodies.length > 0, `searching "${word}" found nothing, though a row contains it`);
    for (const b of bodies) assert.ok(b.toLowerCase().includes(word.toLowerCase()), `row without "${word}": ${b}`);
  }

  // Back returns to the previous search, from the URL.
  await page.goBack();
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  assert.equal(await page.inputValue('input[name="q"]'), '');
});

test('logs: a malformed from shows the API error in place', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/logs?from=not-a-time&to=2026-01-01T00:00:00Z');
  const err = page.locator('.results .error');
  await err.waitFor();
  const text = await err.innerText();
  assert.match(text, /from/, 'the error does not name the field');
  assert.match(text, /not-a-time/);
  assert.equal(await page.locator('table.logs').count(), 0);
  await shot(page, 'logs-error');
});

test('sql: /sql leads to the ad-hoc SQL tab; count() shows a number, a write is refused read-only, the draft is kept', async (t) => {
  const page = await openPage(t);
  // The old SQL page's address, with its ?sql=, opens Explore's SQL tab.
  await page.goto(base + '/sql?' + new URLSearchParams({ sql: 'SELECT count() FROM logs' }));
  await page.waitForSelector('[data-page="explore"] textarea[name="sql"]');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/explore');
  assert.equal(url.searchParams.get('mode'), 'sql');
  assert.match(await page.locator('.tabs .tab.active').innerText(), /Ad-hoc SQL/);
  const editor = page.locator('textarea[name="sql"]');
  assert.equal(await editor.inputValue(), 'SELECT count() FROM logs');
  await page.click('.sql-form button[type="submit"]');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const cell = await page.locator('.results table tbody tr td').first().innerText();
  assert.ok(Number(cell) > 0, `count() cell is ${JSON.stringify(cell)}`);
  assert.match(await page.locator('.page-head .stats').innerText(), /^1 row/);
  await shot(page, 'sql');

  const write = "INSERT INTO logs (body) VALUES ('written from the UI test')";
  await editor.fill(write);
  await editor.press('Control+Enter');
  await page.waitForSelector('[data-page="explore"][data-state="error"]');
  const err = await page.locator('.results .error').innerText();
  assert.match(err, /read.?only|only reads/i, `a write was not refused as read-only: ${err}`);
  await shot(page, 'sql-error');

  // The last query is kept as a draft for the next visit.
  await page.goto(base + '/explore?mode=sql');
  await page.waitForSelector('textarea[name="sql"]');
  assert.equal(await editor.inputValue(), write);
});

test('hostile values render as text, never as markup', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/explore?mode=sql');
  const img = '<img src=x onerror="window.__pwned=1">';
  const script = '<script>window.__pwned=2</script>';
  await page.locator('textarea[name="sql"]').fill(`SELECT '${img}' AS "<b>col</b>", '${script}' AS s`);
  await page.click('.sql-form button[type="submit"]');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const cells = await page.locator('.results table tbody td').allInnerTexts();
  assert.deepEqual(cells, [img, script]);
  assert.equal(await page.locator('.results table thead th').first().textContent(), '<b>col</b>');
  assert.equal(await page.locator('.results img, .results script, .results b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
});

test('client-side routes: deep links load the app, nav does not reload', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/no-such-page/abc123');
  await page.waitForSelector('#nav a[href="/logs"]');
  assert.match(await page.locator('#main').innerText(), /Page not found/);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.click('#nav a[href="/logs"]');
  await page.waitForSelector('[data-page="logs"]');
  assert.equal(new URL(page.url()).pathname, '/logs');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'nav reloaded the page');
  assert.match(await page.locator('#nav a.active').innerText(), /Logs/);
  await page.goBack();
  await page.waitForFunction(() => location.pathname === '/no-such-page/abc123');
  assert.match(await page.locator('#main').innerText(), /Page not found/);

  // A missing asset is a 404, not the app shell.
  const res = await page.request.get(base + '/pages/missing.js');
  assert.equal(res.status(), 404);
});
