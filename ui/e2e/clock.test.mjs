// Browser tests for the one clock and for charts, with Chromium in New
// York time: every time on every page follows the header's zone setting
// (UTC by default, or the browser's) and agrees with the API, and every
// shipped template's chart draws the column its title names.
//
//   node --test ui/e2e/clock.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshots go to
// test-output/ui/clock-*.png and test-output/ui/template-<id>.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage as open, shot as fullShot, getJSON } from './harness.mjs';

const ZONE = 'America/New_York';

let srv = null;
let browser = null;
let base = '';
let templates = [];

before(async () => {
  srv = await startServer({ name: 'clock-server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '3000'], 'clock-demo.log', 180000);
  await srv.waitFor('the overview to count rows', async () => {
    const r = await getJSON(base + '/api/v1/overview?minutes=15');
    if (r.status !== 200) throw new Error(`GET /api/v1/overview: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.totals && r.body.totals.rows > 0;
  }, 120000);
  const r = await getJSON(base + '/api/v1/templates');
  assert.equal(r.status, 200);
  templates = r.body.templates || [];
  browser = await launchBrowser({ timezoneId: ZONE });
}, { timeout: 420000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullShot(page, name);
}

// wall writes an instant as "YYYY-MM-DD HH:MM:SS" in zone, the way the UI
// writes it, independently of the UI's code.
function wall(ms, zone) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour === '24' ? '00' : p.hour}:${p.minute}:${p.second}`;
}

const ZONED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

async function setZone(page, z) {
  await page.selectOption('#timezone', z);
}

test('the API writes times with their zone: log rows, SQL results, template runs, the overview', async () => {
  const logs = await getJSON(base + '/api/v1/logs?from=now-15m&to=now&limit=5');
  assert.equal(logs.status, 200);
  const ti = logs.body.columns.findIndex((c) => c.name === 'timestamp');
  assert.ok(ti >= 0 && logs.body.rows.length > 0);
  for (const r of logs.body.rows) assert.match(r[ti], ZONED, `log row timestamp ${r[ti]}`);

  const sql = await fetch(base + '/api/v1/sql', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sql: "SELECT toDateTime64('2026-11-21 10:00:00.250', 3) AS t, toDateTime('2026-11-21 10:00:00', 'America/New_York') AS ny" }),
  }).then((r) => r.json());
  assert.deepEqual(sql.rows[0], ['2026-11-21T10:00:00.250Z', '2026-11-21T10:00:00-05:00']);

  const ov = await getJSON(base + '/api/v1/overview?minutes=15');
  for (const s of ov.body.streams) assert.match(s.newest, ZONED, `stream ${s.name} newest ${s.newest}`);
  assert.deepEqual(ov.body.tables.map((t) => t.table), ['logs', 'events', 'metrics']);
});

test('one clock: logs rows, the picker, the header and a reload agree in UTC and in New York time', async (t) => {
  const page = await openPage(t);
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), ZONE, 'the browser does not run in New York time');
  // A custom range pinned in the URL, as a shared search would be.
  // Whole minutes, ending after the demo's rows.
  const to = Date.now() + 120000 - (Date.now() % 60000);
  const from = to - 3600 * 1000;
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
  await page.goto(`${base}/logs?from=${iso(from)}&to=${iso(to)}`);
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  assert.equal(await page.inputValue('#timezone'), 'utc', 'the default zone is UTC');

  const check = async (zone) => {
    const first = page.locator('table.logs tbody tr.log-row').first();
    const cell = first.locator('td.col-timestamp');
    const raw = await cell.getAttribute('data-time');
    assert.match(raw, ZONED, `the API gave the row's time as ${raw}`);
    const shown = await cell.innerText();
    assert.equal(shown.slice(0, 19), wall(Date.parse(raw), zone), `row time ${shown} for ${raw} in ${zone}`);
    // The picker shows the same range, in the same zone.
    assert.equal((await page.inputValue('input[name="from"]')).replace('T', ' ').slice(0, 16), wall(from, zone).slice(0, 16));
    assert.equal((await page.inputValue('input[name="to"]')).replace('T', ' ').slice(0, 16), wall(to, zone).slice(0, 16));
    const label = await page.locator('[data-zone="picker"]').innerText();
    assert.ok(zone === 'UTC' ? label === 'UTC' : label.startsWith(ZONE), `picker zone label ${label}`);
    const th = page.locator('table.logs thead th.col-timestamp');
    assert.match(await th.innerText(), zone === 'UTC' ? /\(UTC\)/ : /\(UTC−0[45]:00\)/i);
    assert.match(await th.getAttribute('title'), zone === 'UTC' ? /UTC/ : /America\/New_York/);
    // The expanded row states the zone too.
    await first.click();
    const dd = await page.locator('tr.log-detail dt:text-is("timestamp") + dd').innerText();
    assert.equal(dd.slice(0, 19), wall(Date.parse(raw), zone));
    await first.click();
  };
  await check('UTC');
  await shot(page, 'clock-logs-utc');

  await setZone(page, 'browser');
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  await check(ZONE);
  // The search still runs over the same absolute range.
  assert.match(page.url(), new RegExp(`from=${encodeURIComponent(iso(from)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|from=${iso(from).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await shot(page, 'clock-logs-new-york');

  // Remembered across a reload.
  await page.reload();
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
  assert.equal(await page.inputValue('#timezone'), 'browser');
  await check(ZONE);
  await setZone(page, 'utc');
  await page.waitForSelector('[data-page="logs"][data-state="done"]');
});

test('one clock: Explore\'s table, chart axis and legend, the share form and the link page agree in New York time', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/');
  await setZone(page, 'browser');
  const tmpl = templates.find((x) => x.id === 'errors_by_service');
  assert.ok(tmpl, 'errors_by_service is not shipped');
  await page.goto(`${base}/explore?t=${tmpl.id}&range=1h&run=1`);
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const chart = page.locator('[data-chart="result"]');
  await chart.locator('canvas').first().waitFor();
  await page.waitForFunction(() => document.querySelector('[data-chart="result"]').dataset.xTicks);

  // Table cells: the API's instant, written in New York time.
  const cells = await page.locator('table.result tbody td span.time').evaluateAll((els) => els.slice(0, 20).map((e) => [e.dataset.time, e.textContent]));
  assert.ok(cells.length > 0, 'no time cells in the result table');
  for (const [raw, text] of cells) assert.equal(text, wall(Date.parse(raw), ZONE), `table cell ${text} for ${raw}`);
  assert.match(await page.locator('table.result thead th').first().innerText(), /America\/New_York/i);

  // Axis ticks: each tick's label is its instant's time of day in New York.
  const ticks = JSON.parse(await chart.getAttribute('data-x-ticks'));
  assert.ok(ticks.length >= 2, `ticks ${JSON.stringify(ticks)}`);
  for (const [x, label] of ticks) {
    const hm = wall(x * 1000, ZONE).slice(11, 16);
    assert.ok(label.split('\n')[0].startsWith(hm), `axis tick ${JSON.stringify(label)} at ${new Date(x * 1000).toISOString()}, want ${hm} New York time`);
  }
  assert.match(await chart.getAttribute('data-zone'), /America\/New_York/i);

  // The legend under the cursor names the same instant as the table.
  const box = await chart.locator('.u-over').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const legendTime = await chart.locator('.u-legend .u-series').first().locator('.u-value').innerText();
  assert.match(legendTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  // Read the legend as New York wall time: it lies within the axis' ticks
  // (in UTC it would be five hours off).
  const x0 = ticks[0][0] * 1000;
  const offset = Date.parse(wall(x0, ZONE).replace(' ', 'T') + 'Z') - x0;
  const at = Date.parse(legendTime.replace(' ', 'T') + 'Z') - offset;
  assert.ok(at >= x0 - 3600e3 && at <= ticks[ticks.length - 1][0] * 1000 + 3600e3, `legend ${legendTime} is outside the axis ${JSON.stringify(ticks)}`);
  await shot(page, 'clock-explore-new-york');

  // Share form and the link page state the pinned range in New York time.
  await page.click('.param-form button:has-text("Share")');
  const pin = await page.locator('.share-pin').innerText();
  assert.match(pin, /America\/New_York/i);
  await page.click('.share-form button[type="submit"]');
  const href = await page.locator('a[data-share-url]').getAttribute('data-share-url');
  const link = (await getJSON(base + '/api/v1/links/' + href.slice(3))).body;
  await page.goto(base + href);
  await page.waitForSelector('[data-page="shared link"][data-state="done"]');
  const pinned = await page.locator('[data-zone="link"]').innerText();
  assert.ok(pinned.startsWith(`${wall(Date.parse(link.from), ZONE)} – ${wall(Date.parse(link.to), ZONE)} ${ZONE}`), `pinned ${pinned} for ${link.from} – ${link.to}`);
  await shot(page, 'clock-link-new-york');

  // The overview's clock says its zone.
  await page.goto(base + '/');
  await page.waitForSelector('[data-page="overview"][data-loaded="true"]');
  assert.match(await page.locator('.refresh-status').innerText(), /America\/New_York/i);
  await shot(page, 'clock-overview-new-york');
  await setZone(page, 'utc');
});

// What each shipped chart must draw: the column its title names.
const CHART_Y = {
  errors_by_service: 'errors',
  ingest_volume_by_stream: 'rows',
  ingest_delay_by_stream: 'p95_delay_s',
  metric_over_time: 'avg_value',
  requests_by_status: 'requests',
  failed_logins_by_ip: 'failures',
  log_volume_by_level: 'lines',
  query_log_most_used: 'runs',
  status_codes: 'requests',
  top_hosts_by_error_rate: 'error_rate',
  cc_service_level: 'service_level_pct',
  cc_abandon_rate: 'abandon_rate_pct',
  cc_agent_time_by_state: 'minutes',
  cc_interactions: 'interactions',
  pipeline_facts_loaded: 'rows',
  pipeline_fact_delay: 'p95_delay_s',
  budget_usage_vs_bounds: 'value',
};

// Parameters that let the demo's small traffic show rows.
const EXTRA = {
  top_hosts_by_error_rate: { 'p.min_lines': '1' },
  failed_logins_by_ip: { 'p.min_failures': '1' },
};

test('every shipped template\'s chart draws the column its title names', async (t) => {
  const charted = templates.filter((x) => x.visualization === 'timeseries' || x.visualization === 'bar');
  assert.deepEqual(charted.map((x) => x.id).sort(), Object.keys(CHART_Y).sort(), 'a charted template without an expected column here');
  const page = await openPage(t);
  for (const tmpl of charted) {
    const params = { ...(EXTRA[tmpl.id] || {}) };
    for (const p of tmpl.params || []) {
      if (p.required && (p.default === undefined || p.default === null)) {
        assert.ok(p.values && p.values.length, `${tmpl.id}: required ${p.name} has no values to pick`);
        params['p.' + p.name] = p.values[0];
      }
    }
    const qs = new URLSearchParams({ t: tmpl.id, range: '1h', ...params, run: '1' });
    await page.goto(`${base}/explore?${qs}`);
    await page.waitForSelector('[data-page="explore"][data-state="done"]');
    const want = CHART_Y[tmpl.id];
    const empty = await page.locator('.result-empty').count();
    if (!empty) {
      const sel = tmpl.visualization === 'bar' ? '[data-bars="result"]' : '[data-chart="result"]';
      await page.locator(sel).first().waitFor();
      const y = await page.locator(sel).first().getAttribute('data-y');
      assert.equal(y.split(',')[0], want, `${tmpl.id} (${tmpl.title}) draws ${y}`);
      if (tmpl.visualization === 'timeseries') {
        await page.locator(sel).locator('canvas').first().waitFor();
        const series = await page.locator(`${sel} .u-legend .u-series`).count();
        assert.ok(series >= 2, `${tmpl.id}: the chart draws no series`);
      }
    }
    await shot(page, 'template-' + tmpl.id);
  }
});

test('charts: fractions keep their digits, 5xx is red, bars past 50 say so, the partial last bucket is marked', async (t) => {
  const page = await openPage(t);
  await page.goto(`${base}/explore?t=top_hosts_by_error_rate&range=1h&p.min_lines=1&run=1`);
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const values = await page.locator('[data-bars="result"] .bar-value').allInnerTexts();
  assert.ok(values.length > 0, 'no bars');
  for (const v of values) assert.ok(/^0(\.\d+)?$|^1$/.test(v), `error rate shown as ${v}`);
  assert.ok(values.some((v) => /^0\.\d+$/.test(v)), `every error rate reads as a whole number: ${values.join(' ')}`);

  await page.goto(`${base}/explore?t=status_codes&range=1h&run=1`);
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const bars = await page.locator('[data-bars="result"] .bar-row').evaluateAll((rows) => rows.map((r) => [r.querySelector('.bar-label').textContent, getComputedStyle(r.querySelector('.bar-fill')).backgroundColor]));
  const rows = await page.locator('table.result tbody tr').count();
  if (rows > 50) assert.equal(await page.locator('[data-notice="bars-cut"]').count(), 1, `${rows} rows but no notice that bars are cut`);
  const five = bars.filter(([l]) => /^5\d\d/.test(l));
  for (const [l, c] of five) assert.equal(c, 'rgb(242, 85, 90)', `${l} is drawn ${c}, not red`);
  for (const [l, c] of bars.filter(([x]) => /^2\d\d/.test(x))) assert.equal(c, 'rgb(63, 185, 80)', `${l} is drawn ${c}, not green`);
  await shot(page, 'clock-status-codes');

  await page.goto(`${base}/explore?t=requests_by_status&range=1h&run=1`);
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const chart = page.locator('[data-chart="result"]');
  await chart.locator('canvas').first().waitFor();
  await page.waitForFunction(() => document.querySelector('[data-chart="result"]').dataset.partialFrom !== undefined);
  assert.notEqual(await chart.getAttribute('data-partial-from'), '', 'the last bucket, cut by now, is not marked partial');
  assert.ok(await chart.locator('.chart-partial-note').isVisible());
});
