// SQL: run a read-only ClickHouse query (editors and admins). The server runs
// it with readonly settings, so a write comes back as ClickHouse's own error.

import { api } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { resultTable, statsText } from '../table.js';

const DRAFT_KEY = 'logmart.sql.draft';
const EXAMPLE = 'SELECT service, level, count() AS rows\nFROM logs\nWHERE timestamp > now() - INTERVAL 15 MINUTE\nGROUP BY service, level\nORDER BY rows DESC\nLIMIT 50';

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
    // storage disabled: the draft is not kept
  }
}

export function mount(el, ctx) {
  const editor = h('textarea', {
    class: 'sql-editor', name: 'sql', rows: '6', spellcheck: 'false', autocomplete: 'off',
    'aria-label': 'SQL query',
  });
  editor.value = ctx.params.get('sql') || loadDraft() || EXAMPLE;
  const run = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Run' });
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const results = h('div', { class: 'results' }, notice('Run a query to see its result. Queries run read-only, with the server\'s time and row limits.'));
  const form = h('form', { class: 'sql-form' },
    editor,
    h('div', { class: 'toolbar' }, run, h('span', { class: 'muted', text: 'Ctrl+Enter to run' }), h('span', { class: 'spacer' }), stats));

  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'SQL' }), h('span', { class: 'muted', text: 'read-only ClickHouse SQL' })),
    form,
    results);

  let ctrl = null;

  async function execute() {
    const sql = editor.value.trim();
    if (!sql) {
      replace(results, errorBox('sql: write a query first'));
      return;
    }
    saveDraft(editor.value);
    if (ctrl) ctrl.abort();
    const mine = (ctrl = new AbortController());
    el.dataset.state = 'loading';
    run.disabled = true;
    stats.textContent = 'running…';
    results.classList.add('stale');
    try {
      const res = (await api('/api/v1/sql', { method: 'POST', body: { sql }, signal: mine.signal })) || {};
      if (mine !== ctrl) return;
      const cols = Array.isArray(res.columns) ? res.columns : [];
      stats.textContent = statsText(res);
      replace(results, cols.length === 0 ? notice('The query returned no columns.') : resultTable(res));
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
  };
}
