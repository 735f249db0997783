// Time-series charts on uPlot. uPlot is loaded on first use from /vendor/,
// which `make ui` fills; a binary built without it shows a notice instead of
// charts and every other part of the page still works.

import { h, replace, notice } from './dom.js';
import { measure } from './format.js';
import { axisLabels, fmtTime, zoneLabel, zoneSetting } from './clock.js';

export const CHARTS_UNAVAILABLE = 'charts unavailable: run make ui';

let loading = null;

/** loadUPlot resolves to the uPlot constructor, or null when it is not
 * embedded in this binary. */
export function loadUPlot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!loading) {
    loading = new Promise((resolve) => {
      const script = document.createElement('script');
      script.src = '/vendor/uPlot.iife.min.js';
      script.onerror = () => resolve(null);
      script.onload = () => {
        if (!window.uPlot) return resolve(null);
        // Load the stylesheet only when the script exists, so a build without
        // vendor files does not log a second 404.
        const css = document.createElement('link');
        css.rel = 'stylesheet';
        css.href = '/vendor/uPlot.min.css';
        css.onload = css.onerror = () => resolve(window.uPlot);
        document.head.appendChild(css);
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

const AXIS = '#8b96a5';
const GRID = 'rgba(255,255,255,0.07)';

/**
 * TimeChart draws series over unix-second timestamps in a container.
 *
 * series: [{label, stroke, fill, dash}] in display order, bottom to top when
 * stacked. bars draws bars instead of lines. stacked draws each series on top
 * of the ones before it; the legend and cursor still show each series' own
 * value. unit ('', 'bytes', 'ms', 'fraction') picks how values read (see
 * measure). partialFrom (unix seconds) marks the buckets from there on as
 * still filling, so a last bucket cut by "now" does not read as a drop.
 *
 * The time axis is written in the header's zone and the browser's locale;
 * the container's data-x-ticks holds the tick labels last drawn and
 * data-zone the zone, for tests and screen readers.
 */
export class TimeChart {
  constructor(container, { height = 170, bars = false, stacked = false, yLabel = '', unit = '', onZoom = null } = {}) {
    // onZoom(fromMs, toMs), when set, lets the user drag across the chart,
    // or click a bar, to ask for that part of the range.
    this.onZoom = onZoom;
    this.el = container;
    this.el.classList.add('chart');
    this.height = height;
    this.bars = bars;
    this.stacked = stacked;
    this.yLabel = yLabel;
    this.unit = unit;
    this.partialFrom = null;
    this.threshold = null;
    this.bands = [];
    this.plot = null;
    this.key = '';
    this.ro = null;
    this.destroyed = false;
  }

  /** set draws xs (unix seconds) against series = [{label, stroke, fill,
   * values}]; opts.partialFrom marks buckets still filling, and opts.step
   * (seconds) is a bucket's width when the buckets are not all there.
   * opts.threshold draws a dashed horizontal line at that value (a
   * monitor's condition), kept inside the y scale; opts.bands shades
   * [fromSec, toSec] intervals (when a monitor was firing); opts.between
   * fills [{from, to, fill}] between two series (indexes into series, not
   * stacked), such as a forecast's interval. */
  async set(xs, series, { partialFrom = null, step = null, threshold = null, bands = [], between = [] } = {}) {
    this.between = this.stacked ? [] : between;
    this.partialFrom = partialFrom;
    this.step = step;
    this.threshold = Number.isFinite(threshold) ? threshold : null;
    this.bands = bands;
    this.el.dataset.threshold = this.threshold === null ? '' : String(this.threshold);
    this.el.dataset.bands = String(bands.length);
    const uPlot = await loadUPlot();
    if (this.destroyed) return;
    if (!uPlot) {
      if (!this.el.querySelector('.charts-unavailable')) {
        replace(this.el, notice(CHARTS_UNAVAILABLE, 'charts-unavailable'));
      }
      return;
    }
    const raw = series.map((s) => s.values);
    let drawn = series;
    let data = [xs, ...raw];
    if (this.stacked) {
      // Cumulative sums, drawn top-most first so lower layers paint over.
      const cum = [];
      let acc = xs.map(() => 0);
      for (const vals of raw) {
        acc = acc.map((a, i) => a + (Number(vals[i]) || 0));
        cum.push(acc);
      }
      drawn = series.map((s, i) => ({ ...s, _raw: raw[i], _cum: cum[i] })).reverse();
      data = [xs, ...drawn.map((s) => s._cum)];
    }
    const key = drawn.map((s) => s.label).join('\u0000') + '\u0000' + zoneSetting();
    if (!this.plot || key !== this.key) {
      this.create(uPlot, drawn, data);
      this.key = key;
    } else {
      this.plot.setData(data);
    }
    this.el.classList.toggle('chart-empty', xs.length === 0);
    let note = this.el.querySelector('.chart-partial-note');
    const partial = partialFrom != null && xs.length > 0 && partialFrom <= xs[xs.length - 1];
    if (partial && !note) {
      note = h('div', { class: 'chart-partial-note muted', text: 'shaded: the last bucket is still filling' });
      this.el.appendChild(note);
    }
    if (note) note.hidden = !partial;
    this.el.dataset.partialFrom = partial ? String(partialFrom) : '';
  }

  create(uPlot, drawn, data) {
    if (this.plot) this.plot.destroy();
    replace(this.el);
    const width = Math.max(this.el.clientWidth, 200);
    const paths = this.bars && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 24] }) : undefined;
    const unit = this.unit;
    const fmt = (v) => measure(v, unit);
    const el = this.el;
    el.dataset.zone = zoneLabel();
    const utc = zoneSetting() === 'utc';
    const opts = {
      width,
      height: this.height,
      padding: [8, 8, 0, 0],
      // Ticks fall on the zone's whole hours and days.
      tzDate: (ts) => (utc ? uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : new Date(ts * 1000)),
      cursor: { drag: { x: Boolean(this.onZoom), y: false, setScale: false }, points: { size: 6 } },
      select: { show: Boolean(this.onZoom) },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (u, min, max) => this.yRange(min, max) } },
      hooks: { drawClear: [(u) => this.shadePartial(u), (u) => this.shadeBands(u)], draw: [(u) => this.drawThreshold(u)], setSelect: [(u) => this.zoomTo(u)] },
      axes: [
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          font: '11px system-ui, sans-serif',
          size: 40,
          values: (u, splits, ai, space, incr) => {
            const labels = axisLabels(splits, incr);
            el.dataset.xTicks = JSON.stringify(splits.map((x, i) => [x, labels[i]]));
            return labels;
          },
        },
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          font: '11px system-ui, sans-serif',
          size: 48,
          label: this.yLabel || undefined,
          labelFont: '11px system-ui, sans-serif',
          labelSize: this.yLabel ? 14 : 0,
          values: (u, vals) => vals.map(fmt),
        },
      ],
      series: [
        { label: `time, ${zoneLabel()}`, value: (u, v) => (v == null ? '–' : fmtTime(v * 1000)) },
        ...drawn.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          dash: s.dash,
          width: this.bars ? 0 : 1.5,
          paths,
          points: { show: false },
          value: (u, v, si, idx) => {
            if (idx == null) return '–';
            const rawVal = s._raw ? s._raw[idx] : v;
            return rawVal == null ? '–' : fmt(rawVal);
          },
        })),
      ],
    };
    if (this.between && this.between.length) {
      opts.bands = this.between.map((b) => ({ series: [b.from + 1, b.to + 1], fill: b.fill }));
    }
    this.plot = new uPlot(opts, data, this.el);
    if (this.onZoom) {
      this.el.classList.add('chart-zoom');
      this.plot.over.title = 'drag across, or click a bar, to zoom in';
      this.plot.over.addEventListener('click', () => this.zoomBar());
    }
    this.el.appendChild(h('div', { class: 'chart-empty-note', text: 'no data in this range' }));
    if (!this.ro && 'ResizeObserver' in window) {
      let last = width;
      this.ro = new ResizeObserver(() => {
        const w = Math.max(this.el.clientWidth, 200);
        if (this.plot && Math.abs(w - last) > 2) {
          last = w;
          this.plot.setSize({ width: w, height: this.height });
        }
      });
      this.ro.observe(this.el);
    }
  }

  // zoomTo hands a dragged selection to onZoom.
  zoomTo(u) {
    if (!this.onZoom || u.select.width < 3) return;
    const from = u.posToVal(u.select.left, 'x');
    const to = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    this.dragged = true;
    this.onZoom(Math.floor(from * 1000), Math.ceil(to * 1000));
  }

  // zoomBar hands the bucket under the cursor to onZoom on a click that
  // was not the end of a drag.
  zoomBar() {
    if (this.dragged) {
      this.dragged = false;
      return;
    }
    const u = this.plot;
    const idx = u && u.cursor.idx;
    const xs = u && u.data[0];
    if (idx == null || !xs || !xs.length) return;
    const step = this.step || (xs.length > 1 ? xs[1] - xs[0] : 60);
    this.onZoom(xs[idx] * 1000, (xs[idx] + step) * 1000);
  }

  // shadePartial greys the buckets still filling (from partialFrom on), so
  // a short last bucket reads as "not finished", not as a drop.
  shadePartial(u) {
    const from = this.partialFrom;
    if (from == null || !u.data || !u.data[0] || u.data[0].length === 0) return;
    const xs = u.data[0];
    const step = xs.length > 1 ? xs[1] - xs[0] : 0;
    // Bars: the partial bar itself; lines: the segment that falls to it.
    const left = u.valToPos(from - (this.bars ? step / 2 : step), 'x', true);
    const right = u.bbox.left + u.bbox.width;
    if (!(left < right)) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(139,150,165,0.14)';
    const x0 = Math.max(left, u.bbox.left);
    ctx.fillRect(x0, u.bbox.top, right - x0, u.bbox.height);
    ctx.restore();
  }

  // yRange starts the y scale at 0 (or below) and keeps the threshold in
  // view with some room above it.
  yRange(min, max) {
    const t = this.threshold;
    const lo = Math.min(0, min ?? 0, t ?? 0);
    const hi = Math.max(max ?? 0, t ?? 0);
    return [lo, hi > 0 ? hi * 1.08 : 1];
  }

  // shadeBands fills the bands (when a monitor was firing) in translucent
  // red behind the lines.
  shadeBands(u) {
    if (!this.bands.length) return;
    const ctx = u.ctx;
    const left = u.bbox.left;
    const right = left + u.bbox.width;
    ctx.save();
    ctx.fillStyle = 'rgba(242,85,90,0.16)';
    for (const [from, to] of this.bands) {
      const x0 = Math.max(left, u.valToPos(from, 'x', true));
      const x1 = Math.min(right, u.valToPos(to, 'x', true));
      if (x1 > x0) ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 2), u.bbox.height);
    }
    ctx.restore();
  }

  // drawThreshold draws the threshold as a dashed line across the plot.
  drawThreshold(u) {
    if (this.threshold === null) return;
    const y = u.valToPos(this.threshold, 'y', true);
    if (!Number.isFinite(y)) return;
    // The canvas row it is drawn on, for tests.
    this.el.dataset.thresholdY = String(Math.round(y));
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#f2555a';
    ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }

  destroy() {
    this.destroyed = true;
    if (this.ro) this.ro.disconnect();
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}
