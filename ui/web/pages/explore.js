// Explore: pick a query template, fill the form generated from its typed
// parameters, run it over a time range, see a chart or table with
// ClickHouse's stats and the rendered SQL, and share the run as a pinned
// link (/s/<id>). Editors and admins also get an ad-hoc SQL tab.
//
// The state lives in the URL (?t=<id>&range=1h&p.<name>=<value>&run=1), so
// a run can be bookmarked and Back returns to the previous one.
//
// The result renderer, the Markdown line and the copy button are exported
// for the shared-link page (link.js).

import { api, ApiError, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { timeRangePicker } from '../timerange.js';
import { TimeChart } from '../chart.js';
import { resultTable, statsText } from '../table.js';
import { cell, compact, isNumericType, localInput, rfc3339 } from '../format.js';

const MAX_TABLE_ROWS = 1000;
const PALETTE = ['#5b9dff', '#3fb950', '#e5a93d', '#f2555a', '#d66bd8', '#3fb59b', '#ff8c5a', '#a5b4fc', '#8b96a5', '#f7d154'];

// ---- shared with link.js ----

/** fmtUTC writes an RFC 3339 time as "2026-11-21 10:00:00" (UTC), with
 * milliseconds only when set: the same text as the server's Markdown line. */
export function fmtUTC(t) {
  const d = new Date(t);
  if (!Number.isFinite(d.getTime())) return String(t);
  const iso = d.toISOString();
  const ms = iso.slice(20, 23);
  return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + (ms !== '000' ? '.' + ms : '');
}

function mdEscape(s) {
  return String(s).split(/\s+/).filter(Boolean).join(' ').replace(/[\\[\]]/g, (c) => '\\' + c);
}

/** markdownLine is the line to paste into a postmortem:
 * [<title> (<template> vN, <from> – <to> UTC)](<origin>/s/<id>). */
export function markdownLine(link, origin = location.origin) {
  const title = link.title || link.template;
  return `[${mdEscape(title)} (${mdEscape(link.template)} v${link.version}, ${fmtUTC(link.from)} – ${fmtUTC(link.to)} UTC)](${origin}/s/${link.id})`;
}

/** copyRow shows text in a read-only field with a Copy button. */
export function copyRow(text, { label = 'Markdown', name = 'markdown' } = {}) {
  const input = h('textarea', { readonly: true, rows: '1', class: 'copy-text mono', name, 'aria-label': label, spellcheck: 'false' });
  input.value = text;
  const status = h('span', { class: 'copy-status muted', 'aria-live': 'polite' });
  const btn = h('button', {
    type: 'button', class: 'btn', text: 'Copy', 'data-copy': name,
    onclick: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(text);
        status.textContent = 'copied';
      } catch {
        // No clipboard permission (plain http, or a locked-down browser):
        // the text is selected for Ctrl+C instead.
        let ok = false;
        try {
          ok = document.execCommand('copy');
        } catch {
          ok = false;
        }
        status.textContent = ok ? 'copied' : 'selected: press Ctrl+C';
      }
      setTimeout(() => { status.textContent = ''; }, 2500);
    },
  });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'copy-row' }, h('span', { class: 'copy-label muted', text: label }), input, btn, status);
}

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
export function timeSeries(res, range) {
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

// ---- parameters ----

const LIST_TYPES = ['list(string)', 'list(int)'];
const SPAN_RE = /^(\d+(ms|s|m|h|d|w))+$/;

function typeHint(p) {
  switch (p.type) {
    case 'int': return 'whole number';
    case 'float': return 'number';
    case 'duration': return 'duration, e.g. 5m';
    case 'time': return 'date and time';
    case 'list(string)': return 'comma-separated';
    case 'list(int)': return 'comma-separated numbers';
    default: return p.type;
  }
}

function defaultText(p) {
  const d = p.default;
  if (d === undefined || d === null) return '';
  if (Array.isArray(d)) return d.join(', ');
  return String(d);
}

/**
 * paramField builds the input for one template parameter. Returns
 * {el, name, read(), set(text), error(msg), focus()}; read() gives
 * {value, set} or throws an Error with the message to show by the field.
 */
function paramField(p, urlValue) {
  const id = 'param-' + p.name.replace(/[^A-Za-z0-9_-]/g, '_');
  const hasUrl = urlValue !== null && urlValue !== undefined;
  let input;
  const attrs = { id, name: 'p.' + p.name, 'aria-describedby': id + '-err' };
  switch (p.type) {
    case 'bool':
      input = h('input', { ...attrs, type: 'checkbox' });
      input.checked = hasUrl ? urlValue === 'true' : p.default === true;
      break;
    case 'enum': {
      const values = Array.isArray(p.values) ? p.values : [];
      input = h('select', attrs,
        !p.required || p.default === undefined || p.default === null ? h('option', { value: '', text: p.required ? 'choose…' : '(default)' }) : null,
        values.map((v, i) => h('option', { value: String(i), text: String(v) })));
      const want = hasUrl ? urlValue : defaultText(p);
      const idx = values.findIndex((v) => String(v) === want);
      if (idx >= 0) input.value = String(idx);
      else if (hasUrl && urlValue !== '') {
        // A value not offered (an old URL): keep it so the server names it.
        input.appendChild(h('option', { value: 'raw:' + urlValue, text: urlValue }));
        input.value = 'raw:' + urlValue;
      }
      break;
    }
    case 'int':
    case 'float':
      input = h('input', { ...attrs, type: 'text', inputmode: p.type === 'int' ? 'numeric' : 'decimal', autocomplete: 'off' });
      break;
    case 'time':
      input = h('input', { ...attrs, type: 'datetime-local', step: '1' });
      break;
    default:
      input = h('input', { ...attrs, type: 'text', autocomplete: 'off', spellcheck: 'false' });
  }
  if (p.type !== 'bool' && p.type !== 'enum') {
    const def = defaultText(p);
    if (p.type === 'time') {
      const t = hasUrl ? Date.parse(urlValue) : NaN;
      if (Number.isFinite(t)) input.value = localInput(new Date(t));
      if (def) input.title = 'default: ' + def;
    } else {
      input.value = hasUrl ? urlValue : def;
      input.placeholder = def ? 'default: ' + def : typeHint(p);
    }
  }
  const err = h('span', { class: 'field-error', id: id + '-err', role: 'alert' });
  const label = h('label', { for: id, class: 'field-label' },
    h('span', { class: 'field-name mono', text: p.name }),
    p.required ? h('span', { class: 'req', title: 'required', text: '*' }) : null,
    h('span', { class: 'field-type muted', text: p.type }));
  const el = h('div', { class: 'field' + (p.type === 'bool' ? ' field-bool' : ''), 'data-param': p.name, 'data-type': p.type },
    label, input,
    p.description ? h('span', { class: 'field-desc muted', text: p.description }) : null,
    err);
  input.addEventListener('input', () => error(''));
  input.addEventListener('change', () => error(''));

  function error(msg) {
    err.textContent = msg || '';
    el.classList.toggle('invalid', Boolean(msg));
    input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  }

  // read returns {value, set, url}: the JSON value to send, whether the user
  // set it (unset optional params take the template's default), and the
  // text for the URL.
  function read() {
    if (p.type === 'bool') return { value: input.checked, set: true, url: String(input.checked) };
    if (p.type === 'enum') {
      if (input.value === '') {
        if (p.required) throw new Error('choose a value');
        return { set: false };
      }
      if (input.value.startsWith('raw:')) {
        const raw = input.value.slice(4);
        return { value: raw, set: true, url: raw };
      }
      const v = p.values[Number(input.value)];
      return { value: v, set: true, url: String(v) };
    }
    if (p.type === 'time') {
      if (!input.value) {
        if (p.required && (p.default === undefined || p.default === null)) throw new Error('pick a date and time');
        return { set: false };
      }
      const d = new Date(input.value);
      if (!Number.isFinite(d.getTime())) throw new Error(`${input.value} is not a date and time`);
      const v = rfc3339(d);
      return { value: v, set: true, url: v };
    }
    const text = input.value.trim();
    if (text === '') {
      if (p.required && (p.default === undefined || p.default === null)) throw new Error('required');
      return { set: false };
    }
    switch (p.type) {
      case 'int': {
        if (!/^-?\d+$/.test(text)) throw new Error(`${JSON.stringify(text)} is not a whole number`);
        const n = Number(text);
        return { value: Number.isSafeInteger(n) ? n : text, set: true, url: text };
      }
      case 'float': {
        const n = Number(text);
        if (!Number.isFinite(n)) throw new Error(`${JSON.stringify(text)} is not a number`);
        return { value: n, set: true, url: text };
      }
      case 'duration':
        if (!SPAN_RE.test(text)) throw new Error(`${JSON.stringify(text)} is not a duration such as 90s, 5m, 1h or 7d`);
        return { value: text, set: true, url: text };
      case 'list(int)': {
        const items = text.split(',').map((s) => s.trim()).filter(Boolean);
        const bad = items.find((s) => !/^-?\d+$/.test(s));
        if (bad !== undefined) throw new Error(`${JSON.stringify(bad)} is not a whole number`);
        return { value: items.map((s) => (Number.isSafeInteger(Number(s)) ? Number(s) : s)), set: true, url: items.join(',') };
      }
      case 'list(string)': {
        const items = text.split(',').map((s) => s.trim()).filter(Boolean);
        return { value: items, set: true, url: items.join(',') };
      }
      default:
        return { value: input.value, set: true, url: input.value };
    }
  }

  return { el, name: p.name, read, error, focus: () => input.focus() };
}

// paramError reads the server's `param "name": message` 400s.
function paramError(message) {
  const m = /^param "((?:[^"\\]|\\.)*)": ([\s\S]*)$/.exec(message);
  return m ? { name: m[1], message: m[2] } : null;
}

// rangeError reads the server's `from: …` and `to: …` 400s.
function rangeError(message) {
  return /^(from|to)\b/.test(message);
}

// ---- the page ----

export function mount(el, ctx) {
  const p = ctx.params;
  const role = ctx.me && ctx.me.role;
  const canSQL = !role || role === 'editor' || role === 'admin';
  const mode = p.get('mode') === 'sql' && canSQL ? 'sql' : 'templates';

  const tabs = h('div', { class: 'tabs', role: 'tablist' },
    h('a', { href: '/explore', 'data-nav': true, role: 'tab', class: mode === 'templates' ? 'tab active' : 'tab', 'aria-selected': String(mode === 'templates'), text: 'Templates' }),
    canSQL ? h('a', { href: '/explore?mode=sql', 'data-nav': true, role: 'tab', class: mode === 'sql' ? 'tab active' : 'tab', 'aria-selected': String(mode === 'sql'), text: 'Ad-hoc SQL' }) : null);
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const head = h('div', { class: 'page-head' }, h('h1', { text: 'Explore' }), tabs, h('span', { class: 'spacer' }), stats);
  if (mode === 'sql') return mountSQL(el, ctx, head, stats);

  const search = h('input', { type: 'search', name: 'template-search', placeholder: 'Search title, id or tag', 'aria-label': 'Search templates', spellcheck: 'false' });
  search.value = p.get('q') || '';
  const list = h('ul', { class: 'tmpl-list', 'aria-label': 'Templates' });
  const picker = h('aside', { class: 'tmpl-picker' }, search, list);
  const detail = h('section', { class: 'tmpl-detail' }, notice('Loading templates…'));
  replace(el, head, h('div', { class: 'explore' }, picker, detail));

  let templates = [];
  let current = null; // the selected template
  let fields = [];
  let range = null;
  let runCtrl = null;
  let view = null; // the rendered result (chart to destroy)
  let lastRun = null; // {template, version, title, params, from, to} of the shown result
  const listCtrl = new AbortController();

  function renderList() {
    const q = search.value.trim().toLowerCase();
    const shown = templates.filter((t) => !q || [t.id, t.title, t.description, ...(t.tags || [])].some((s) => String(s || '').toLowerCase().includes(q)));
    if (shown.length === 0) {
      replace(list, h('li', { class: 'muted tmpl-none', text: templates.length ? 'No template matches.' : 'No templates are loaded.' }));
      return;
    }
    replace(list, shown.map((t) => h('li', null,
      h('a', {
        href: '/explore' + query({ t: t.id, q: search.value.trim() }), 'data-nav': true, 'data-template': t.id,
        class: 'tmpl-item' + (current && current.id === t.id ? ' active' : ''),
        'aria-current': current && current.id === t.id ? 'true' : null,
      },
      h('span', { class: 'tmpl-title', text: t.title || t.id }),
      h('span', { class: 'tmpl-meta muted' }, h('span', { class: 'mono', text: `${t.id} v${t.version}` }), ' · ', t.visualization || 'table'),
      (t.tags || []).length ? h('span', { class: 'tags' }, t.tags.map((tag) => h('span', { class: 'tag', text: tag }))) : null))));
  }

  search.addEventListener('input', renderList);
  list.addEventListener('click', (ev) => {
    const tag = ev.target.closest('.tag');
    if (tag) {
      ev.preventDefault();
      ev.stopPropagation();
      search.value = tag.textContent;
      renderList();
    }
  }, true);

  // select shows template t's form; spec is the version to run (an older
  // one pinned by ?v=, with its own parameters), t itself by default.
  function select(t, spec = t) {
    current = t;
    renderList();
    if (!t) {
      replace(detail, notice(templates.length ? 'Pick a template on the left.' : 'No templates are loaded on this server.'));
      return;
    }
    fields = (spec.params || []).map((prm) => paramField(prm, p.get('p.' + prm.name)));
    range = timeRangePicker(p, '1h');
    const rangeErr = h('span', { class: 'field-error range-error', role: 'alert' });
    const run = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Run' });
    const share = h('button', { type: 'button', class: 'btn', text: 'Share', disabled: true, title: 'Run the template first' });
    const sharePanel = h('div', { class: 'share-panel', hidden: true });
    const problem = h('div', { class: 'problem' });
    const results = h('div', { class: 'results' });
    const sqlBox = h('div', { class: 'sql-box' });
    const pinned = Number(spec.version) !== Number(t.version) ? Number(spec.version) : 0;
    const form = h('form', { class: 'param-form', novalidate: true },
      fields.length ? h('div', { class: 'fields' }, fields.map((f) => f.el)) : h('p', { class: 'muted', text: 'This template has no parameters besides the time range.' }),
      h('div', { class: 'toolbar' }, range.el, run, share, rangeErr));
    replace(detail,
      h('div', { class: 'tmpl-head' },
        h('h2', { class: 'tmpl-name', text: t.title || t.id }),
        h('span', { class: 'mono muted', text: `${t.id} v${pinned || t.version}` }),
        pinned ? h('span', { class: 'badge', text: `pinned v${pinned}; latest is v${t.version}` }) : null),
      spec.description ? h('p', { class: 'tmpl-desc muted', text: spec.description }) : null,
      form, sharePanel, problem, results, sqlBox);

    const setRangeError = (msg) => {
      rangeErr.textContent = msg || '';
      range.el.classList.toggle('invalid', Boolean(msg));
    };
    range.el.addEventListener('change', () => setRangeError(''));

    async function execute({ push }) {
      replace(problem);
      setRangeError('');
      let firstBad = null;
      const params = {};
      const urlParams = {};
      for (const f of fields) {
        f.error('');
        try {
          const r = f.read();
          if (r.set) {
            params[f.name] = r.value;
            urlParams['p.' + f.name] = r.url;
          }
        } catch (e) {
          f.error(e.message);
          if (!firstBad) firstBad = f;
        }
      }
      let rr;
      try {
        rr = range.resolve();
      } catch (e) {
        setRangeError(e.message);
        if (!firstBad) firstBad = { focus() {} };
      }
      if (firstBad) {
        el.dataset.state = 'invalid';
        firstBad.focus();
        replace(problem, errorBox('fix the highlighted fields, then run again'));
        return;
      }
      if (push) {
        let rp;
        try {
          rp = range.params();
        } catch {
          rp = {};
        }
        const url = '/explore' + query({ t: t.id, v: pinned || '', ...rp, ...urlParams, run: 1 });
        if (url !== location.pathname + location.search) history.pushState(null, '', url);
      }
      const body = { template: t.id, params, from: rr.from, to: rr.to };
      if (pinned) body.version = pinned;
      if (runCtrl) runCtrl.abort();
      const mine = (runCtrl = new AbortController());
      el.dataset.state = 'loading';
      run.disabled = true;
      stats.textContent = 'running…';
      results.classList.add('stale');
      try {
        const res = (await api('/api/v1/query', { method: 'POST', body, signal: mine.signal })) || {};
        if (mine !== runCtrl) return;
        if (view) view.destroy();
        view = renderResult(res, res.visualization || spec.visualization, rr);
        replace(results, view.node);
        replace(sqlBox, sqlDisclosure(res.sql));
        stats.textContent = statsText(res);
        const version = (res.template && res.template.version) || pinned || t.version;
        lastRun = { template: t.id, version, title: t.title || t.id, params, from: rr.from, to: rr.to };
        share.disabled = false;
        share.title = 'Pin this run (template version, parameters, time range) as a link';
        sharePanel.hidden = true;
        el.dataset.state = 'done';
      } catch (e) {
        if (e.name === 'AbortError') return;
        replace(stats);
        const pe = e instanceof ApiError && e.status === 400 ? paramError(e.message) : null;
        const field = pe && fields.find((f) => f.name === pe.name);
        if (field) {
          field.error(pe.message);
          field.focus();
          replace(problem, errorBox(e.message));
        } else if (e instanceof ApiError && e.status === 400 && rangeError(e.message)) {
          setRangeError(e.message);
          replace(problem, errorBox(e.message));
        } else {
          replace(problem, errorBox(e.message));
        }
        if (view) view.destroy();
        view = null;
        replace(results);
        replace(sqlBox);
        lastRun = null;
        share.disabled = true;
        sharePanel.hidden = true;
        el.dataset.state = 'error';
      } finally {
        if (mine === runCtrl) {
          runCtrl = null;
          run.disabled = false;
          results.classList.remove('stale');
        }
      }
    }

    function openShare() {
      if (!lastRun) return;
      const run0 = lastRun;
      const title = h('input', { type: 'text', name: 'link-title', maxlength: '200', 'aria-label': 'Link title', class: 'grow' });
      title.value = run0.title;
      const note = h('textarea', { name: 'link-note', rows: '2', maxlength: '4000', 'aria-label': 'Note', placeholder: 'Note (optional): what this shows, incident id…' });
      const snap = h('input', { type: 'checkbox', name: 'link-snapshot', id: 'link-snapshot' });
      const create = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Create link' });
      const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: 'Cancel', onclick: () => { sharePanel.hidden = true; } });
      const out = h('div', { class: 'share-out' });
      let done = false;
      const shareForm = h('form', { class: 'share-form' },
        h('div', { class: 'share-pin muted', text: `Pins ${run0.template} v${run0.version}, these parameters and ${fmtUTC(run0.from)} – ${fmtUTC(run0.to)} UTC. Links never change.` }),
        h('div', { class: 'toolbar' }, title,
          h('label', { class: 'check', for: 'link-snapshot', title: 'Store the result now, so the link still shows rows after the data ages out' }, snap, ' Freeze result'),
          create, cancel),
        note, out);
      shareForm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        create.disabled = true;
        replace(out, h('span', { class: 'muted', text: 'creating…' }));
        try {
          const link = await api('/api/v1/links', {
            method: 'POST',
            body: { template: run0.template, version: run0.version, params: run0.params, from: run0.from, to: run0.to, title: title.value.trim(), note: note.value.trim(), snapshot: snap.checked },
          });
          const abs = location.origin + link.url;
          replace(out,
            h('div', { class: 'copy-row' }, h('span', { class: 'copy-label muted', text: 'Link' }),
              h('a', { href: link.url, class: 'share-url mono', 'data-share-url': link.url, target: '_blank', rel: 'noopener', text: abs })),
            copyRow(markdownLine(link)));
          el.dataset.shared = link.id;
          // Links never change: another press would make a second link.
          create.textContent = 'Created';
          done = true;
        } catch (e) {
          replace(out, errorBox(e.message));
        } finally {
          create.disabled = done;
        }
      });
      // Changing the title, note or snapshot after a link was made offers a
      // new link with them.
      shareForm.addEventListener('input', () => {
        if (done) {
          done = false;
          create.disabled = false;
          create.textContent = 'Create another link';
        }
      });
      replace(sharePanel, shareForm);
      sharePanel.hidden = false;
      title.focus();
      title.select();
    }

    share.addEventListener('click', openShare);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      execute({ push: true });
    });
    if (p.get('run') === '1') execute({ push: false });
    else results.appendChild(notice('Fill in the parameters and press Run.'));
  }

  api('/api/v1/templates', { signal: listCtrl.signal }).then((body) => {
    // One entry per id: the latest version.
    const byId = new Map();
    for (const t of (body && Array.isArray(body.templates) ? body.templates : [])) {
      if (!t || !t.id) continue;
      const prev = byId.get(t.id);
      if (!prev || Number(t.version) > Number(prev.version)) byId.set(t.id, t);
    }
    templates = [...byId.values()].sort((a, b) => String(a.title || a.id).localeCompare(String(b.title || b.id)));
    list.dataset.loaded = 'true';
    const want = p.get('t');
    const t = want ? templates.find((x) => x.id === want) : null;
    if (want && !t) {
      renderList();
      replace(detail, errorBox(`no template ${JSON.stringify(want)} on this server; pick one on the left`));
      return;
    }
    const v = Number(p.get('v'));
    if (t && Number.isInteger(v) && v > 0 && v !== Number(t.version)) {
      // A pinned older version (from a shared link): its own parameters.
      replace(detail, notice(`Loading ${t.id} v${v}…`));
      renderList();
      api('/api/v1/templates/' + encodeURIComponent(t.id) + query({ version: v }), { signal: listCtrl.signal }).then(
        (spec) => select(t, spec),
        (e) => {
          if (e.name !== 'AbortError') replace(detail, errorBox(`cannot load ${t.id} v${v}: ${e.message}`));
        });
      return;
    }
    select(t || null);
  }, (e) => {
    if (e.name === 'AbortError') return;
    list.dataset.loaded = 'error';
    replace(list);
    replace(detail, errorBox('cannot load templates: ' + e.message));
  });

  return () => {
    listCtrl.abort();
    if (runCtrl) runCtrl.abort();
    if (view) view.destroy();
  };
}

// ---- ad-hoc SQL (editors, admins) ----

function mountSQL(el, ctx, head, stats) {
  const editor = h('textarea', { class: 'sql-editor', name: 'sql', rows: '7', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'SQL query' });
  editor.value = ctx.params.get('sql') || 'SELECT toStartOfMinute(timestamp) AS t, level, count() AS rows\nFROM logs\nWHERE timestamp > now() - INTERVAL 1 HOUR\nGROUP BY t, level\nORDER BY t';
  const run = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Run' });
  const results = h('div', { class: 'results' }, notice('Read-only ClickHouse SQL, with your role\'s limits. A (time, series, value) or (time, numbers…) result is also charted.'));
  const form = h('form', { class: 'sql-form' }, editor,
    h('div', { class: 'toolbar' }, run, h('span', { class: 'muted', text: 'Ctrl+Enter to run' })));
  replace(el, head, form, results);
  let ctrl = null;
  let view = null;

  async function execute() {
    const sql = editor.value.trim();
    if (!sql) {
      replace(results, errorBox('sql: write a query first'));
      return;
    }
    if (ctrl) ctrl.abort();
    const mine = (ctrl = new AbortController());
    el.dataset.state = 'loading';
    run.disabled = true;
    stats.textContent = 'running…';
    try {
      const res = (await api('/api/v1/sql', { method: 'POST', body: { sql }, signal: mine.signal })) || {};
      if (mine !== ctrl) return;
      if (view) view.destroy();
      view = renderResult(res, 'auto');
      replace(results, view.node);
      stats.textContent = statsText(res);
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(stats);
      replace(results, errorBox(e.message));
      el.dataset.state = 'error';
    } finally {
      if (mine === ctrl) {
        ctrl = null;
        run.disabled = false;
      }
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    execute();
  });
  editor.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      execute();
    }
  });
  return () => {
    if (ctrl) ctrl.abort();
    if (view) view.destroy();
  };
}
