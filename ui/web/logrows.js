// Log lines as a table: time, level, service, host and message per row; a
// row opens to every field and every attribute, each with a button that
// filters on it, and "Show context" (the lines around it from the same
// service and host). Shared by the Logs page's search, its live tail and
// its pages of older lines.

import { api, query } from './api.js';
import { h, replace, errorBox, notice } from './dom.js';
import { cell, isTimeType } from './format.js';
import { fmtTime, offsetLabel, zoneLabel } from './clock.js';

const SHOWN = ['timestamp', 'level', 'service', 'host', 'body'];
// FILTERABLE are the columns a filter can name (the others are per line).
const FILTERABLE = ['service', 'host', 'level', 'stream'];

/** levelClass maps the many spellings of a level onto one colour class. */
export function levelClass(level) {
  const l = String(level || '').toLowerCase();
  if (['fatal', 'critical', 'crit', 'panic', 'emerg', 'alert'].includes(l)) return 'lvl-fatal';
  if (['error', 'err'].includes(l)) return 'lvl-error';
  if (['warn', 'warning'].includes(l)) return 'lvl-warn';
  if (['info', 'notice', 'information'].includes(l)) return 'lvl-info';
  if (l === 'debug') return 'lvl-debug';
  if (l === 'trace') return 'lvl-trace';
  return 'lvl-other';
}

// lineKey names a line by its Kafka position (unique per line).
function lineKey(get) {
  return `${get('kafka_topic')}/${get('kafka_partition')}/${get('kafka_offset')}`;
}

/**
 * logTable renders lines of result {columns, rows}. onFilter(field, value)
 * is called when the user asks to filter on a field (field: service, host,
 * level, stream or attr.<key>). Returns {el, add(rows, {atTop}), size()}.
 */
export function logTable(columns, { onFilter, anchor = null } = {}) {
  const idx = Object.fromEntries(columns.map((c, i) => [c.name, i]));
  const shown = SHOWN.filter((n) => idx[n] !== undefined);
  const labels = { timestamp: `Time (${offsetLabel()})`, level: 'Level', service: 'Service', host: 'Host', body: 'Message' };
  const tbody = h('tbody');
  let count = 0;

  function row(r) {
    const get = (name) => (idx[name] === undefined ? undefined : r[idx[name]]);
    const key = lineKey(get);
    const tr = h('tr', { class: 'log-row' + (anchor && key === anchor ? ' log-anchor' : ''), tabindex: '0', 'aria-expanded': 'false', 'data-line': key },
      shown.map((n) => {
        const v = get(n);
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
      detail = h('tr', { class: 'log-detail' }, h('td', { colspan: String(shown.length) }, lineDetail(columns, r, get, onFilter)));
      tr.after(detail);
      tr.setAttribute('aria-expanded', 'true');
      tr.classList.add('open');
    };
    tr.addEventListener('click', (ev) => {
      // Let the user select text in a row without toggling it.
      if (String(window.getSelection ? window.getSelection() : '').length > 0) return;
      if (ev.target.closest('a, button')) return;
      toggle();
    });
    tr.addEventListener('keydown', (ev) => {
      if (ev.target !== tr) return;
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        toggle();
      }
    });
    return tr;
  }

  function add(rows, { atTop = false } = {}) {
    const nodes = rows.map(row);
    if (atTop) {
      // rows come oldest first; the newest ends on top.
      for (const n of nodes) tbody.insertBefore(n, tbody.firstChild);
    } else {
      for (const n of nodes) tbody.appendChild(n);
    }
    count += rows.length;
  }

  /** trim keeps the newest max lines of a table that grows at the top. */
  function trim(max) {
    const rowsNow = tbody.querySelectorAll('tr.log-row');
    for (let i = max; i < rowsNow.length; i++) {
      const next = rowsNow[i].nextElementSibling;
      if (next && next.classList.contains('log-detail')) next.remove();
      rowsNow[i].remove();
      count--;
    }
  }

  const el = h('div', { class: 'table-wrap table-flow' },
    h('table', { class: 'data logs' },
      h('thead', null, h('tr', null, shown.map((n) => h('th', { class: 'col-' + n, 'data-zone': n === 'timestamp' ? 'logs' : null, title: n === 'timestamp' ? `times in ${zoneLabel()}` : null, text: labels[n] })))),
      tbody));
  return { el, add, trim, size: () => count };
}

// lineDetail is an opened line: its fields, each attribute, and the line's
// context on request.
function lineDetail(columns, r, get, onFilter) {
  const filterBtn = (field, value) => (onFilter && value !== '' && value !== null && value !== undefined
    ? h('button', { type: 'button', class: 'btn btn-tiny filter-on', title: `show only lines where ${field} is ${value}`, 'data-field': field, onclick: () => onFilter(field, String(value)) }, '+')
    : null);
  const fields = [];
  for (let j = 0; j < columns.length; j++) {
    const c = columns[j];
    if (c.name === 'attributes') continue;
    const v = r[j];
    const shownV = isTimeType(c.type) && v !== null ? `${fmtTime(v, { ms: true })} ${zoneLabel()}` : cell(v);
    fields.push(h('dt', { title: c.type, text: c.name }),
      h('dd', { class: c.name === 'body' ? 'body-full' : null }, shownV, FILTERABLE.includes(c.name) ? filterBtn(c.name, v) : null));
  }
  const attrs = get('attributes');
  const keys = attrs && typeof attrs === 'object' ? Object.keys(attrs).sort() : [];
  const attrList = keys.length === 0 ? null : h('dl', { class: 'kv attrs', 'aria-label': 'Attributes' },
    keys.map((k) => [
      h('dt', { class: 'attr-key', text: k }),
      h('dd', null, cell(attrs[k]), filterBtn('attr.' + k, attrs[k])),
    ]));
  const ctxBox = h('div', { class: 'log-context' });
  const ctxBtn = h('button', { type: 'button', class: 'btn btn-small show-context', text: 'Show context' });
  ctxBtn.addEventListener('click', () => showContext(ctxBox, ctxBtn, columns, get));
  return h('div', { class: 'log-detail-body' },
    h('dl', { class: 'kv' }, fields),
    attrList ? h('h4', { class: 'attrs-title', text: `Attributes (${keys.length})` }) : null,
    attrList,
    h('div', { class: 'detail-actions' }, ctxBtn),
    ctxBox);
}

// CONTEXT_LINES is how many lines "Show context" shows on each side.
const CONTEXT_LINES = 20;

async function showContext(box, btn, columns, get) {
  if (box.dataset.state === 'done') {
    replace(box);
    box.dataset.state = '';
    btn.textContent = 'Show context';
    return;
  }
  btn.disabled = true;
  replace(box, notice('loading the lines around this one…'));
  try {
    const res = await api('/api/v1/logs/context' + query({
      at: get('timestamp'), service: get('service'), host: get('host'), stream: get('stream'), lines: CONTEXT_LINES,
    }));
    const rows = (res && res.rows) || [];
    const t = logTable(res.columns || columns, { anchor: lineKey(get) });
    t.add(rows);
    replace(box,
      h('p', { class: 'muted', text: `${rows.length} lines around this one from ${get('service') || 'no service'} on ${get('host') || 'no host'}, oldest first` }),
      t.el);
    box.dataset.state = 'done';
    btn.textContent = 'Hide context';
  } catch (e) {
    replace(box, errorBox(e.message));
  } finally {
    btn.disabled = false;
  }
}
