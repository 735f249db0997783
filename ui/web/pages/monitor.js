// A monitor (/alerts/monitor/<id>): what it watches and how (its
// definition), its query's history over the chosen range with the
// threshold as a dashed line and the times it was alerting shaded, its
// transitions with the links each carried, and the deliveries of those
// transitions with their status.
//
// The history runs the monitor's template version with its parameters
// (POST /api/v1/query), one line per value of its first group_by column.
// Each point is one bucket of the template; an evaluation folds the last
// `range` of them with the condition's reduce.

import { api, ApiError, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtTime, parseTime, zoneLabel } from '../clock.js';
import { TimeChart } from '../chart.js';
import { timeSeries } from '../result.js';
import { statsText } from '../table.js';
import {
  ALERTING, conditionText, deliveriesTable, labelChips, stateBadge, transitionsTable, valueText, contextLinks,
} from '../alerts.js';

// RANGES are the history windows offered; the transitions are read over
// the same window.
const RANGES = [['1h', 'last hour'], ['6h', 'last 6 hours'], ['24h', 'last 24 hours']];

/** firingBands turns transitions (oldest first) into the [from, to]
 * intervals (unix seconds) some group spent alerting, clipped to [from,
 * to]. A group alerting when the window began (its first transition
 * leaves an alerting state, or it has none and current says it alerts
 * since before) is shaded from the start; one still alerting until to. */
export function firingBands(transitions, current, from, to) {
  const open = new Map();
  const seen = new Set();
  const out = [];
  for (const t of transitions) {
    const at = parseTime(t.at) / 1000;
    const first = !seen.has(t.group);
    seen.add(t.group);
    if (ALERTING.includes(t.to)) {
      if (!open.has(t.group)) open.set(t.group, at);
    } else if (open.has(t.group)) {
      out.push([open.get(t.group), at]);
      open.delete(t.group);
    } else if (first && ALERTING.includes(t.from)) {
      out.push([from, at]);
    }
  }
  for (const start of open.values()) out.push([start, to]);
  for (const a of current) {
    if (!seen.has(a.group) && ALERTING.includes(a.state)) out.push([parseTime(a.since) / 1000, to]);
  }
  return out.map(([a, b]) => [Math.max(a, from), Math.min(b, to)]).filter(([a, b]) => b > a);
}

export function mount(el, ctx) {
  const id = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() || '');
  const range = RANGES.some(([k]) => k === ctx.params.get('range')) ? ctx.params.get('range') : '6h';
  const ctrl = new AbortController();
  const get = (path, opts = {}) => api(path, { ...opts, signal: ctrl.signal });
  let chart = null;
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: id })), notice('Loading the monitor…'));

  (async () => {
    let entry;
    try {
      entry = await get('/api/v1/monitors/' + encodeURIComponent(id));
    } catch (e) {
      if (e.name === 'AbortError') return;
      const msg = e instanceof ApiError && e.status === 404 ? `There is no monitor ${JSON.stringify(id)}.` : e.message;
      replace(el, h('div', { class: 'page-head' }, h('h1', { text: id })), errorBox(msg));
      el.dataset.state = 'error';
      return;
    }
    const m = entry.monitor;
    document.title = (m.title || m.id) + ' · logmart';
    const picker = h('select', { name: 'range', 'aria-label': 'History range' }, RANGES.map(([k, label]) => h('option', { value: k, text: label })));
    picker.value = range;
    picker.addEventListener('change', () => ctx.navigate(location.pathname + query({ range: picker.value }), { replace: true }));
    const chartBox = h('div', { class: 'monitor-chart', 'data-chart': 'history' });
    const chartNote = h('div', { class: 'muted chart-legend-note' });
    const current = h('div', { 'data-list': 'current' }, notice('loading…'));
    const transBox = h('div', { 'data-list': 'transitions' }, notice('loading…'));
    const delivBox = h('div', { 'data-list': 'deliveries' }, notice('loading…'));
    replace(el,
      h('div', { class: 'page-head' },
        h('h1', { text: m.title || m.id }),
        h('span', { class: 'sev sev-' + m.severity, text: m.severity }),
        h('span', { class: 'spacer' }),
        h('a', { href: '/alerts', 'data-nav': true, class: 'btn btn-small btn-ghost', text: 'All alerts' }),
        m.playbook ? h('a', { href: m.playbook, target: '_blank', rel: 'noopener', class: 'btn btn-small', text: 'Playbook' }) : null),
      m.description ? h('p', { class: 'muted dash-desc', text: m.description }) : null,
      card('Definition', definition(entry)),
      card('Current alerts', current),
      card('History', [chartBox, chartNote], picker),
      card('Transitions', transBox, h('span', { class: 'muted', text: RANGES.find(([k]) => k === range)[1] })),
      card('Deliveries', delivBox));

    const now = Date.now();
    const to = Math.floor(now / 1000);
    const from = to - { '1h': 3600, '6h': 21600, '24h': 86400 }[range];
    const transitions = get('/api/v1/alerts/transitions' + query({ monitor: m.id, since: range })).then((res) => (res && res.transitions) || []);

    const alerting = get('/api/v1/alerts').then((res) => ((res && res.alerts) || []).filter((a) => a.monitor === m.id));
    alerting.then((mine) => {
      replace(current, mine.length === 0 ? notice('Every group is ok.') : h('ul', { class: 'current-alerts' }, mine.map((a) =>
        h('li', { 'data-group': a.group }, stateBadge(a.state), ' ', labelChips(a.labels), ' ',
          h('span', { class: 'mono', text: `${valueText(a.value)} vs ${a.threshold || '–'}` }), ' ',
          h('span', { class: 'muted', text: `since ${fmtTime(a.since)} ${zoneLabel()}` }), ' ', contextLinks(a)))));
    }, (e) => { if (e.name !== 'AbortError') replace(current, errorBox('cannot list the alerts: ' + e.message)); });

    transitions.then((list) => {
      replace(transBox, transitionsTable(list));
      transBox.dataset.loaded = 'true';
    }, (e) => { if (e.name !== 'AbortError') replace(transBox, errorBox('cannot list the transitions: ' + e.message)); });

    get('/api/v1/notifications' + query({ monitor: m.id, limit: 100 })).then((res) => {
      replace(delivBox, deliveriesTable((res && res.notifications) || []));
      delivBox.dataset.loaded = 'true';
    }, (e) => { if (e.name !== 'AbortError') replace(delivBox, errorBox('cannot list the deliveries: ' + e.message)); });

    // The history: the template over the range, then the bands once the
    // transitions are in.
    const c = m.condition || {};
    const threshold = c.change ? null : c.above ?? c.below ?? null;
    try {
      const res = await get('/api/v1/query', {
        method: 'POST',
        body: { template: m.template.id, version: m.template.version, params: m.params || {}, from: `now-${range}`, to: 'now' },
      });
      const spec = { x: res.chart && res.chart.x, y: c.column || (res.chart && res.chart.y), series: (m.group_by || [])[0] };
      const ts = timeSeries(res, { from: res.from, to: res.to }, spec);
      if (!ts) {
        replace(chartBox, notice(c.column ? `The result has no time column to draw ${c.column} over.` : 'This monitor has no value column to draw.'));
        chartBox.dataset.state = 'empty';
      } else {
        let bands = [];
        try {
          bands = firingBands(await transitions, await alerting, from, to);
        } catch (e) {
          if (e.name === 'AbortError') return;
        }
        chart = new TimeChart(chartBox, { height: 220, unit: ts.unit, yLabel: c.column || '' });
        await chart.set(ts.xs, ts.series, { partialFrom: ts.partialFrom, step: ts.step, threshold, bands });
        chartBox.dataset.state = 'done';
      }
      chartNote.textContent = [
        threshold !== null ? `dashed line: the threshold (${conditionText(c)})` : conditionText(c),
        'shaded: alerting (firing, no data or error)',
        ts && ts.hidden ? `${ts.hidden} more series in the template's result` : '',
        statsText(res),
      ].filter(Boolean).join(' · ');
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(chartBox, errorBox('cannot run the monitor\'s query: ' + e.message));
      chartBox.dataset.state = 'error';
    }
  })();

  return () => {
    ctrl.abort();
    if (chart) chart.destroy();
  };
}

// definition is the monitor's definition in a few lines: query, timing,
// condition, grouping, context and channels.
function definition(entry) {
  const m = entry.monitor;
  const params = Object.entries(m.params || {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ');
  const dash = m.dashboard;
  const dashVars = dash ? Object.entries(dash.vars || {}).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  const row = (k, v) => (v === null || v === undefined || v === '' ? null : [h('dt', { text: k }), h('dd', null, v)]);
  return h('dl', { class: 'kv monitor-def', 'data-monitor': m.id },
    row('id', m.id),
    row('owner', m.owner),
    row('query', `${m.template.id} v${m.template.version}${params ? ' with ' + params : ''}`),
    row('every', `${m.every}, reading the last ${m.range}`),
    row('condition', conditionText(m.condition)),
    row('for', m.for),
    row('keep firing for', m.keep_firing_for),
    row('one alert per', (m.group_by || []).join(', ') || null),
    row('labels', m.labels && Object.keys(m.labels).length ? labelChips(m.labels) : null),
    row('dashboard', dash ? h('a', { href: `/d/${encodeURIComponent(dash.uid)}`, 'data-nav': true, text: dash.uid + (dashVars ? ` (${dashVars})` : '') }) : null),
    row('playbook', m.playbook ? h('a', { href: m.playbook, target: '_blank', rel: 'noopener', text: m.playbook }) : null),
    row('escalation', m.escalation),
    row('notifies', (m.notify || []).join(', ') || 'no channel'),
    row('source', `${entry.source === 'file' ? 'file ' + (entry.file || '') : 'API'} · hash ${String(entry.hash).slice(0, 12)}`));
}
