// Logs: search log lines over a time range by text, service, level, host,
// stream and attributes; a volume histogram to zoom with; facets (the top
// values of each field among the newest lines) to filter with; pages of
// older lines; a live tail; exports; saved searches.
//
// The state lives in the URL (?range=15m&q=…&service=…&attr.route=…&live=1),
// so a search can be shared and saved, and Back returns to the previous
// one. Every change of filter or range is a navigation to the new URL.

import { api, download, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { timeRangePicker } from '../timerange.js';
import { compact, int } from '../format.js';
import { fmtTime, timeZone, zoneLabel, rfc3339 } from '../clock.js';
import { statsText } from '../table.js';
import { TimeChart } from '../chart.js';
import { levelRank, levelStyle } from '../colours.js';
import { logTable } from '../logrows.js';
import { startRun } from '../runs.js';
import { saveSearchForm, savedSearchMenu } from '../saved.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LIMITS = [50, 100, 500, 1000];
// FILTERS are the single-value filters kept in the URL besides attr.*.
const FILTERS = ['service', 'level', 'host', 'stream'];
// TAIL_MS is how often a live tail asks for new lines.
const TAIL_MS = 500;
const TAIL_KEEP = 2000;

// filtersOf reads the filters of a URL: service, level, host, stream and
// every attr.<key>.
function filtersOf(p) {
  const f = {};
  for (const k of FILTERS) if (p.get(k)) f[k] = p.get(k);
  for (const [k, v] of p) if (k.startsWith('attr.') && v) f[k] = v;
  return f;
}

export function mount(el, ctx) {
  const p = ctx.params;
  const live = p.get('live') === '1';
  const range = timeRangePicker(p);
  const filters = filtersOf(p);
  const q = h('input', { type: 'search', name: 'q', placeholder: 'Text in body (substring)  —  press / to focus', 'aria-label': 'Text filter', class: 'grow', spellcheck: 'false', 'data-search': true });
  q.value = p.get('q') || '';
  const service = h('select', { name: 'service', 'aria-label': 'Service' }, h('option', { value: '', text: 'All services' }));
  const level = h('select', { name: 'level', 'aria-label': 'Level' },
    h('option', { value: '', text: 'All levels' }), LEVELS.map((l) => h('option', { value: l, text: l })));
  const limit = h('select', { name: 'limit', 'aria-label': 'Lines per page' }, LIMITS.map((n) => h('option', { value: String(n), text: `${n} lines` })));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Search', title: 'Ctrl+Enter' });
  const liveBtn = h('button', { type: 'button', class: 'btn live-toggle' + (live ? ' active' : ''), 'aria-pressed': String(live), text: live ? '● Live' : 'Live tail', title: 'follow new lines as they are ingested' });

  const wantService = filters.service || '';
  if (wantService) service.appendChild(h('option', { value: wantService, text: wantService }));
  service.value = wantService;
  const wantLevel = (filters.level || '').toLowerCase();
  if (wantLevel && !LEVELS.includes(wantLevel)) level.appendChild(h('option', { value: wantLevel, text: wantLevel }));
  level.value = wantLevel;
  const wantLimit = p.get('limit') || '100';
  if (!LIMITS.map(String).includes(wantLimit)) limit.appendChild(h('option', { value: wantLimit, text: `${wantLimit} lines` }));
  limit.value = wantLimit;
  if (live) range.el.classList.add('disabled');

  // state is the URL the form and filters describe now.
  function state(over = {}) {
    const f = { ...filters, service: service.value, level: level.value };
    const s = { ...(live ? {} : range.params()), q: q.value, ...f, limit: limit.value === '100' ? '' : limit.value, live: live ? '1' : '', ...over };
    return '/logs' + query(s);
  }
  const go = (over) => ctx.navigate(state(over));

  const chips = h('div', { class: 'chips', 'aria-label': 'Filters' },
    Object.entries(filters).filter(([k]) => k !== 'service' && k !== 'level').map(([k, v]) =>
      h('span', { class: 'chip', 'data-filter': k }, h('span', { class: 'chip-k', text: k }), ' = ', h('span', { class: 'chip-v', text: v }),
        h('button', { type: 'button', class: 'chip-x', 'aria-label': `remove filter ${k}`, text: '×', onclick: () => go({ [k]: '' }) }))));
  const exportBtns = h('span', { class: 'export-btns' }, h('span', { class: 'muted', text: 'Export' }),
    ['csv', 'json'].map((f) => h('button', { type: 'button', class: 'btn btn-small', 'data-export': f, text: f.toUpperCase(), onclick: () => exportAs(f) })));
  const saveBox = h('span', { class: 'save-box' });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-small', text: 'Save search', onclick: () => saveSearchForm(saveBox, 'logs', () => location.search) });

  const form = h('form', { class: 'toolbar', role: 'search', 'data-primary': true }, q, service, level, limit, range.el, submit, liveBtn);
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const histBox = h('div', { class: 'log-histogram', hidden: live });
  const facetsBox = h('aside', { class: 'facets', 'aria-label': 'Fields' });
  const results = h('div', { class: 'results' });
  const more = h('div', { class: 'more' });
  const tailBar = h('div', { class: 'tail-bar', hidden: !live });

  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'Logs' }), savedSearchMenu('logs', ctx.navigate), h('span', { class: 'spacer' }), stats),
    form,
    h('div', { class: 'toolbar toolbar-2' }, chips, h('span', { class: 'spacer' }), exportBtns, saveBtn, saveBox),
    tailBar,
    histBox,
    h('div', { class: 'logs-layout' }, facetsBox, h('div', { class: 'logs-main' }, results, more)));

  const hist = new TimeChart(histBox, { height: 110, bars: true, stacked: true, onZoom: (from, to) => go({ range: '', from: rfc3339(from), to: rfc3339(to) }) });
  let run = null;
  let side = null;
  let tailTimer = null;
  let paused = false;

  // params are the API parameters of the current search.
  function params(r) {
    return { ...(r ? { from: r.from, to: r.to } : {}), q: q.value, ...filters, service: service.value, level: level.value };
  }

  function exportAs(format) {
    let r;
    try {
      r = range.resolve();
    } catch (e) {
      replace(results, errorBox(e.message));
      return;
    }
    const btn = exportBtns.querySelector(`[data-export="${format}"]`);
    btn.disabled = true;
    download('/api/v1/logs/export' + query({ ...params(live ? { from: 'now-1h', to: 'now' } : r), format, tz: timeZone() }))
      .then((d) => { stats.textContent = `exported ${d.name} (${compact(d.bytes)} bytes)`; },
        (e) => replace(results, errorBox('export failed: ' + e.message)))
      .finally(() => { btn.disabled = false; });
  }

  async function search() {
    let r;
    try {
      r = range.resolve();
    } catch (e) {
      replace(results, errorBox(e.message));
      replace(stats);
      return;
    }
    if (run) run.abort();
    const mine = (run = startRun(stats, { onCancel: () => { replace(stats, 'cancelled'); el.dataset.state = 'cancelled'; results.classList.remove('stale'); } }));
    el.dataset.state = 'loading';
    stats.textContent = 'searching…';
    results.classList.add('stale');
    const args = { ...params(r), limit: limit.value };
    loadSide(r);
    try {
      const res = await api('/api/v1/logs' + query(args), { signal: mine.signal, statement: mine.statement });
      if (mine !== run) return;
      mine.finish();
      render(res || {}, args);
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      mine.finish();
      replace(stats);
      replace(results, errorBox(e.message));
      el.dataset.state = 'error';
    } finally {
      if (mine === run) results.classList.remove('stale');
    }
  }

  function render(res, args) {
    const columns = Array.isArray(res.columns) ? res.columns : [];
    const rows = Array.isArray(res.rows) ? res.rows : [];
    let summary = statsText({ rows, stats: res.stats });
    if (res.from && res.to) summary += ` · ${fmtTime(res.from)} → ${fmtTime(res.to)} ${zoneLabel()}`;
    stats.textContent = summary;
    if (rows.length === 0) {
      replace(results, notice('No log lines match this search. Widen the time range or clear a filter.'));
      replace(more);
      return;
    }
    const table = logTable(columns, { onFilter: (k, v) => go({ [k]: v }) });
    table.add(rows);
    replace(results, table.el);
    pager(table, args, res.next);
  }

  // pager offers the next page of older lines while the server has one.
  function pager(table, args, next) {
    if (!next) {
      replace(more, table.size() > Number(limit.value) ? notice(`all ${int(table.size())} matching lines shown`, 'end-note') : null);
      return;
    }
    const btn = h('button', { type: 'button', class: 'btn load-more', text: `Older lines (${int(table.size())} shown)` });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const res = await api('/api/v1/logs' + query({ ...args, cursor: next }));
        table.add(res.rows || []);
        pager(table, args, res.next);
      } catch (e) {
        replace(more, errorBox(e.message));
      }
    });
    replace(more, btn);
  }

  // loadSide fills the histogram and the facets of a search.
  function loadSide(r) {
    if (side) side.abort();
    const mine = (side = new AbortController());
    const args = query(params(r));
    if (!live) {
      api('/api/v1/logs/histogram' + args, { signal: mine.signal }).then((hres) => drawHistogram(hres), (e) => {
        if (e.name !== 'AbortError') replace(histBox, errorBox('histogram: ' + e.message));
      });
    }
    api('/api/v1/logs/facets' + args, { signal: mine.signal }).then(drawFacets, (e) => {
      if (e.name !== 'AbortError') replace(facetsBox, errorBox('fields: ' + e.message));
    });
  }

  function drawHistogram(res) {
    const step = res.step_ms / 1000;
    const from = Math.floor(res.from / res.step_ms) * step;
    const xs = [];
    for (let t = from; t * 1000 < res.to; t += step) xs.push(t);
    const at = new Map(xs.map((x, i) => [x, i]));
    const byLevel = new Map();
    for (const b of res.buckets || []) {
      const i = at.get(b.t / 1000);
      if (i === undefined) continue;
      for (const [lvl, n] of Object.entries(b.levels || {})) {
        if (!byLevel.has(lvl)) byLevel.set(lvl, xs.map(() => 0));
        byLevel.get(lvl)[i] += n;
      }
    }
    const names = [...byLevel.keys()].sort((a, b) => levelRank(a) - levelRank(b) || a.localeCompare(b));
    // The bucket that holds "now" (or the range's end) is still filling.
    const last = xs.length ? xs[xs.length - 1] : null;
    const partialFrom = last !== null && (last + step) * 1000 > Math.min(res.to, Date.now()) ? last : null;
    hist.set(xs, names.map((n) => ({ label: n || 'no level', ...levelStyle(n), values: byLevel.get(n) })), { partialFrom, step });
    histBox.dataset.buckets = String((res.buckets || []).length);
  }

  function drawFacets(res) {
    const fields = (res && res.fields) || [];
    if (fields.length === 0) {
      replace(facetsBox);
      return;
    }
    replace(facetsBox,
      h('div', { class: 'facets-head muted', text: `Fields in the newest ${int(res.sampled)} lines` }),
      fields.map((f) => h('section', { class: 'facet', 'data-field': f.field },
        h('h3', { class: 'facet-name', title: `${int(f.lines)} of the sampled lines have ${f.field}`, text: f.field }),
        h('ul', null, f.values.map((v) => h('li', null,
          h('button', { type: 'button', class: 'facet-value', 'data-value': v.value, title: `show only lines where ${f.field} is ${v.value}`, onclick: () => go({ [f.field]: v.value }) },
            h('span', { class: 'facet-v', text: v.value || '(empty)' }),
            h('span', { class: 'facet-n muted', text: compact(v.count) }),
            h('span', { class: 'facet-bar', style: { width: `${Math.max(2, Math.round((100 * v.count) / Math.max(1, res.sampled)))}%` } }))))))));
  }

  // ---- live tail ----

  async function tail(table, cursor) {
    if (paused) {
      tailTimer = setTimeout(() => tail(table, cursor), TAIL_MS);
      return;
    }
    let next = cursor;
    try {
      const res = await api('/api/v1/logs/tail' + query({ ...params(null), limit: limit.value, cursor }), { signal: tailCtrl.signal });
      if (!table) {
        table = logTable(res.columns || [], { onFilter: (k, v) => go({ [k]: v }) });
        replace(results, table.el);
      }
      const rows = res.rows || [];
      if (rows.length) {
        table.add(rows, { atTop: true });
        table.trim(TAIL_KEEP);
      }
      next = res.next || cursor;
      tailStatus(table, rows.length);
      el.dataset.state = 'live';
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(tailBar, errorBox('live tail: ' + e.message));
    }
    tailTimer = setTimeout(() => tail(table, next), TAIL_MS);
  }

  const pauseBtn = h('button', { type: 'button', class: 'btn btn-small tail-pause', text: 'Pause' });
  const tailText = h('span', { class: 'tail-text' });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    tailBar.classList.toggle('paused', paused);
    tailText.textContent = paused ? 'paused: new lines wait until you resume' : 'following new lines…';
  });
  let lastNew = 0;
  function tailStatus(table, n) {
    if (n) lastNew = Date.now();
    tailText.textContent = `following new lines · ${int(table.size())} shown` + (lastNew ? ` · last new line at ${fmtTime(lastNew)} ${zoneLabel()}` : '');
    tailText.dataset.shown = String(table.size());
  }
  const tailCtrl = new AbortController();

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
    const url = state();
    if (url === location.pathname + location.search) search();
    else go();
  });
  liveBtn.addEventListener('click', () => go({ live: live ? '' : '1' }));

  if (live) {
    replace(tailBar, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), tailText, pauseBtn);
    tailText.textContent = 'following new lines…';
    replace(histBox);
    loadSide({ from: 'now-1h', to: 'now' });
    tail(null, '');
  } else {
    search();
  }

  return () => {
    svcCtrl.abort();
    tailCtrl.abort();
    clearTimeout(tailTimer);
    if (run) run.abort();
    if (side) side.abort();
    hist.destroy();
  };
}
