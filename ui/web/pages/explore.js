// Explore: pick a query template, fill the form generated from its typed
// parameters, run it over a time range, see a chart or table with
// ClickHouse's stats and the rendered SQL, and share the run as a pinned
// link (/s/<id>). Editors and admins also get the ad-hoc SQL tab
// (?mode=sql), the UI's one SQL screen; /sql leads there.
//
// The state lives in the URL (?t=<id>&range=1h&p.<name>=<value>&run=1), so
// a run can be bookmarked and Back returns to the previous one.

import { api, ApiError, download, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { timeRangePicker } from '../timerange.js';
import { statsText } from '../table.js';
import { renderResult, sqlDisclosure } from '../result.js';
import { paramError, paramField, readParams } from '../params.js';
import { exploreURL, showShareForm } from '../share.js';
import { startRun } from '../runs.js';
import { saveSearchForm, savedSearchMenu } from '../saved.js';
import { timeZone } from '../clock.js';
import { exportButtons } from '../exports.js';
import { estimateButton } from '../estimate.js';


// rangeError reads the server's `from: …` and `to: …` 400s.
function rangeError(message) {
  return /^(from|to)\b/.test(message);
}

// ---- the page ----

export function mount(el, ctx) {
  const p = ctx.params;
  const role = ctx.me && ctx.me.role;
  const canSQL = !role || role === 'editor' || role === 'admin';
  const mode = p.get('mode') === 'sql' ? 'sql' : 'templates';

  const tabs = h('div', { class: 'tabs', role: 'tablist' },
    h('a', { href: '/explore', 'data-nav': true, role: 'tab', class: mode === 'templates' ? 'tab active' : 'tab', 'aria-selected': String(mode === 'templates'), text: 'Templates' }),
    canSQL ? h('a', { href: '/explore?mode=sql', 'data-nav': true, role: 'tab', class: mode === 'sql' ? 'tab active' : 'tab', 'aria-selected': String(mode === 'sql'), text: 'Ad-hoc SQL' }) : null);
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const head = h('div', { class: 'page-head' }, h('h1', { text: 'Explore' }), tabs, savedSearchMenu('explore', ctx.navigate), h('span', { class: 'spacer' }), stats);
  if (mode === 'sql') {
    if (canSQL) return mountSQL(el, ctx, head, stats);
    replace(el, head, errorBox(`ad-hoc SQL needs the editor or admin role; you are signed in as ${role}`));
    return null;
  }

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
    let lastBody = null;
    const exports = exportButtons((format) => download('/api/v1/query' + query({ format, tz: timeZone() }), { method: 'POST', body: lastBody }), stats);
    const saveBox = h('span', { class: 'save-box' });
    const saveBtn = h('button', { type: 'button', class: 'btn btn-small', text: 'Save search', onclick: () => saveSearchForm(saveBox, 'explore', () => location.search) });
    const sharePanel = h('div', { class: 'share-panel', hidden: true });
    const problem = h('div', { class: 'problem' });
    const results = h('div', { class: 'results' });
    const sqlBox = h('div', { class: 'sql-box' });
    const pinned = Number(spec.version) !== Number(t.version) ? Number(spec.version) : 0;
    // The estimate's body is the run's, when the form reads; the server
    // answers a bad value as it would for a run.
    const estimate = estimateButton(t.id, () => {
      const read = readParams(fields);
      let rr;
      try {
        rr = range.resolve();
      } catch (e) {
        setRangeError(e.message);
        return null;
      }
      if (read.firstBad) {
        read.firstBad.focus();
        return null;
      }
      const b = { params: read.params, from: rr.from, to: rr.to };
      if (pinned) b.version = pinned;
      return b;
    });
    const form = h('form', { class: 'param-form', novalidate: true, 'data-primary': true },
      fields.length ? h('div', { class: 'fields' }, fields.map((f) => f.el)) : h('p', { class: 'muted', text: 'This template has no parameters besides the time range.' }),
      h('div', { class: 'toolbar' }, range.el, run, estimate.button, share, exports.el, saveBtn, saveBox, rangeErr), estimate.line);
    replace(detail,
      h('div', { class: 'tmpl-head' },
        h('h2', { class: 'tmpl-name', text: t.title || t.id }),
        h('span', { class: 'mono muted', text: `${t.id} v${pinned || t.version}` }),
        pinned ? h('span', { class: 'badge', text: `pinned v${pinned}; latest is v${t.version}` }) : null,
        t.archive ? h('span', { class: 'badge', 'data-archive': true, title: 'reads the archive in place: each run opens the archive objects of its hours', text: 'archive' }) : null),
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
      const read = readParams(fields);
      let firstBad = read.firstBad;
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
        const url = exploreURL({ template: t.id, version: pinned, range: range.params(), params: read.url });
        if (url !== location.pathname + location.search) history.pushState(null, '', url);
      }
      const body = { template: t.id, params: read.params, from: rr.from, to: rr.to };
      if (pinned) body.version = pinned;
      if (runCtrl) runCtrl.abort();
      const mine = (runCtrl = startRun(stats, {
        onCancel: () => {
          runCtrl = null;
          run.disabled = false;
          results.classList.remove('stale');
          stats.textContent = 'cancelled';
          el.dataset.state = 'cancelled';
        },
      }));
      el.dataset.state = 'loading';
      run.disabled = true;
      stats.textContent = 'running…';
      results.classList.add('stale');
      try {
        const res = (await api('/api/v1/query', { method: 'POST', body, signal: mine.signal, statement: mine.statement })) || {};
        if (mine !== runCtrl) return;
        mine.finish();
        lastBody = body;
        exports.enable(true);
        if (view) view.destroy();
        // The answer states the range it ran over as absolute times.
        const ran = res.from && res.to ? { from: res.from, to: res.to } : rr;
        view = renderResult(res, res.visualization || spec.visualization, ran, res.chart || spec.chart);
        replace(results, view.node);
        replace(sqlBox, sqlDisclosure(res.sql));
        stats.textContent = statsText(res);
        const version = (res.template && res.template.version) || pinned || t.version;
        lastRun = { template: t.id, version, title: t.title || t.id, params: read.params, from: ran.from, to: ran.to };
        share.disabled = false;
        share.title = 'Pin this run (template version, parameters, time range) as a link';
        sharePanel.hidden = true;
        el.dataset.state = 'done';
      } catch (e) {
        if (e.name === 'AbortError') return;
        mine.finish();
        exports.enable(false);
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

    share.addEventListener('click', () => {
      if (lastRun) showShareForm(sharePanel, lastRun, { onCreated: (link) => { el.dataset.shared = link.id; } });
    });
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

// The editor's text is kept as a draft in this browser, so a reload or a
// later visit finds the last query.
const DRAFT_KEY = 'logmart.sql.draft';
const EXAMPLE = 'SELECT toStartOfMinute(timestamp) AS t, level, count() AS rows\nFROM logs\nWHERE timestamp > now() - INTERVAL 1 HOUR\nGROUP BY t, level\nORDER BY t';

function loadDraft() {
  try {
    return localStorage.getItem(DRAFT_KEY);
  } catch {
    return null;
  }
}

function saveDraft(v) {
  try {
    localStorage.setItem(DRAFT_KEY, v);
  } catch {
    // Storage disabled: the draft is not kept.
  }
}

function mountSQL(el, ctx, head, stats) {
  const editor = h('textarea', { class: 'sql-editor', name: 'sql', rows: '7', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'SQL query' });
  editor.value = ctx.params.get('sql') || loadDraft() || EXAMPLE;
  const run = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Run' });
  const results = h('div', { class: 'results' }, notice('Read-only ClickHouse SQL, with your role\'s time and row limits. A (time, series, value) or (time, numbers…) result is also charted.'));
  let lastSQL = '';
  const exports = exportButtons((format) => download('/api/v1/sql' + query({ format, tz: timeZone() }), { method: 'POST', body: { sql: lastSQL } }), stats);
  const form = h('form', { class: 'sql-form', 'data-primary': true }, editor,
    h('div', { class: 'toolbar' }, run, h('span', { class: 'muted', text: 'Ctrl+Enter to run' }), h('span', { class: 'spacer' }), exports.el));
  replace(el, head, form, results);
  let ctrl = null;
  let view = null;

  async function execute() {
    const sql = editor.value.trim();
    if (!sql) {
      replace(results, errorBox('sql: write a query first'));
      return;
    }
    saveDraft(editor.value);
    if (ctrl) ctrl.abort();
    const mine = (ctrl = startRun(stats, {
      onCancel: () => {
        ctrl = null;
        run.disabled = false;
        results.classList.remove('stale');
        stats.textContent = 'cancelled';
        el.dataset.state = 'cancelled';
      },
    }));
    el.dataset.state = 'loading';
    run.disabled = true;
    stats.textContent = 'running…';
    results.classList.add('stale');
    try {
      const res = (await api('/api/v1/sql', { method: 'POST', body: { sql }, signal: mine.signal, statement: mine.statement })) || {};
      if (mine !== ctrl) return;
      mine.finish();
      lastSQL = sql;
      exports.enable(true);
      if (view) view.destroy();
      view = renderResult(res, 'auto');
      replace(results, view.node);
      stats.textContent = statsText(res);
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      mine.finish();
      exports.enable(false);
      if (view) view.destroy();
      view = null;
      replace(stats);
      replace(results, errorBox(e.message));
      el.dataset.state = 'error';
    } finally {
      if (mine === ctrl) {
        ctrl = null;
        run.disabled = false;
        results.classList.remove('stale');
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
  editor.addEventListener('input', () => saveDraft(editor.value));
  return () => {
    if (ctrl) ctrl.abort();
    if (view) view.destroy();
  };
}
