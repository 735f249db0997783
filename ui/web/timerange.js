// Time range picker: relative ranges (last 5m … 24h) or an absolute from/to.
// Shared by every page that queries a time range.

import { h } from './dom.js';
import { fromInput, parseTime, rfc3339, toInput, zoneLabel } from './clock.js';

export const RANGES = [
  { key: '5m', label: 'Last 5 minutes', seconds: 300 },
  { key: '15m', label: 'Last 15 minutes', seconds: 900 },
  { key: '1h', label: 'Last 1 hour', seconds: 3600 },
  { key: '6h', label: 'Last 6 hours', seconds: 21600 },
  { key: '24h', label: 'Last 24 hours', seconds: 86400 },
];

/**
 * timeRangePicker builds the picker from URL params (range, or from and to).
 * A from/to that came in the URL is sent to the server exactly as given until
 * the user edits the inputs, so a shared link reproduces what it pinned (and a
 * malformed one gets the server's error, naming the field).
 *
 * Returns {el, resolve(), params()}: resolve() gives {from, to} in the
 * server's time grammar (a preset as "now-15m" to "now", a custom range as
 * RFC 3339), or throws an Error naming the field; params() gives the URL params
 * that reproduce the selection ({} for a custom range that does not
 * resolve).
 */
export function timeRangePicker(params, defaultRange = '15m') {
  let rawFrom = params.get('from');
  let rawTo = params.get('to');
  const custom = rawFrom !== null || rawTo !== null;
  const initial = RANGES.some((r) => r.key === params.get('range')) ? params.get('range') : defaultRange;

  const select = h('select', { name: 'range', 'aria-label': 'Time range' },
    RANGES.map((r) => h('option', { value: r.key, text: r.label })),
    h('option', { value: 'custom', text: 'Custom range…' }));
  select.value = custom ? 'custom' : initial;

  const fromBox = h('input', { type: 'datetime-local', name: 'from', 'aria-label': 'From', step: '1' });
  const toBox = h('input', { type: 'datetime-local', name: 'to', 'aria-label': 'To', step: '1' });
  const fill = (input, raw) => {
    const t = raw ? parseTime(raw) : NaN;
    if (Number.isFinite(t)) input.value = toInput(t);
  };
  fill(fromBox, rawFrom);
  fill(toBox, rawTo);
  fromBox.addEventListener('input', () => { rawFrom = null; });
  toBox.addEventListener('input', () => { rawTo = null; });

  const customBox = h('span', { class: 'range-custom' }, fromBox, h('span', { class: 'muted', text: '→' }), toBox,
    h('span', { class: 'muted range-zone', 'data-zone': 'picker', text: zoneLabel() }));
  const sync = () => {
    customBox.hidden = select.value !== 'custom';
  };
  select.addEventListener('change', () => {
    if (select.value === 'custom' && !fromBox.value && !toBox.value) {
      // Start from the range that was selected before.
      const now = Date.now();
      fromBox.value = toInput(now - 3600 * 1000);
      toBox.value = toInput(now);
      rawFrom = rawTo = null;
    }
    sync();
  });
  sync();

  function resolve() {
    if (select.value !== 'custom') {
      // The server resolves relative times against its own clock, the one
      // every answer's from and to are stated in.
      const r = RANGES.find((x) => x.key === select.value) || RANGES[1];
      return { from: `now-${r.key}`, to: 'now' };
    }
    const pick = (raw, input, field) => {
      if (raw !== null && raw !== undefined) return raw;
      if (!input.value) throw new Error(`${field}: pick a date and time`);
      // The inputs read in the chosen zone.
      const t = fromInput(input.value);
      if (!Number.isFinite(t)) throw new Error(`${field}: ${input.value} is not a date and time`);
      return rfc3339(t);
    };
    return { from: pick(rawFrom, fromBox, 'from'), to: pick(rawTo, toBox, 'to') };
  }

  function urlParams() {
    if (select.value !== 'custom') return { range: select.value };
    try {
      const r = resolve();
      return { from: r.from, to: r.to };
    } catch {
      // An incomplete custom range is left out of the URL.
      return {};
    }
  }

  return { el: h('span', { class: 'range-picker' }, select, customBox), resolve, params: urlParams };
}
