// Browser tests for the Archive page: the archived days of the demo's
// traffic as `logmart archive ls` counts them, a rehydration started from
// a day's row and followed to its final count, the job followed again
// after a reload, its cancel, and a bad range refused with the server's
// words.
//
//   node --test ui/e2e/archive.test.mjs
//
// Environment: LOGMART_BIN, CHROMIUM (see harness.mjs). Screenshots go to
// test-output/ui/archive-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage as open, shot, getJSON } from './harness.mjs';

let srv = null;
let browser = null;
let base = '';
let days = [];

before(async () => {
  srv = await startServer({ name: 'archive-server' });
  base = srv.base;
  await srv.run(['demo', '--kafka-addr', srv.kafkaAddr, '--events', '1000'], 'archive-demo.log', 180000);
  // The demo's records are archived as ingest takes them: wait until two
  // listings a poll apart agree.
  let last = '';
  days = await srv.waitFor('the archive to list every demo line', async () => {
    const r = await getJSON(base + '/api/v1/archive/days');
    if (r.status !== 200) throw new Error(`GET /api/v1/archive/days: ${r.status} ${JSON.stringify(r.body)}`);
    const seen = JSON.stringify(r.body.days);
    const settled = seen === last && r.body.days.some((d) => d.records > 100);
    last = seen;
    return settled ? r.body.days : null;
  }, 120000);
  browser = await launchBrowser();
}, { timeout: 300000 });

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}, { timeout: 60000 });

const openPage = (t) => open(t, browser.context);

test('the archive lists each stream and day, rehydrates one, follows and cancels the job', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/archive');
  await page.waitForSelector('[data-list="days"][data-loaded="true"]');
  const rows = page.locator('[data-list="days"] tbody tr');
  assert.equal(await rows.count(), days.length, 'one row per stream and day');
  const day = days.reduce((a, d) => (d.records > a.records ? d : a));
  const row = page.locator(`[data-list="days"] tr[data-stream="${day.stream}"][data-day="${day.day}"]`);
  assert.equal(Number(await row.locator('[data-records]').getAttribute('data-records')), day.records);

  // The listing's filter lands in the URL.
  await page.fill('[data-form="days"] input[name="stream"]', day.stream);
  await page.click('[data-form="days"] button[type="submit"]');
  await page.waitForSelector('[data-list="days"][data-loaded="true"]');
  assert.match(page.url(), new RegExp(`stream=${day.stream}`));
  assert.equal(await rows.count(), days.filter((d) => d.stream === day.stream).length);

  // A day's row fills the form; the job runs to its final count. The live
  // rows are there already, so it stores none of them again.
  await row.locator('[data-action="pick"]').click();
  assert.equal(await page.inputValue('[data-form="rehydrate"] input[name="stream"]'), day.stream);
  await page.click('[data-form="rehydrate"] button[type="submit"]');
  const job = page.locator('.rehydrate-job');
  await page.waitForSelector('.rehydrate-job[data-state="done"]', { timeout: 60000 });
  const final = await job.locator('[data-final]').innerText();
  const m = /^Done: ([\d,]+) records rehydrated, 0 rows newly stored \(([\d,]+) were stored already\)/.exec(final);
  assert.ok(m, final);
  const already = Number(m[2].replace(/,/g, ''));
  assert.ok(already > 0 && already <= day.records, `${already} of the day's ${day.records} records were stored already`);
  assert.equal(await job.locator('progress').evaluate((p) => p.value === p.max), true, 'the bar is full');
  assert.equal(await job.locator('[data-action="cancel"]').isDisabled(), true, 'a finished job cannot be cancelled');
  const id = await job.getAttribute('data-job-id');
  assert.match(page.url(), new RegExp(`job=${id}`));
  await shot(page, 'archive-done');

  // A reload follows the same job.
  await page.reload();
  await page.waitForSelector(`.rehydrate-job[data-job-id="${id}"][data-state="done"]`);

  // While a job runs, Cancel asks the server to stop it. The page is shown
  // the job as running (the demo's archive is read in a blink), and the
  // server answers the cancel with the job as it stands.
  let deletes = 0;
  await page.route(`**/api/v1/archive/rehydrate/${id}`, async (route) => {
    if (route.request().method() === 'DELETE') {
      deletes++;
      return route.continue();
    }
    const res = await route.fetch();
    const body = await res.json();
    body.state = 'running';
    body.progress.objects_done = 0;
    return route.fulfill({ response: res, json: body });
  });
  await page.reload();
  await page.waitForSelector(`.rehydrate-job[data-job-id="${id}"][data-state="running"]`);
  await page.click('.rehydrate-job [data-action="cancel"]');
  await page.waitForSelector(`.rehydrate-job[data-job-id="${id}"][data-state="done"]`);
  assert.equal(deletes, 1, 'Cancel sent one DELETE');
  await page.unroute(`**/api/v1/archive/rehydrate/${id}`);

  // A range backwards is refused with the server's words.
  await page.fill('[data-form="rehydrate"] input[name="from"]', '2025-03-02');
  await page.fill('[data-form="rehydrate"] input[name="to"]', '2025-03-01');
  await page.click('[data-form="rehydrate"] button[type="submit"]');
  await page.waitForSelector('[data-form="rehydrate"] + .field-error:not(:empty)');
  assert.equal(await page.locator('[data-form="rehydrate"] + .field-error').innerText(), 'from (2025-03-02T00:00:00Z) must be before to (2025-03-01T00:00:00Z)');
  await shot(page, 'archive-refused');
});

test('Explore estimates a run before it runs: the tiers of a table template, the archive of an archive template', async (t) => {
  const page = await openPage(t);
  await page.goto(base + '/explore?t=errors_by_service&from=now-6h&to=now');
  await page.click('button:has-text("Estimate")');
  const line = page.locator('[data-estimate]');
  await page.waitForSelector('[data-estimate][data-state="done"]');
  assert.match(await line.innerText(), /^≈ [\d,]+ rows · [\d.,]+ (B|KiB|MiB|GiB) · [\d,]+ parts · tiers: hot \(/);

  const stream = days[0].stream;
  await page.goto(base + `/explore?t=archive_lines_by_service&from=now-7d&to=now&p.stream=${stream}`);
  await page.waitForSelector('[data-archive]');
  await page.click('button:has-text("Estimate")');
  await page.waitForSelector('[data-estimate][data-state="done"]');
  assert.equal(await line.getAttribute('data-tiers'), 'archive');
  assert.match(await line.innerText(), /· [\d,]+ objects · tiers: archive \([\d,]+ objects, /);
  await page.click('button:has-text("Run")');
  await page.waitForSelector('[data-page="explore"][data-state="done"]');
  const r = await getJSON(base + `/api/v1/archive/days?stream=${stream}&from=now-7d`);
  const archived = r.body.days.reduce((a, d) => a + d.records, 0);
  const ran = await page.evaluate(async (s) => {
    const res = await fetch('/api/v1/query', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ template: 'archive_lines_by_service', params: { stream: s }, from: 'now-7d', to: 'now' }) });
    const body = await res.json();
    return body.rows.reduce((a, row) => a + Number(row[2]), 0);
  }, stream);
  assert.equal(ran, archived, 'the lines counted in place are the lines the archive lists');
  await shot(page, 'archive-explore');
});
