// Overview: the last MINUTES of stored data (rows per table, the logs'
// ingest rate, levels over time, streams and services), the tables' size on
// disk and this replica's Kafka partitions. A scoped token is shown only
// what its scope reads: no size on disk and no partitions, which count
// every stream. Refreshes every 10 s while visible.

import { api, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { TimeChart } from '../chart.js';
import { dataTable } from '../table.js';
import { int, compact, bytes, ago, clock } from '../format.js';
import { fmtTime, zoneLabel } from '../clock.js';
import { levelRank, levelStyle } from '../colours.js';

const MINUTES = 15;
const REFRESH_MS = 10000;

const TABLES = { logs: 'Logs', events: 'Events', metrics: 'Metrics' };

// timeline returns evenly spaced bucket starts covering the window, so charts
// show the whole range even when some buckets are empty.
function timeline(generatedAt, points) {
  const ts = [...new Set(points.map((p) => Number(p.t)).filter(Number.isFinite))].sort((a, b) => a - b);
  let step = 10;
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i] - ts[i - 1];
    if (d > 0 && d < step) step = d;
  }
  const gen = Date.parse(generatedAt);
  let end = Number.isFinite(gen) ? Math.floor(gen / 1000 / step) * step : (ts.length ? ts[ts.length - 1] : 0);
  if (ts.length && ts[ts.length - 1] > end) end = ts[ts.length - 1];
  let start = end - MINUTES * 60 + step;
  if (ts.length && ts[0] < start) start = ts[0];
  const xs = [];
  for (let t = start; t <= end && xs.length < 5000; t += step) xs.push(t);
  return { xs, step };
}

function bucketIndex(xs, step) {
  const start = xs.length ? xs[0] : 0;
  return (t) => {
    const i = Math.round((Number(t) - start) / step);
    return i >= 0 && i < xs.length ? i : -1;
  };
}

function tile(key, label, hint) {
  const value = h('div', { class: 'tile-value', text: '–' });
  const sub = h('div', { class: 'tile-hint', text: hint });
  return { el: h('div', { class: 'tile', 'data-tile': key }, h('div', { class: 'tile-label', text: label }), value, sub), value, sub };
}

export function mount(el, ctx) {
  const status = h('span', { class: 'muted refresh-status', text: 'loading…' });
  const problem = h('div', { class: 'problem' });
  const tiles = {
    rows: tile('rows', 'Log rows', `logs table, last ${MINUTES} min`),
    events: tile('events', 'Event rows', `events table, last ${MINUTES} min`),
    metrics: tile('metrics', 'Metric samples', `metrics table, last ${MINUTES} min`),
    disk: tile('disk', 'On disk', 'logs, events and metrics, compressed'),
    rpm: tile('rpm', 'Rows / min', 'last minute'),
    services: tile('services', 'Services', `seen in last ${MINUTES} min`),
  };
  const rateBox = h('div', { 'data-chart': 'rate' });
  const levelsBox = h('div', { 'data-chart': 'levels' });
  const streamsBox = h('div', { 'data-table': 'streams' }, notice('loading…'));
  const servicesBox = h('div', { 'data-table': 'services' }, notice('loading…'));
  const ingestBox = h('div', { 'data-table': 'ingest' }, notice('loading…'));

  replace(el,
    h('div', { class: 'page-head' },
      h('h1', { text: 'Overview' }),
      h('span', { class: 'muted', text: `last ${MINUTES} minutes` }),
      h('span', { class: 'spacer' }),
      status),
    problem,
    h('div', { class: 'tiles' }, Object.values(tiles).map((t) => t.el)),
    h('div', { class: 'grid-2' },
      card('Ingest rate', rateBox, h('span', { class: 'muted', text: 'log rows per bucket, by ingest time' })),
      card('Levels', levelsBox, h('span', { class: 'muted', text: 'log rows per bucket, stacked' }))),
    h('div', { class: 'grid-2' },
      card('Streams', streamsBox, h('span', { class: 'muted', text: `last ${MINUTES} min` })),
      card('Services', servicesBox, h('span', { class: 'muted', text: `last ${MINUTES} min` }))),
    card('Ingest', ingestBox, h('span', { class: 'muted', text: 'Kafka partitions on this replica' })));

  const rateChart = new TimeChart(rateBox, { bars: true });
  const levelsChart = new TimeChart(levelsBox, { stacked: true });

  let ctrl = null;
  let loadedOnce = false;
  let stopped = false;

  function draw(ov) {
    const totals = ov.totals || {};
    const tables = Array.isArray(ov.tables) ? ov.tables : [];
    const tableRows = (name) => {
      const t = tables.find((x) => x.table === name);
      return t ? Number(t.rows) || 0 : name === 'logs' ? Number(totals.rows) || 0 : NaN;
    };
    for (const [key, name] of [['rows', 'logs'], ['events', 'events'], ['metrics', 'metrics']]) {
      const n = tableRows(name);
      tiles[key].value.textContent = compact(n);
      tiles[key].value.title = `${int(n)} rows in the ${name} table`;
    }
    if (ov.scoped) {
      tiles.disk.value.textContent = '–';
      tiles.disk.value.title = '';
      tiles.disk.sub.textContent = 'not shown to a scoped token: the size counts every stream';
      tiles.disk.el.dataset.scoped = 'true';
    } else {
      tiles.disk.value.textContent = bytes(totals.bytes_on_disk);
      tiles.disk.value.title = int(totals.bytes_on_disk) + ' bytes: ' +
        tables.map((t) => `${TABLES[t.table] || t.table} ${bytes(t.bytes_on_disk)}`).join(', ');
    }
    tiles.rpm.value.textContent = compact(totals.rows_last_minute);
    tiles.rpm.value.title = int(totals.rows_last_minute) + ' rows in the last minute';
    tiles.services.value.textContent = int(totals.services);

    const rate = Array.isArray(ov.rate) ? ov.rate : [];
    const levels = Array.isArray(ov.levels) ? ov.levels : [];
    const { xs, step } = timeline(ov.generated_at, [...rate, ...levels]);
    const at = bucketIndex(xs, step);
    const rateVals = xs.map(() => 0);
    for (const p of rate) {
      const i = at(p.t);
      if (i >= 0) rateVals[i] += Number(p.rows) || 0;
    }
    // The window ends at generated_at; the bucket it cuts is still filling.
    const gen = Date.parse(ov.generated_at) / 1000;
    const partialFrom = xs.length && Number.isFinite(gen) && xs[xs.length - 1] + step > gen ? xs[xs.length - 1] : null;
    rateChart.set(xs, [{ label: `rows / ${step}s`, stroke: '#5b9dff', fill: '#3d74c9', values: rateVals }], { partialFrom });

    const byLevel = new Map();
    for (const p of levels) {
      const name = String(p.level || 'unknown');
      if (!byLevel.has(name)) byLevel.set(name, xs.map(() => 0));
      const i = at(p.t);
      if (i >= 0) byLevel.get(name)[i] += Number(p.rows) || 0;
    }
    const names = [...byLevel.keys()].sort((a, b) => levelRank(a) - levelRank(b) || a.localeCompare(b));
    levelsChart.set(xs, names.map((n) => ({ label: n, ...levelStyle(n), values: byLevel.get(n) })), { partialFrom });

    const streams = Array.isArray(ov.streams) ? ov.streams : [];
    const streamCols = [{ label: 'Stream' }, { label: 'Log rows', num: true }];
    if (!ov.scoped) streamCols.push({ label: 'On disk', num: true, title: "an estimate: the logs table's size split by the streams' rows in the window" });
    streamCols.push({ label: 'Newest row', num: true, title: `shown in ${zoneLabel()}` });
    replace(streamsBox, streams.length === 0 ? notice(`no rows in the last ${MINUTES} minutes`) : dataTable(
      streamCols,
      streams.map((s) => [
        h('span', { class: 'mono', text: s.name }),
        int(s.rows),
        ov.scoped ? null : bytes(s.bytes_on_disk),
        h('span', { class: 'time', 'data-time': s.newest || '', title: s.newest ? `${fmtTime(s.newest)} ${zoneLabel()}` : 'no rows', text: ago(s.newest) }),
      ].filter((c) => c !== null))));

    const parts = Array.isArray(ov.ingest) ? ov.ingest : [];
    replace(ingestBox, ov.scoped ? notice('Kafka partitions count every stream\'s records, so a scoped token is not shown them.', 'ingest-scoped') : parts.length === 0 ? notice('no partitions consumed yet') : dataTable(
      [{ label: 'Topic' }, { label: 'Partition', num: true }, { label: 'Records', num: true }, { label: 'Bytes', num: true },
        { label: 'Lag (records)', num: true, title: 'records in the partition not consumed yet' },
        { label: 'Behind', num: true, title: 'now minus the newest record time written' },
        { label: 'Last batch', num: true }, { label: 'Insert', num: true },
        { label: 'Last write', num: true, title: 'when a batch was last written; "failing" while writes fail, "stalled" after a minute of it (then /readyz fails)' }],
      parts.map((p) => [
        h('span', { class: 'mono', text: p.topic }),
        int(p.partition),
        int(p.records),
        bytes(p.bytes),
        h('span', { class: Number(p.lag_records) > 100000 ? 'errors' : null, text: int(p.lag_records) }),
        (Number(p.timestamp_behind_seconds) || 0).toFixed(1) + ' s',
        int(p.last_batch_rows),
        (Number(p.last_insert_ms) || 0).toFixed(0) + ' ms',
        Number(p.failing_seconds) > 0
          ? h('span', { class: 'errors', title: p.write_error || '', text: `${p.stalled ? 'stalled' : 'failing'} ${Number(p.failing_seconds).toFixed(0)} s` })
          : h('span', { title: p.last_write ? `${fmtTime(p.last_write)} ${zoneLabel()}` : '', text: p.last_write ? ago(p.last_write) : '–' }),
      ])));

    const services = (Array.isArray(ov.services) ? ov.services : []).slice()
      .sort((a, b) => (Number(b.rows) || 0) - (Number(a.rows) || 0));
    replace(servicesBox, services.length === 0 ? notice(`no services in the last ${MINUTES} minutes`) : dataTable(
      [{ label: 'Service' }, { label: 'Rows', num: true }, { label: 'Errors', num: true }, { label: 'Error %', num: true }],
      services.map((s) => {
        const rows = Number(s.rows) || 0;
        const errs = Number(s.errors) || 0;
        const pct = rows > 0 ? (100 * errs) / rows : 0;
        const logsHref = '/logs' + query({ range: `${MINUTES}m`, service: s.service });
        return [
          h('a', { href: logsHref, 'data-nav': true, class: 'mono', title: 'Show logs for this service', text: s.service }),
          int(rows),
          errs > 0
            ? h('a', { href: '/logs' + query({ range: `${MINUTES}m`, service: s.service, level: 'error' }), 'data-nav': true, class: 'errors', text: int(errs) })
            : h('span', { class: 'muted', text: '0' }),
          h('span', { class: pct >= 5 ? 'errors' : null, text: pct.toFixed(pct > 0 && pct < 0.1 ? 2 : 1) }),
        ];
      })));
  }

  async function refresh() {
    if (stopped || ctrl) return;
    ctrl = new AbortController();
    try {
      const ov = await api('/api/v1/overview' + query({ minutes: MINUTES }), { signal: ctrl.signal });
      if (stopped) return;
      draw(ov || {});
      loadedOnce = true;
      replace(problem);
      status.textContent = `updated ${clock()} ${zoneLabel()} · every 10 s`;
      status.dataset.updated = String(Date.now());
      el.dataset.loaded = 'true';
    } catch (e) {
      if (e.name === 'AbortError' || stopped) return;
      status.textContent = `update failed ${clock()} ${zoneLabel()}`;
      replace(problem, errorBox(loadedOnce ? 'refresh failed, showing earlier data: ' + e.message : e.message));
      if (!loadedOnce) {
        replace(streamsBox, notice('no data'));
        replace(servicesBox, notice('no data'));
      }
    } finally {
      ctrl = null;
    }
  }

  refresh();
  const timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
  const onVisible = () => {
    if (!document.hidden) refresh();
  };
  document.addEventListener('visibilitychange', onVisible);

  return () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
    if (ctrl) ctrl.abort();
    rateChart.destroy();
    levelsChart.destroy();
  };
}
