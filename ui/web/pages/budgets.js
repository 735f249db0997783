// Budgets (/budgets): one card per ingest budget with its state, its usage
// of the current period against the capacity, the forecast of the
// period's end with its interval, what it kept out (dropped, archive only),
// a chart of the usage so far with the forecast band to the period's end,
// the budgets its records also count toward, the earlier periods, a Reset
// button, and the notifications the budget sent with their delivery
// state. The server owns usage, forecasts and states
// (GET /api/v1/budgets); the page only reads budget_usage for the chart.

import { api, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtClock, fmtTime, parseTime, zoneLabel } from '../clock.js';
import { TimeChart } from '../chart.js';
import { bytes, int, num } from '../format.js';
import { deliveriesTable, table } from '../alerts.js';

const REFRESH_MS = 30000;

// A budget id as the server accepts it; checked before it goes into SQL.
const ID_RE = /^[A-Za-z0-9_-]{1,40}$/;

const STATE_TEXT = {
  ok: 'ok',
  threshold_crossed: 'threshold crossed',
  forecast_over: 'forecast over',
  exceeded: 'exceeded',
  forecast_under: 'forecast under',
};

const METHOD_TEXT = { forecast: 'seasonal forecast', trend: 'trend (no history)', linear: 'linear' };

/** budgetBadge is a budget's state in its colour. */
function budgetBadge(state) {
  const s = String(state || '');
  return h('span', { class: 'state state-budget-' + s.replace(/[^a-z_]/g, ''), 'data-state': s, text: STATE_TEXT[s] || s });
}

/** amount writes a budget quantity in its unit. */
function amount(v, unit) {
  return unit === 'bytes' ? bytes(v) : int(v) + ' events';
}

/** usageSQL reads a budget's per-minute usage since from (unix seconds). */
export function usageSQL(id, from) {
  if (!ID_RE.test(id)) throw new Error(`budget id ${JSON.stringify(id)} is not [A-Za-z0-9_-]{1,40}`);
  return `SELECT minute, sum(events) AS events, sum(bytes) AS bytes FROM budget_usage WHERE budget = '${id}' AND minute >= toDateTime(${Math.floor(from)}) GROUP BY minute ORDER BY minute`;
}

/**
 * chartData builds the chart's x values and series: the cumulative usage at
 * each minute (minutes are the start of each minute, so a minute's usage is
 * drawn at its end), then from now a straight band from the usage to the
 * forecast's lower and upper ends at the period's end, and the line to its
 * point; the lower bound as a flat line when the budget has one.
 */
export function chartData(b, rows, nowSec) {
  const start = parseTime(b.period_start) / 1000;
  const end = parseTime(b.period_end) / 1000;
  // reset_at is where usage counts again from: the minute after a reset.
  const counted = b.reset_at ? Math.max(start, parseTime(b.reset_at) / 1000) : start;
  const col = b.unit === 'events' ? 'events' : 'bytes';
  // Before a reset nothing counts: no line there.
  const xs = counted > start ? [start, counted] : [start];
  const used = counted > start ? [null, 0] : [0];
  let acc = 0;
  for (const r of rows) {
    const m = parseTime(r.minute) / 1000;
    if (!Number.isFinite(m) || m < counted) continue;
    acc += Number(r[col]) || 0;
    const x = Math.min(m + 60, nowSec);
    if (x > xs[xs.length - 1]) {
      xs.push(x);
      used.push(acc);
    } else {
      used[used.length - 1] = acc;
    }
  }
  // The server's usage is the truth at now; the minutes read a moment
  // later may differ by the minute in flight.
  const now = Math.max(Math.min(nowSec, end), xs[xs.length - 1]);
  const current = Math.max(Number(b.usage) || 0, acc);
  if (now > xs[xs.length - 1]) {
    xs.push(now);
    used.push(current);
  } else {
    used[used.length - 1] = current;
  }
  const nowIdx = xs.length - 1;
  const f = b.forecast || {};
  const ready = f.ready && end > now;
  if (end > now) {
    xs.push(end);
    used.push(null);
  }
  const band = (v) => xs.map((_, i) => (!ready ? null : i === nowIdx ? current : i === xs.length - 1 ? Number(v) : null));
  const series = [{ label: 'usage', stroke: '#4ea1ff', fill: 'rgba(78,161,255,0.12)', values: used }];
  if (ready) {
    series.push(
      { label: 'forecast upper', stroke: '#d9a441', dash: [4, 4], values: band(f.upper) },
      { label: 'forecast', stroke: '#e8c36a', dash: [8, 4], values: band(f.point) },
      { label: 'forecast lower', stroke: '#d9a441', dash: [4, 4], values: band(f.lower) });
  }
  if (b.lower_bound) series.push({ label: 'lower bound', stroke: '#b48ef0', dash: [2, 4], values: xs.map(() => b.lower_bound) });
  return { xs, series };
}

export function mount(el) {
  const ctrl = new AbortController();
  const get = (path, opts = {}) => api(path, { ...opts, signal: ctrl.signal });
  const list = h('div', { class: 'budget-list', 'data-list': 'budgets' }, notice('Loading the budgets…'));
  const updated = h('span', { class: 'muted refresh-status', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', class: 'btn btn-small', text: 'Refresh', onclick: () => load() });
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Budgets' }), h('span', { class: 'spacer' }), updated, refresh),
    h('p', { class: 'muted budget-rule', 'data-note': 'overlaps' },
      'A record counts toward every budget whose scope takes it, parent and child alike. Once some of them are exceeded, the strictest action wins: stop, then archive-only, then keep.'),
    list);
  const charts = new Map(); // budget id -> TimeChart

  async function load() {
    // A reset form being filled in survives nothing; wait for it.
    if (list.querySelector('form')) return;
    let budgets;
    let notes = [];
    try {
      const [res, nres] = await Promise.all([
        get('/api/v1/budgets'),
        get('/api/v1/notifications' + query({ limit: 200 })).catch((e) => {
          if (e.name === 'AbortError') throw e;
          return { error: e.message };
        }),
      ]);
      budgets = (res && res.budgets) || [];
      notes = nres.error ? nres : (nres.notifications || []).filter((n) => n.event && n.event.source === 'budget');
    } catch (e) {
      if (e.name !== 'AbortError') replace(list, errorBox('cannot list the budgets: ' + e.message));
      return;
    }
    if (list.querySelector('form')) return;
    for (const c of charts.values()) c.destroy();
    charts.clear();
    if (budgets.length === 0) {
      replace(list, notice('No budgets yet: add YAML files under configs/budgets/.'));
    } else {
      replace(list, budgets.map((b) => budgetCard(b, notes)));
    }
    list.dataset.loaded = 'true';
    updated.textContent = `updated ${fmtClock()}`;
  }

  function budgetCard(b, notes) {
    const chartBox = h('div', { class: 'budget-chart', 'data-chart': 'usage' });
    const resetBox = h('div', { class: 'budget-reset' });
    const resetBtn = h('button', {
      type: 'button', class: 'btn btn-small', 'data-action': 'reset', text: 'Reset',
      title: 'Start counting this period again from the next minute (needs the editor role)',
      onclick: () => resetForm(resetBox, b, (r) => {
        replace(resetBox, h('div', { class: 'notice reset-done', role: 'status', 'data-reset': 'done' },
          `Reset at ${fmtTime(r.at)} ${zoneLabel()} by ${r.by || 'anonymous'}: ${r.reason}`));
        setTimeout(load, 1500);
      }),
    });
    let notesBody;
    if (notes.error) notesBody = errorBox('cannot list the notifications: ' + notes.error);
    else {
      const mine = notes.filter((n) => (n.event.labels || {}).budget === b.id);
      notesBody = mine.length ? deliveriesTable(mine) : notice('No notifications sent for this budget yet.');
    }
    const node = h('section', { class: 'card budget-card', 'data-budget': b.id, 'data-state': b.state },
      h('div', { class: 'card-head' },
        h('h2', { class: 'mono', text: b.id }),
        budgetBadge(b.state),
        h('span', { class: 'spacer' }),
        b.dashboard ? h('a', { href: '/d/' + encodeURIComponent(b.dashboard), 'data-nav': true, 'data-link': 'dashboard', class: 'btn btn-small btn-ghost', text: 'Dashboard' }) : null,
        b.playbook ? h('a', { href: b.playbook, target: '_blank', rel: 'noopener', 'data-link': 'playbook', class: 'btn btn-small btn-ghost', text: 'Playbook' }) : null,
        resetBtn),
      h('div', { class: 'card-body' },
        b.description ? h('p', { class: 'muted budget-desc', text: b.description }) : null,
        summary(b),
        resetBox,
        chartBox,
        h('div', { class: 'muted chart-legend-note', text: chartNote(b) }),
        h('h3', { class: 'budget-sub', text: 'Earlier periods' }),
        h('div', { 'data-list': 'budget-history' }, historyTable(b)),
        h('h3', { class: 'budget-sub', text: 'Notifications' }),
        h('div', { 'data-list': 'budget-notifications' }, notesBody)));
    drawChart(b, chartBox);
    return node;
  }

  async function drawChart(b, box) {
    let rows = [];
    try {
      const from = parseTime(b.reset_at || b.period_start) / 1000;
      const res = await get('/api/v1/sql', { method: 'POST', body: { sql: usageSQL(b.id, from) } });
      const cols = (res.columns || []).map((c) => c.name || c);
      rows = (res.rows || res.data || []).map((r) => (Array.isArray(r) ? Object.fromEntries(cols.map((c, i) => [c, r[i]])) : r));
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(box, errorBox('cannot read the usage: ' + e.message));
      box.dataset.state = 'error';
      return;
    }
    if (!box.isConnected) return;
    const { xs, series } = chartData(b, rows, Date.now() / 1000);
    const chart = new TimeChart(box, { height: 200, unit: b.unit === 'bytes' ? 'bytes' : '' });
    charts.set(b.id, chart);
    const upper = series.findIndex((s) => s.label === 'forecast upper');
    const lower = series.findIndex((s) => s.label === 'forecast lower');
    const between = upper > 0 && lower > 0 ? [{ from: upper, to: lower, fill: 'rgba(217,164,65,0.18)' }] : [];
    await chart.set(xs, series, { threshold: b.capacity, between });
    box.dataset.state = 'done';
  }

  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    ctrl.abort();
    clearInterval(timer);
    for (const c of charts.values()) c.destroy();
  };
}

// summary lists the budget's figures: usage against capacity, forecast,
// period, action, kept-out volume and a reset.
function summary(b) {
  const f = b.forecast || {};
  const share = b.capacity > 0 ? ` (${num((b.usage / b.capacity) * 100)}%)` : '';
  let forecast;
  if (!f.ready) forecast = h('span', { class: 'muted', 'data-forecast': 'none', text: 'no forecast yet' });
  else {
    forecast = h('span', { 'data-forecast': f.method },
      `${amount(f.point, b.unit)} (${amount(f.lower, b.unit)} – ${amount(f.upper, b.unit)})`,
      h('span', { class: 'muted', text: ' · ' + (METHOD_TEXT[f.method] || f.method) + (f.history ? `, from ${int(f.history)} earlier period${f.history === 1 ? '' : 's'}` : '') }));
  }
  const row = (k, v, attr) => (v === null || v === undefined || v === '' ? null : [h('dt', { text: k }), h('dd', { 'data-field': attr || k }, v)]);
  return h('dl', { class: 'kv budget-kv' },
    row('usage', h('span', null, h('strong', { class: 'budget-usage', text: amount(b.usage, b.unit) }), ` of ${amount(b.capacity, b.unit)}${share}`), 'usage'),
    row('forecast at end', forecast, 'forecast'),
    b.lower_bound ? row('lower bound', amount(b.lower_bound, b.unit), 'lower_bound') : null,
    row('thresholds', (b.thresholds || []).map((t) => num(t * 100) + '%').join(', ')),
    row('period', `${b.period}: ${fmtTime(b.period_start)} – ${fmtTime(b.period_end)} ${zoneLabel()}`, 'period'),
    row('scope', h('code', { class: 'mono', text: b.scope || '' }), 'scope'),
    row('action', b.action),
    row('counts with', (b.overlaps || []).length ? h('span', null, (b.overlaps || []).map((id, i) => [i ? ', ' : '', h('span', { class: 'mono', text: id })]),
      h('span', { class: 'muted', text: ' (their records count here too; the strictest exceeded action wins)' })) : '', 'overlaps'),
    row('alerts this period', (b.alerts || []).length ? (b.alerts || []).map((s) => [budgetBadge(s), ' ']) : '', 'alerts'),
    row('dropped', amount(b.dropped || 0, b.unit)),
    row('archive only', amount(b.archive_only || 0, b.unit), 'archive_only'),
    row('owner', b.owner),
    b.reset_at ? row('reset', `counting again from ${fmtTime(b.reset_at)} ${zoneLabel()}`, 'reset_at') : null);
}

// historyTable lists the earlier periods, newest first: usage against the
// capacity with a bar, what was kept out, and the alerts each raised.
export function historyTable(b) {
  const list = b.history || [];
  if (list.length === 0) return notice('No earlier period recorded yet.');
  return table([`Period (${zoneLabel()})`, 'Usage', 'Dropped', 'Archive only', 'Alerts'], list.map((p) => {
    const share = b.capacity > 0 ? p.usage / b.capacity : 0;
    return h('tr', { 'data-period': p.start, 'data-exceeded': String(!!p.exceeded) },
      h('td', { class: 'mono', text: `${fmtTime(p.start)} – ${fmtTime(p.end)}` }),
      h('td', null,
        h('div', { class: 'budget-bar' + (p.exceeded ? ' budget-bar-over' : ''), title: `${num(share * 100)}% of ${amount(b.capacity, b.unit)}` },
          h('span', { style: { width: Math.min(100, share * 100).toFixed(1) + '%' } })),
        h('span', { text: `${amount(p.usage, b.unit)} (${num(share * 100)}%)` }),
        p.exceeded ? h('span', { class: 'form-error', text: ' exceeded' }) : null),
      h('td', { class: 'num', text: amount(p.dropped || 0, b.unit) }),
      h('td', { class: 'num', text: amount(p.archive_only || 0, b.unit) }),
      h('td', null, (p.alerts || []).length ? p.alerts.map((s) => [budgetBadge(s), ' ']) : h('span', { class: 'muted', text: 'none' })));
  }), { 'data-table': 'budget-history' });
}

function chartNote(b) {
  const f = b.forecast || {};
  return [
    'line: usage so far',
    f.ready ? 'amber: forecast to the period\'s end, shaded between its lower and upper ends' : 'no forecast yet',
    `dashed red: capacity ${amount(b.capacity, b.unit)}`,
    b.lower_bound ? `dotted violet: lower bound ${amount(b.lower_bound, b.unit)}` : '',
  ].filter(Boolean).join(' · ');
}

// resetForm asks why, then resets the budget's period; done(result) runs
// once the server recorded it.
function resetForm(box, b, done) {
  const reason = h('input', { type: 'text', name: 'reset-reason', 'aria-label': 'Why reset', placeholder: 'Why reset? (recorded with the reset)', maxlength: '1000', class: 'grow', required: true });
  const msg = h('span', { class: 'save-msg', role: 'status' });
  const form = h('form', { class: 'toolbar', 'data-form': 'reset' },
    h('span', { class: 'muted' }, 'Reset ', h('span', { class: 'mono', text: b.id }), ': usage counts again from the next minute'),
    reason,
    h('button', { type: 'submit', class: 'btn btn-small btn-danger', text: 'Reset usage' }),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Cancel', onclick: () => replace(box) }), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    msg.classList.remove('form-error');
    if (!reason.value.trim()) {
      msg.textContent = 'reason: say why the budget is reset';
      msg.classList.add('form-error');
      return;
    }
    try {
      const r = await api('/api/v1/budgets/' + encodeURIComponent(b.id) + '/reset', { method: 'POST', body: { reason: reason.value.trim() } });
      replace(box);
      done(r);
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('form-error');
    }
  });
  replace(box, form);
  reason.focus();
}
