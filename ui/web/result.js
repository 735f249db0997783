// Query results as their visualization asks: a uPlot time series when the
// result's shape allows one, bars, a single stat, or a table, with the
// table kept below charts and stats. Explore, the ad-hoc SQL tab and shared
// links all draw results here.

import { h, notice } from './dom.js';
import { TimeChart } from './chart.js';
import { resultTable } from './table.js';
import { cell, isNumericType, isTimeType, measure, unitOf } from './format.js';
import { parseTime } from './clock.js';
import { semanticColour } from './colours.js';

const MAX_TABLE_ROWS = 1000;
const MAX_BARS = 50;
const MAX_LINES = 10;
// GAUGE matches column names whose values are not counts.
const GAUGE = /(avg|mean|min|max|median|p\d+|quantile|rate|ratio|value|_ms|_seconds)$/i;
const PALETTE = ['#5b9dff', '#3fb950', '#e5a93d', '#f2555a', '#d66bd8', '#3fb59b', '#ff8c5a', '#a5b4fc', '#8b96a5', '#f7d154'];

// toSeconds reads a time cell (RFC 3339, zone-less UTC text, or epoch) as
// unix seconds.
function toSeconds(v) {
  const t = parseTime(v);
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
// smallest gap between rows, or a round ~1/60 of the range. Returns
// {xs, step}; xs sorted and unchanged when they are not on one grid.
function timeline(xs, range) {
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1]);
  const from = range && toSeconds(range.from);
  const to = range && toSeconds(range.to);
  const haveRange = Number.isFinite(from) && Number.isFinite(to) && to > from;
  if (!Number.isFinite(step)) {
    // One bucket and no range to lay it in: nothing to draw a line over.
    if (!haveRange || sorted.length === 0) return null;
    step = NICE_STEPS.find((s) => s >= (to - from) / 60) || 86400;
  }
  if (step <= 0 || sorted.some((x) => Math.abs((x - sorted[0]) / step - Math.round((x - sorted[0]) / step)) > 1e-6)) return { xs: sorted, step: 0 };
  let start = sorted[0];
  let end = sorted[sorted.length - 1];
  if (haveRange) {
    while (start - step >= from && (end - start) / step < MAX_POINTS) start -= step;
    while (end + step < to && (end - start) / step < MAX_POINTS) end += step;
  }
  if ((end - start) / step > MAX_POINTS) return { xs: sorted, step: 0 };
  const out = [];
  for (let x = start; x <= end + 1e-9; x += step) out.push(x);
  return { xs: out, step };
}

/**
 * chartColumns resolves which columns a chart draws: the template's chart
 * spec ({x, y, series}, each optional) where it names them, inferred from
 * the column types where not. A timeseries takes the first time column as
 * x, the text columns besides it as series, and every numeric column as y.
 * A bar takes the text columns as its label (x, then series) and the first
 * numeric column as its length. Returns {x, y: [...], series: [...]} as
 * column indexes, or null when the result has no such columns.
 */
export function chartColumns(cols, kind, spec) {
  const idx = (name) => cols.findIndex((c) => c.name === name);
  const named = (name) => (name ? idx(name) : -1);
  spec = spec || {};
  const wantY = Array.isArray(spec.y) ? spec.y : spec.y ? [spec.y] : [];
  let x = named(spec.x);
  let series = spec.series ? [named(spec.series)].filter((i) => i >= 0) : null;
  if (kind === 'timeseries') {
    if (x < 0) x = cols.findIndex((c) => isTimeType(c.type));
    if (x < 0) return null;
    let y = wantY.map(named).filter((i) => i >= 0);
    if (y.length === 0) y = cols.map((c, i) => i).filter((i) => i !== x && !(series || []).includes(i) && isNumericType(cols[i].type));
    if (!series) series = cols.map((c, i) => i).filter((i) => i !== x && !y.includes(i) && !isNumericType(cols[i].type) && !isTimeType(cols[i].type));
    if (y.length === 0) return null;
    return { x, y, series };
  }
  // bar
  let y = wantY.map(named).filter((i) => i >= 0).slice(0, 1);
  const labels = [];
  if (x >= 0) labels.push(x);
  if (series) labels.push(...series);
  if (labels.length === 0) {
    cols.forEach((c, i) => {
      if (!isNumericType(c.type) && !isTimeType(c.type) && !y.includes(i)) labels.push(i);
    });
  }
  if (y.length === 0) {
    const first = cols.findIndex((c, i) => !labels.includes(i) && isNumericType(c.type));
    if (first >= 0) y = [first];
  }
  if (y.length === 0 || labels.length === 0) return null;
  return { x: labels[0], y, series: labels.slice(1), labels };
}

/**
 * timeSeries reads a result into {xs, series, unit, partialFrom} for
 * TimeChart, or returns null when it has no time and number columns. Each
 * line is one y column for one value of the series columns (at most ten,
 * biggest first; the table below has every row). range ({from, to}) widens
 * the time axis to the run's range; with series columns a bucket without a
 * row is 0 (such results are counts per bucket) unless y is a gauge (avg,
 * max, a rate…), elsewhere it is a gap. The
 * last bucket is partial when the range ends inside it.
 */
export function timeSeries(res, range, spec) {
  const cols = res.columns || [];
  const rows = res.rows || [];
  const cc = chartColumns(cols, 'timeseries', spec);
  if (!cc) return null;
  // Per-series counts are 0 in a bucket without a row; a gauge (avg, max,
  // a rate, a latency) has no value there, and is drawn with a gap.
  const zeroFill = cc.series.length > 0 && cc.y.every((i) => !GAUGE.test(cols[i].name));
  const lines = new Map(); // key -> {label, key, y, at: Map(x -> value)}
  const seen = [];
  for (const r of rows) {
    const x = toSeconds(r[cc.x]);
    if (!Number.isFinite(x)) continue;
    seen.push(x);
    const sk = cc.series.map((i) => cell(r[i])).join(' · ');
    for (const yi of cc.y) {
      const key = sk + '\u0000' + yi;
      if (!lines.has(key)) {
        const label = sk ? (cc.y.length > 1 ? `${sk} · ${cols[yi].name}` : sk) : cols[yi].name;
        lines.set(key, { label, seriesKey: sk, at: new Map() });
      }
      const m = lines.get(key).at;
      const v = toNumber(r[yi]);
      m.set(x, zeroFill ? (m.get(x) || 0) + (v || 0) : v);
    }
  }
  const tl = timeline(seen, range);
  if (!tl) return null;
  const { xs, step } = tl;
  const all = [...lines.values()].map((l) => ({ ...l, total: [...l.at.values()].reduce((a, v) => a + Math.abs(v || 0), 0) }));
  if (zeroFill) all.sort((a, b) => b.total - a.total);
  const shown = all.slice(0, MAX_LINES);
  let pi = 0;
  const series = shown.map((l) => {
    const colour = semanticColour(l.seriesKey) || PALETTE[pi++ % PALETTE.length];
    return { label: l.label, stroke: colour, values: xs.map((x) => (l.at.has(x) ? l.at.get(x) : zeroFill ? 0 : null)) };
  });
  const units = [...new Set(cc.y.map((i) => unitOf(cols[i].name)))];
  const to = range && toSeconds(range.to);
  let partialFrom = null;
  if (step > 0 && xs.length > 0 && Number.isFinite(to) && xs[xs.length - 1] + step > to) partialFrom = xs[xs.length - 1];
  return {
    xs, series, unit: units.length === 1 ? units[0] : '', partialFrom,
    hidden: all.length - shown.length,
    yNames: cc.y.map((i) => cols[i].name), seriesNames: cc.series.map((i) => cols[i].name), xName: cols[cc.x].name,
  };
}

// barRows reads a result for the bar view: one bar per row, labelled by
// the label columns, as long as the y column.
function barRows(res, spec) {
  const cols = res.columns || [];
  const cc = chartColumns(cols, 'bar', spec);
  if (!cc) return null;
  const yi = cc.y[0];
  return {
    yName: cols[yi].name,
    labelNames: cc.labels.map((i) => cols[i].name),
    unit: unitOf(cols[yi].name),
    rows: (res.rows || []).map((r) => ({
      label: cc.labels.map((i) => cell(r[i])).join(' · '),
      parts: cc.labels.map((i) => cell(r[i])),
      value: toNumber(r[yi]) || 0,
    })),
  };
}

// barList draws bars, the first MAX_BARS with a notice and a button for
// the rest when there are more.
function barList(bars) {
  const top = Math.max(...bars.rows.map((b) => Math.abs(b.value)), 0) || 1;
  const row = (b) => {
    const colour = b.parts.map(semanticColour).find(Boolean);
    return h('div', { class: 'bar-row', title: `${b.label}: ${measure(b.value, bars.unit)}` },
      h('span', { class: 'bar-label', text: b.label }),
      h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: (Math.abs(b.value) / top) * 100 + '%', background: colour || '' } })),
      h('span', { class: 'bar-value', text: measure(b.value, bars.unit) }));
  };
  const list = h('div', { class: 'bars', 'data-bars': 'result', 'data-y': bars.yName, 'data-x': bars.labelNames.join(',') },
    h('div', { class: 'bars-head muted' }, h('span', { text: bars.labelNames.join(' · ') }), h('span', { class: 'spacer' }), h('span', { class: 'bars-y', text: bars.yName })),
    bars.rows.slice(0, MAX_BARS).map(row));
  if (bars.rows.length <= MAX_BARS) return list;
  const more = h('div', { class: 'notice bars-more', 'data-notice': 'bars-cut' },
    `showing ${MAX_BARS} of ${bars.rows.length} bars; the table below has every row. `,
    h('button', {
      type: 'button', class: 'btn btn-ghost', text: `Show all ${bars.rows.length}`,
      onclick: () => {
        for (const b of bars.rows.slice(MAX_BARS, MAX_TABLE_ROWS)) list.appendChild(row(b));
        more.remove();
      },
    }));
  return h('div', null, list, more);
}

/**
 * renderResult draws a query result as its visualization asks: a uPlot
 * chart (timeseries, when the shape allows), bars, a single stat, or a
 * table; charts and stats keep the table below. range ({from, to}) is the
 * run's time range, for the chart's axis; chart is the template's chart
 * spec ({x, y, series}), when it names columns. table: false leaves the
 * table out below a chart, bars or a stat (dashboard panels, which inspect
 * their data on request). Returns {node, destroy}.
 */
export function renderResult(res, visualization, range, chart, { table = true } = {}) {
  const cols = Array.isArray(res.columns) ? res.columns : [];
  const rows = Array.isArray(res.rows) ? res.rows : [];
  const spec = chart || res.chart || null;
  const parts = [];
  let tc = null;
  if (cols.length === 0) {
    return { node: notice('The query returned no columns.'), destroy() {} };
  }
  if (rows.length === 0) {
    parts.push(notice('No rows for this range and these parameters.', 'result-empty'));
  } else {
    const viz = visualization || 'table';
    const ts = viz === 'timeseries' || viz === 'auto' ? timeSeries(res, range, spec) : null;
    if (ts) {
      const box = h('div', {
        class: 'result-chart', 'data-chart': 'result', 'data-y': ts.yNames.join(','), 'data-series': ts.seriesNames.join(','), 'data-x': ts.xName,
      });
      tc = new TimeChart(box, { height: 220, unit: ts.unit, bars: false });
      parts.push(h('div', { class: 'chart-caption muted', text: `${ts.yNames.join(', ')}${ts.seriesNames.length ? ' by ' + ts.seriesNames.join(', ') : ''} over ${ts.xName}` }));
      parts.push(box);
      if (ts.hidden > 0) parts.push(notice(`drawing the ${MAX_LINES} biggest of ${ts.hidden + MAX_LINES} series; the table below has every row`, 'lines-cut'));
      // Draw once the box is in the document, so it has a width.
      requestAnimationFrame(() => tc && tc.set(ts.xs, ts.series, { partialFrom: ts.partialFrom }));
    } else if (viz === 'stat') {
      const last = cols.length - 1;
      parts.push(h('div', { class: 'tile stat', 'data-stat': cols[last].name },
        h('div', { class: 'tile-label', text: cols[last].name }),
        h('div', { class: 'tile-value', text: isNumericType(cols[last].type) ? measure(rows[0][last], unitOf(cols[last].name)) : cell(rows[0][last]) })));
    } else if (viz === 'bar') {
      const bars = barRows(res, spec);
      if (bars && bars.rows.length) parts.push(barList(bars));
    }
    if (table || parts.length === 0) {
      const shown = rows.length > MAX_TABLE_ROWS ? { columns: cols, rows: rows.slice(0, MAX_TABLE_ROWS) } : res;
      parts.push(resultTable(shown));
      if (rows.length > MAX_TABLE_ROWS) parts.push(notice(`showing the first ${MAX_TABLE_ROWS} of ${rows.length} rows`));
    }
  }
  return {
    node: h('div', { class: 'result-view', 'data-visualization': visualization || 'table' }, parts),
    destroy() {
      if (tc) tc.destroy();
      tc = null;
    },
  };
}

/** sqlDisclosure shows rendered SQL behind a "SQL" summary. */
export function sqlDisclosure(sql, open = false) {
  return h('details', { class: 'sql-disclosure', open: open || null },
    h('summary', { text: 'SQL' }),
    h('pre', { class: 'sql-text mono', text: sql || '' }));
}

