// Browser tests for Explore (/explore) and shared links (/s/<id>), against
// the real server binary with the shipped templates and demo traffic.
//
//   node --test ui/e2e/explore.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshots go to
// test-output/ui/explore*.png, logs to test-output/ui/explore*.log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage as open, shot as fullShot, getJSON } from './harness.mjs';

let srv = null;
let browser = null;
let base = '';
let templates = [];

before(async () => {
  srv = await startServer({ name: 'explore-server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '3000'], 'explore-demo.log', 180000);
  await srv.waitFor('the overview to count rows', async () => {
    const r = await getJSON(base + '/api/v1/overview?minutes=15');
    if (r.status !== 200) throw new Error(`GET /api/v1/overview: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.totals && r.body.totals.rows > 0;
  }, 120000);
  const r = await getJSON(base + '/api/v1/templates');
  assert.equal(r.status, 200, `GET /api/v1/templates: ${r.status} ${JSON.stringify(r.body)}`);
  templates = r.body.templates || [];
  assert.ok(templates.length > 0, 'the server lists no templates');
  browser = await launchBrowser();
}, { timeout: 420000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

// shot scrolls to the top first: a full-page capture of a scrolled page
// draws the sticky top bar halfway down.
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullShot(page, name);
}

// runnable reports whether a template runs with its defaults alone.
const runnable = (t) => (t.params || []).every((p) => !p.required || (p.default !== undefined && p.default !== null));

// pickTimeseries finds a template over logs that charts and runs with its
// defaults, preferring one about errors.
function pickTimeseries() {
  const ok = templates.filter((t) => t.visualization === 'timeseries' && runnable(t));
  assert.ok(ok.length > 0, `no timeseries template runs with defaults alone: ${templates.map((t) => t.id).join(', ')}`);
  return ok.find((t) => /error/i.test(t.id)) || ok[0];
}

async function pickTemplate(page, t) {
  await page.goto(base + '/explore');
  await page.waitForSelector('.tmpl-list[data-loaded="true"]');
  await page.fill('input[name="template-search"]', t.title || t.id);
  const item = page.locator(`.tmpl-item[data-template="${t.id}"]`);
  await item.click();
  await page.waitForSelector(`.tmpl-item.active[data-template="${t.id}"]`);
  await page.waitForSelector('.param-form');
}

async function runForm(page, { state = 'done' } = {}) {
  await page.click('.param-form button[type="submit"]');
  await page.waitForSelector(`[data-page="explore"][data-state="${state}"]`);
}

const rowTexts = (page, scope) => page.locator(`${scope} table.result tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.innerText));

test('explore: run a template and see rows, a chart, stats and the SQL; Back returns to the previous run', async (t) => {
  const tmpl = pickTimeseries();
  const page = await openPage(t);
  await pickTemplate(page, tmpl);
  await page.selectOption('select[name="range"]', '1h');
  await runForm(page);

  const rows = await rowTexts(page, '.tmpl-detail .results');
  assert.ok(rows.length > 0, `${tmpl.id} returned no rows over the demo traffic`);
  const chart = page.locator('[data-chart="result"]');
  assert.equal(await chart.count(), 1, `${tmpl.id} is a timeseries template but no chart was drawn`);
  await chart.locator('canvas').first().waitFor();
  const size = await chart.locator('canvas').first().boundingBox();
  assert.ok(size.width > 300 && size.height > 100, `chart canvas is ${size.width}x${size.height}`);
  assert.match(await page.locator('.page-head .stats').innerText(), /^\d[\d,]* rows? · read [\d,]+ rows/);

  await page.click('.sql-disclosure summary');
  const sql = await page.locator('.sql-text').innerText();
  assert.match(sql, /SELECT/i);
  assert.match(sql, /\{[A-Za-z_][A-Za-z0-9_]*:[A-Za-z]/, 'rendered SQL shows no {name:Type} placeholders');

  const url = new URL(page.url());
  assert.equal(url.searchParams.get('t'), tmpl.id);
  assert.equal(url.searchParams.get('range'), '1h');
  assert.equal(url.searchParams.get('run'), '1');
  await shot(page, 'explore');

  // A second run over another range, then Back: the first run again.
  await page.selectOption('select[name="range"]', '6h');
  await runForm(page);
  assert.equal(new URL(page.url()).searchParams.get('range'), '6h');
  await page.goBack();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('range') === '1h');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  assert.equal(await page.inputValue('select[name="range"]'), '1h');
  assert.ok((await rowTexts(page, '.tmpl-detail .results')).length > 0);
});

test('explore: validation errors are shown next to the parameter', async (t) => {
  const page = await openPage(t);

  // A whole-number parameter given text: the form sends the text as typed
  // and the server, which types every value, names the field.
  const withInt = templates.find((x) => runnable(x) && (x.params || []).some((p) => p.type === 'int'));
  assert.ok(withInt, 'no shipped template that runs with its defaults has an int parameter');
  {
    const p = withInt.params.find((x) => x.type === 'int');
    await pickTemplate(page, withInt);
    await page.fill(`[data-param="${p.name}"] input`, '12abc');
    await runForm(page, { state: 'error' });
    const err = await page.locator(`[data-param="${p.name}"] .field-error`).innerText();
    assert.equal(err, '"12abc" is not an int');
    assert.equal(new URL(page.url()).searchParams.get('p.' + p.name), '12abc');
    assert.equal(await page.locator('.tmpl-detail .results table').count(), 0);
    await shot(page, 'explore-validation-int');
  }

  // Server side: a value the form lets through, which the server's checks
  // refuse with `param "<name>": …`, shown by the named field.
  let target = null;
  for (const x of templates) {
    const p = (x.params || []).find((q) => q.type === 'string' && q.max_len > 0);
    if (p) {
      target = { tmpl: x, param: p, value: 'x'.repeat(p.max_len + 1) };
      break;
    }
  }
  if (!target) {
    for (const x of templates) {
      const p = (x.params || []).find((q) => q.type === 'enum');
      if (p) {
        target = { tmpl: x, param: p, url: true, value: 'no-such-value' };
        break;
      }
    }
  }
  assert.ok(target, 'no shipped template has a string with max_len or an enum parameter to refuse');
  const { tmpl, param } = target;
  if (target.url) {
    await page.goto(base + '/explore?' + new URLSearchParams({ t: tmpl.id, range: '1h', ['p.' + param.name]: target.value, run: '1' }));
    await page.waitForSelector('[data-page="explore"][data-state="error"]');
  } else {
    await pickTemplate(page, tmpl);
    for (const p of tmpl.params) {
      if (p.required && (p.default === undefined || p.default === null) && p.name !== param.name && p.type === 'string') {
        await page.fill(`[data-param="${p.name}"] input`, 'checkout');
      }
    }
    await page.fill(`[data-param="${param.name}"] input`, target.value);
    await runForm(page, { state: 'error' });
  }
  const field = page.locator(`[data-param="${param.name}"]`);
  assert.match(await field.getAttribute('class'), /invalid/);
  const msg = await field.locator('.field-error').innerText();
  assert.ok(msg.length > 0, 'no message by the field');
  assert.match(await page.locator('.tmpl-detail .problem .error').innerText(), new RegExp(`param "${param.name}"`));
  await shot(page, 'explore-validation');
});

test('explore: values go to the server as the text in the form and the URL; the server types them', async (t) => {
  const tmpl = templates.find((x) => x.id === 'log_search');
  assert.ok(tmpl, 'the shipped log_search template is not loaded');
  const page = await openPage(t);
  await pickTemplate(page, tmpl);
  await page.selectOption('select[name="range"]', '1h');
  await page.fill('[data-param="services"] input', 'checkout, billing');
  await page.fill('[data-param="limit"] input', ' 20 ');
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/query') && r.method() === 'POST');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/query'));
  await runForm(page);
  assert.deepEqual(JSON.parse((await sent).postData()).params, { services: 'checkout, billing', limit: '20' });
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('p.services'), 'checkout, billing');
  assert.equal(url.searchParams.get('p.limit'), '20');
  const res = await (await answered).json();
  assert.deepEqual(res.params, { services: ['checkout', 'billing'], limit: 20 });
  assert.ok(res.rows.length > 0 && res.rows.length <= 20, `${res.rows.length} rows`);
  const service = res.columns.findIndex((c) => c.name === 'service');
  assert.deepEqual([...new Set(res.rows.map((r) => r[service]))].filter((s) => s !== 'checkout' && s !== 'billing'), []);

  // The URL runs the same request again.
  await page.goto(url.href);
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  assert.equal(await page.inputValue('[data-param="services"] input'), 'checkout, billing');
});

test('explore: share pins the run; the /s/<id> page shows the same rows, the pinned line and the frozen result', async (t) => {
  const tmpl = pickTimeseries();
  const page = await openPage(t);
  await pickTemplate(page, tmpl);
  await page.selectOption('select[name="range"]', '1h');
  await runForm(page);
  const rows = await rowTexts(page, '.tmpl-detail .results');
  assert.ok(rows.length > 0);

  await page.click('.param-form button:has-text("Share")');
  await page.fill('input[name="link-title"]', 'Errors during [INC-7] deploy');
  await page.fill('textarea[name="link-note"]', 'checkout rollback at 10:05');
  await page.check('input[name="link-snapshot"]');
  await page.click('.share-form button[type="submit"]');
  const a = page.locator('a[data-share-url]');
  await a.waitFor();
  const href = await a.getAttribute('data-share-url');
  assert.match(href, /^\/s\/[a-z2-7]{32}$/);
  const md = await page.inputValue('[name="markdown"]');
  const mdRe = new RegExp(`^\\[Errors during \\\\\\[INC-7\\\\\\] deploy \\(${tmpl.id} v\\d+, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d – \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\\]\\(${base.replace(/[.]/g, '\\.')}${href}\\)$`);
  assert.match(md, mdRe);
  await shot(page, 'explore-share');

  // The API answers the pinned request: absolute times, the version that ran.
  const id = href.slice(3);
  const link = await getJSON(base + '/api/v1/links/' + id);
  assert.equal(link.status, 200);
  assert.equal(link.body.template, tmpl.id);
  assert.equal(link.body.version, tmpl.version);
  assert.match(link.body.from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(link.body.snapshot.rows.length, rows.length);
  assert.equal(link.body.markdown, md, 'the page shows another Markdown line than the API writes');

  const linkPage = await openPage(t);
  await linkPage.goto(base + href);
  await linkPage.waitForSelector('[data-page="shared link"][data-state="done"]');
  const pinned = await linkPage.locator('[data-pinned]').innerText();
  assert.match(pinned, new RegExp(`^pinned: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d – \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, template ${tmpl.id} v${tmpl.version}$`));
  assert.match(await linkPage.locator('h1').innerText(), /Errors during \[INC-7\] deploy/);
  assert.match(await linkPage.locator('.link-note').innerText(), /checkout rollback/);
  assert.equal(await linkPage.inputValue('[name="markdown"]'), md);
  const live = await rowTexts(linkPage, '[data-result="live"]');
  assert.deepEqual([...live].sort(), [...rows].sort(), 'the link reran to other rows than Explore showed');
  const frozen = await rowTexts(linkPage, '[data-result="snapshot"]');
  assert.deepEqual([...frozen].sort(), [...rows].sort(), 'the frozen result differs from what Explore showed');
  assert.match(await linkPage.locator('.frozen-note').innerText(), /^frozen result from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})? UTC$/);
  assert.equal(await linkPage.locator('[data-notice="hot"]').count(), 0, 'a fresh link says its data left the hot store');
  await shot(linkPage, 'explore-link');

  // Open in Explore carries the pinned request over.
  await linkPage.click('a:has-text("Open in Explore")');
  await linkPage.waitForSelector('[data-page="explore"][data-state="done"]');
  assert.deepEqual([...(await rowTexts(linkPage, '.tmpl-detail .results'))].sort(), [...rows].sort());
});

test('shared link: a range older than every retention says its data left the hot store', async (t) => {
  const tmpl = pickTimeseries();
  const res = await fetch(base + '/api/v1/links', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ template: tmpl.id, params: {}, from: '2024-01-01T00:00:00Z', to: '2024-01-01T06:00:00Z', title: 'Old incident', snapshot: true }),
  });
  const link = await res.json();
  assert.equal(res.status, 201, JSON.stringify(link));
  assert.equal(link.hot, 'gone');
  const page = await openPage(t);
  await page.goto(base + link.url);
  await page.waitForSelector('[data-page="shared link"][data-state="done"]');
  assert.match(await page.locator('[data-notice="hot"]').innerText(), /no longer in the hot store/);
  assert.match(await page.locator('[data-pinned]').innerText(), /^pinned: 2024-01-01 00:00:00 – 2024-01-01 06:00:00 UTC, template /);
  assert.match(await page.locator('.frozen-note').innerText(), /^frozen result from /);
  await shot(page, 'explore-link-old');
});

test('shared link: an unknown id says so in place', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/s/' + 'a'.repeat(32));
  await page.waitForSelector('[data-page="shared link"][data-state="error"]');
  assert.match(await page.locator('.error').innerText(), /no shared link/);
  await page.goto(base + '/s/..%2F%3Cb%3Ex');
  await page.waitForSelector('[data-page="shared link"][data-state="error"]');
  assert.match(await page.locator('.error').innerText(), /no shared link/);
  assert.equal(await page.locator('#main b').count(), 0);
});

test('explore: the ad-hoc SQL tab charts a time series', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/explore');
  await page.click('.tabs a:has-text("Ad-hoc SQL")');
  await page.waitForSelector('textarea[name="sql"]');
  await page.fill('textarea[name="sql"]', "SELECT toDateTime('2026-11-01 00:00:00', 'UTC') + number * 60 AS t, ['api', 'db'][number % 2 + 1] AS tier, number % 7 AS n FROM numbers(60) ORDER BY t");
  await page.click('.sql-form button[type="submit"]');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  await page.locator('[data-chart="result"] canvas').first().waitFor();
  assert.ok(await page.locator('.results table.result tbody tr').count() > 0);
  await shot(page, 'explore-sql');
});
