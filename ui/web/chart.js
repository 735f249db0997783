// Time-series charts on uPlot. uPlot is loaded on first use from /vendor/,
// which `make ui` fills; a binary built without it shows a notice instead of
// charts and every other part of the page still works.

import { h, replace, notice } from './dom.js';
import { compact } from './format.js';

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
 * series: [{label, stroke, fill}] in display order, bottom to top when
 * stacked. bars draws bars instead of lines. stacked draws each series on top
 * of the ones before it; the legend and cursor still show each series' own
 * value.
 */
export class TimeChart {
  constructor(container, { height = 170, bars = false, stacked = false, yLabel = '' } = {}) {
    this.el = container;
    this.el.classList.add('chart');
    this.height = height;
    this.bars = bars;
    this.stacked = stacked;
    this.yLabel = yLabel;
    this.plot = null;
    this.key = '';
    this.ro = null;
    this.destroyed = false;
  }

  /** set draws xs (unix seconds) against series = [{label, stroke, fill, values}]. */
  async set(xs, series) {
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
    const key = drawn.map((s) => s.label).join('\u0000');
    if (!this.plot || key !== this.key) {
      this.create(uPlot, drawn, data);
      this.key = key;
    } else {
      this.plot.setData(data);
    }
    this.el.classList.toggle('chart-empty', xs.length === 0);
  }

  create(uPlot, drawn, data) {
    if (this.plot) this.plot.destroy();
    replace(this.el);
    const width = Math.max(this.el.clientWidth, 200);
    const paths = this.bars && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 24] }) : undefined;
    const opts = {
      width,
      height: this.height,
      padding: [8, 8, 0, 0],
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: '11px system-ui, sans-serif' },
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          font: '11px system-ui, sans-serif',
          size: 48,
          label: this.yLabel || undefined,
          labelFont: '11px system-ui, sans-serif',
          labelSize: this.yLabel ? 14 : 0,
          values: (u, vals) => vals.map((v) => compact(v)),
        },
      ],
      series: [
        { label: 'time' },
        ...drawn.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          width: this.bars ? 0 : 1.5,
          paths,
          points: { show: false },
          value: (u, v, si, idx) => {
            if (idx == null) return '–';
            const rawVal = s._raw ? s._raw[idx] : v;
            return rawVal == null ? '–' : compact(rawVal);
          },
        })),
      ],
    };
    this.plot = new uPlot(opts, data, this.el);
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

  destroy() {
    this.destroyed = true;
    if (this.ro) this.ro.disconnect();
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}
