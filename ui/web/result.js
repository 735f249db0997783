// Query results as their visualization asks: a uPlot time series when the
// result's shape allows one, bars, a single stat, or a table, with the
// table kept below charts and stats. Explore, the ad-hoc SQL tab and shared
// links all draw results here.

import { h, notice } from './dom.js';
import { TimeChart } from './chart.js';
import { resultTable } from './table.js';
import { cell, compact, isNumericType } from './format.js';

const MAX_TABLE_ROWS = 1000;
const PALETTE = ['#5b9dff', '#3fb950', '#e5a93d', '#f2555a', '#d66bd8', '#3fb59b', '#ff8c5a', '#a5b4fc', '#8b96a5', '#f7d154'];

function isTimeType(type) {
  return /^(Nullable\()?(LowCardinality\()?(DateTime|Date)/.test(String(type || ''));
}

// toSeconds reads a ClickHouse time cell (UTC text, or unix seconds).
function toSeconds(v) {
  if (typeof v === 'number') return v;
  const s = String(v);
  let t = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(s) ? s.replace(' ', 'T') + 'Z' : /^\d{4}-\d\d-\d\d$/.test(s) ? s + 'T00:00:00Z' : s);
  if (!Number.isFinite(t) && /^\d+(\.\d+)?$/.test(s)) t = Number(s) * 1000;
  return Number.isFinite(t) ? t / 1000 : NaN;
}

function toNumber(v) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

// NICE_STEPS are the bucket sizes (seconds) guessed for a result whose
// step cannot be read from its rows (a single bucket).
const NICE_STEPS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400];
const MAX_POINTS = 3000;

// timeline lays xs on a regular grid over the run's range, so a chart shows
// the whole range even when few buckets have rows. The step is the
// smallest gap between rows, or a round ~1/60 of the range. Returns the
// sorted xs unchanged when they are not on one grid.
function timeline(xs, range) {
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1]);
  const from = range && Date.parse(range.from) / 1000;
  const to = range && Date.parse(range.to) / 1000;
  const haveRange = Number.isFinite(from) && Number.isFinite(to) && to > from;
  if (!Number.isFinite(step)) {
    // One bucket and no range to lay it in: nothing to draw a line over.
    if (!haveRange || sorted.length === 0) return null;
    step = NICE_STEPS.find((s) => s >= (to - from) / 60) || 86400;
  }
  if (step <= 0 || sorted.some((x) => Math.abs((x - sorted[0]) / step - Math.round((x - sorted[0]) / step)) > 1e-6)) return sorted;
  let start = sorted[0];
  let end = sorted[sorted.length - 1];
  if (haveRange) {
    while (start - step >= from && (end - start) / step < MAX_POINTS) start -= step;
    while (end + step < to && (end - start) / step < MAX_POINTS) end += step;
  }
  if ((end - start) / step > MAX_POINTS) return sorted;
  const out = [];
  for (let x = start; x <= end + 1e-9; x += step) out.push(x);
  return out;
}

/**
 * timeSeries reads a result shaped (time, number…) or (time, series,
 * value) into {xs, series} for TimeChart, or returns null for any other
 * shape. range ({from, to}, RFC 3339) widens the time axis to the run's
 * range; in the (time, series, value) shape a bucket without a row is 0
 * (such results are counts per bucket), elsewhere it is a gap.
 */
function timeSeries(res, range) {
  const cols = res.columns || [];
  const rows = res.rows || [];
  if (cols.length < 2 || !isTimeType(cols[0].type)) return null;
  const numeric = cols.slice(1).every((c) => isNumericType(c.type));
  if (numeric) {
    const at = new Map();
    for (const r of rows) {
      const x = toSeconds(r[0]);
      if (Number.isFinite(x)) at.set(x, r);
    }
    const xs = timeline([...at.keys()], range);
    if (!xs) return null;
    return {
      xs,
      series: cols.slice(1).map((c, i) => ({
        label: c.name, stroke: PALETTE[i % PALETTE.length], values: xs.map((x) => (at.has(x) ? toNumber(at.get(x)[i + 1]) : null)),
      })),
    };
  }
  if (cols.length === 3 && isNumericType(cols[2].type)) {
    const seen = [];
    const bySeries = new Map();
    for (const r of rows) {
      const x = toSeconds(r[0]);
      if (!Number.isFinite(x)) continue;
      seen.push(x);
      const key = cell(r[1]);
      if (!bySeries.has(key)) bySeries.set(key, new Map());
      const m = bySeries.get(key);
      m.set(x, (m.get(x) || 0) + (toNumber(r[2]) || 0));
    }
    const xs = timeline(seen, range);
    if (!xs) return null;
    // Biggest series first, at most ten; the table below has every row.
    const totals = [...bySeries.entries()].map(([k, m]) => [k, [...m.values()].reduce((a, v) => a + v, 0)]);
    totals.sort((a, b) => b[1] - a[1]);
    return {
      xs,
      series: totals.slice(0, PALETTE.length).map(([k], i) => ({
        label: k, stroke: PALETTE[i], values: xs.map((x) => bySeries.get(k).get(x) || 0),
      })),
    };
  }
  return null;
}

// barRows reads (label…, number) results for the bar view.
function barRows(res) {
  const cols = res.columns || [];
  if (cols.length < 2 || !isNumericType(cols[cols.length - 1].type)) return null;
  const last = cols.length - 1;
  return (res.rows || []).slice(0, 50).map((r) => ({ label: r.slice(0, last).map(cell).join(' · '), value: toNumber(r[last]) || 0 }));
}

/**
 * renderResult draws a query result as its visualization asks: a uPlot
 * chart (timeseries, when the shape allows), bars, a single stat, or a
 * table; charts and stats keep the table below. range ({from, to}) is the
 * run's time range, for the chart's axis. Returns {node, destroy}.
 */
export function renderResult(res, visualization, range) {
  const cols = Array.isArray(res.columns) ? res.columns : [];
  const rows = Array.isArray(res.rows) ? res.rows : [];
  const parts = [];
  let chart = null;
  if (cols.length === 0) {
    return { node: notice('The query returned no columns.'), destroy() {} };
  }
  if (rows.length === 0) {
    parts.push(notice('No rows for this range and these parameters.', 'result-empty'));
  } else {
    const viz = visualization || 'table';
    const ts = viz === 'timeseries' || viz === 'auto' ? timeSeries(res, range) : null;
    if (ts) {
      const box = h('div', { class: 'result-chart', 'data-chart': 'result' });
      chart = new TimeChart(box, { height: 220 });
      parts.push(box);
      // Draw once the box is in the document, so it has a width.
      requestAnimationFrame(() => chart && chart.set(ts.xs, ts.series));
    } else if (viz === 'stat') {
      const last = cols.length - 1;
      parts.push(h('div', { class: 'tile stat', 'data-stat': cols[last].name },
        h('div', { class: 'tile-label', text: cols[last].name }),
        h('div', { class: 'tile-value', text: isNumericType(cols[last].type) ? compact(rows[0][last]) : cell(rows[0][last]) })));
    } else if (viz === 'bar') {
      const bars = barRows(res);
      if (bars && bars.length) {
        const top = Math.max(...bars.map((b) => Math.abs(b.value)), 1);
        parts.push(h('div', { class: 'bars', 'data-bars': 'result' }, bars.map((b) =>
          h('div', { class: 'bar-row', title: `${b.label}: ${b.value}` },
            h('span', { class: 'bar-label', text: b.label }),
            h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: (Math.abs(b.value) / top) * 100 + '%' } })),
            h('span', { class: 'bar-value', text: compact(b.value) })))));
      }
    }
    const shown = rows.length > MAX_TABLE_ROWS ? { columns: cols, rows: rows.slice(0, MAX_TABLE_ROWS) } : res;
    parts.push(resultTable(shown));
    if (rows.length > MAX_TABLE_ROWS) parts.push(notice(`showing the first ${MAX_TABLE_ROWS} of ${rows.length} rows`));
  }
  return {
    node: h('div', { class: 'result-view', 'data-visualization': visualization || 'table' }, parts),
    destroy() {
      if (chart) chart.destroy();
      chart = null;
    },
  };
}

/** sqlDisclosure shows rendered SQL behind a "SQL" summary. */
export function sqlDisclosure(sql, open = false) {
  return h('details', { class: 'sql-disclosure', open: open || null },
    h('summary', { text: 'SQL' }),
    h('pre', { class: 'sql-text mono', text: sql || '' }));
}

