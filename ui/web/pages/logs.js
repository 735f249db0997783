// Logs: search recent log rows by time range, text, service and level.
// The form state lives in the URL (?range=15m&q=…&service=…), so a search
// can be shared and the back button returns to the previous one.

import { api, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { timeRangePicker } from '../timerange.js';
import { cell, isTimeType } from '../format.js';
import { fmtTime, offsetLabel, zoneLabel } from '../clock.js';
import { statsText } from '../table.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LIMITS = [50, 100, 500, 1000];
const SHOWN = ['timestamp', 'level', 'service', 'host', 'body'];

// levelClass maps the many spellings of a level onto one colour class.
function levelClass(level) {
  const l = String(level || '').toLowerCase();
  if (['fatal', 'critical', 'crit', 'panic', 'emerg', 'alert'].includes(l)) return 'lvl-fatal';
  if (['error', 'err'].includes(l)) return 'lvl-error';
  if (['warn', 'warning'].includes(l)) return 'lvl-warn';
  if (['info', 'notice', 'information'].includes(l)) return 'lvl-info';
  if (l === 'debug') return 'lvl-debug';
  if (l === 'trace') return 'lvl-trace';
  return 'lvl-other';
}

export function mount(el, ctx) {
  const p = ctx.params;
  const range = timeRangePicker(p);
  const q = h('input', { type: 'search', name: 'q', placeholder: 'Text in body (substring)', 'aria-label': 'Text filter', class: 'grow', spellcheck: 'false' });
  q.value = p.get('q') || '';
  const service = h('select', { name: 'service', 'aria-label': 'Service' }, h('option', { value: '', text: 'All services' }));
  const level = h('select', { name: 'level', 'aria-label': 'Level' },
    h('option', { value: '', text: 'All levels' }), LEVELS.map((l) => h('option', { value: l, text: l })));
  const limit = h('select', { name: 'limit', 'aria-label': 'Limit' }, LIMITS.map((n) => h('option', { value: String(n), text: `${n} rows` })));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Search' });

  const wantService = p.get('service') || '';
  if (wantService) service.appendChild(h('option', { value: wantService, text: wantService }));
  service.value = wantService;
  const wantLevel = (p.get('level') || '').toLowerCase();
  if (wantLevel && !LEVELS.includes(wantLevel)) level.appendChild(h('option', { value: wantLevel, text: wantLevel }));
  level.value = wantLevel;
  const wantLimit = p.get('limit') || '100';
  if (!LIMITS.map(String).includes(wantLimit)) limit.appendChild(h('option', { value: wantLimit, text: `${wantLimit} rows` }));
  limit.value = wantLimit;

  const form = h('form', { class: 'toolbar', role: 'search' }, q, service, level, limit, range.el, submit);
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const results = h('div', { class: 'results' });

  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'Logs' }), h('span', { class: 'spacer' }), stats),
    form,
    results);

  let ctrl = null;

  async function search({ push }) {
    let r;
    try {
      r = range.resolve();
    } catch (e) {
      replace(results, errorBox(e.message));
      replace(stats);
      return;
    }
    const params = {
      from: r.from,
      to: r.to,
      q: q.value,
      service: service.value,
      level: level.value,
      limit: limit.value,
    };
    if (push) {
      const url = '/logs' + query({ ...range.params(), q: q.value, service: service.value, level: level.value, limit: limit.value === '100' ? '' : limit.value });
      if (url !== location.pathname + location.search) history.pushState(null, '', url);
    }
    if (ctrl) ctrl.abort();
    const mine = (ctrl = new AbortController());
    el.dataset.state = 'loading';
    stats.textContent = 'searching…';
    results.classList.add('stale');
    try {
      const res = await api('/api/v1/logs' + query(params), { signal: mine.signal });
      if (mine !== ctrl) return;
      render(res || {});
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(stats);
      replace(results, errorBox(e.message));
      el.dataset.state = 'error';
    } finally {
      if (mine === ctrl) {
        ctrl = null;
        results.classList.remove('stale');
      }
    }
  }

  function render(res) {
    const columns = Array.isArray(res.columns) ? res.columns : [];
    const rows = Array.isArray(res.rows) ? res.rows : [];
    const idx = Object.fromEntries(columns.map((c, i) => [c.name, i]));
    let summary = statsText({ rows, stats: res.stats });
    if (res.from && res.to) summary += ` · ${fmtTime(res.from)} → ${fmtTime(res.to)} ${zoneLabel()}`;
    if (rows.length > 0 && rows.length >= Number(limit.value)) summary += ' · limit reached: narrow the range or raise the limit';
    stats.textContent = summary;

    if (rows.length === 0) {
      replace(results, notice('No log rows match this search. Widen the time range or clear a filter.'));
      return;
    }
    const get = (row, name) => (idx[name] === undefined ? undefined : row[idx[name]]);
    const shown = SHOWN.filter((n) => idx[n] !== undefined);
    const labels = { timestamp: `Time (${offsetLabel()})`, level: 'Level', service: 'Service', host: 'Host', body: 'Message' };
    const tbody = h('tbody');
    rows.forEach((row, i) => {
      const tr = h('tr', { class: 'log-row', tabindex: '0', 'aria-expanded': 'false', 'data-row': String(i) },
        shown.map((n) => {
          const v = get(row, n);
          if (n === 'level') return h('td', { class: 'col-level' }, h('span', { class: 'lvl ' + levelClass(v), text: cell(v) }));
          if (n === 'timestamp') return h('td', { class: 'col-timestamp mono', 'data-time': cell(v) }, fmtTime(v, { ms: true }));
          return h('td', { class: 'col-' + n, title: n === 'service' || n === 'host' ? cell(v) : null }, cell(v));
        }));
      let detail = null;
      const toggle = () => {
        if (detail) {
          detail.remove();
          detail = null;
          tr.setAttribute('aria-expanded', 'false');
          tr.classList.remove('open');
          return;
        }
        detail = h('tr', { class: 'log-detail' }, h('td', { colspan: String(shown.length) },
          h('dl', { class: 'kv' }, columns.map((c, j) => [
            h('dt', { title: c.type, text: c.name }),
            h('dd', { class: c.name === 'body' ? 'body-full' : null }, isTimeType(c.type) && row[j] !== null ? `${fmtTime(row[j], { ms: true })} ${zoneLabel()}` : cell(row[j])),
          ]))));
        tr.after(detail);
        tr.setAttribute('aria-expanded', 'true');
        tr.classList.add('open');
      };
      tr.addEventListener('click', (ev) => {
        // Let the user select text in a row without toggling it.
        if (String(window.getSelection ? window.getSelection() : '').length > 0) return;
        if (ev.target.closest('a')) return;
        toggle();
      });
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          toggle();
        }
      });
      tbody.appendChild(tr);
    });
    replace(results, h('div', { class: 'table-wrap table-flow' },
      h('table', { class: 'data logs' },
        h('thead', null, h('tr', null, shown.map((n) => h('th', { class: 'col-' + n, 'data-zone': n === 'timestamp' ? 'logs' : null, title: n === 'timestamp' ? `times in ${zoneLabel()}` : null, text: labels[n] })))),
        tbody)));
  }

  // Fill the service list from the overview of the last hour; a failure
  // leaves "All services" and whatever the URL asked for.
  const svcCtrl = new AbortController();
  api('/api/v1/overview' + query({ minutes: 60 }), { signal: svcCtrl.signal }).then((ov) => {
    const names = [...new Set(((ov && ov.services) || []).map((s) => String(s.service)).filter(Boolean))].sort();
    for (const n of names) {
      if (n !== wantService) service.appendChild(h('option', { value: n, text: n }));
    }
    service.value = wantService;
    service.dataset.loaded = 'true';
  }, () => {
    service.dataset.loaded = 'error';
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    search({ push: true });
  });
  search({ push: false });

  return () => {
    svcCtrl.abort();
    if (ctrl) ctrl.abort();
  };
}
