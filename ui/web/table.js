// Tables for query results and summaries. Cells are text nodes only.

import { h } from './dom.js';
import { cell, isNumericType, isTimeType, int, bytes, ms } from './format.js';
import { fmtTime, zoneLabel } from './clock.js';

/**
 * dataTable renders rows under headers. cols: [{label, num, title}], rows:
 * arrays of cell content (strings or nodes). An optional rowAttrs(i) gives
 * attributes for each <tr>.
 */
export function dataTable(cols, rows, { className = '', rowAttrs } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: ('data ' + className).trim() },
      h('thead', null, h('tr', null, cols.map((c) =>
        h('th', { class: c.num ? 'num' : null, title: c.title || null }, c.label)))),
      h('tbody', null, rows.map((r, i) =>
        h('tr', rowAttrs ? rowAttrs(i) : null, r.map((v, j) =>
          h('td', { class: cols[j] && cols[j].num ? 'num' : null }, v)))))));
}

/** resultTable renders a {columns, rows} query result as it came, times
 * in the chosen zone (named in their column's header). */
export function resultTable(result) {
  const columns = result.columns || [];
  const zone = zoneLabel();
  const isTime = columns.map((c) => isTimeType(c.type));
  const cols = columns.map((c, j) => ({
    label: isTime[j] ? [c.name, ' ', h('span', { class: 'th-zone muted', 'data-zone': 'table', text: `(${zone})` })] : c.name,
    num: isNumericType(c.type),
    title: isTime[j] ? `${c.type}, shown in ${zone}` : c.type,
  }));
  const rows = (result.rows || []).map((r) => r.map((v, j) => {
    if (v === null) return h('span', { class: 'null', text: 'NULL' });
    return isTime[j] ? h('span', { class: 'time', 'data-time': String(v), text: fmtTime(v) }) : cell(v);
  }));
  return dataTable(cols, rows, { className: 'result' });
}

/** statsText summarises a result: rows returned, rows and bytes read, time. */
export function statsText(result) {
  const st = result.stats || {};
  const n = (result.rows || []).length;
  const parts = [`${int(n)} row${n === 1 ? '' : 's'}`];
  if (st.rows_read !== undefined) parts.push(`read ${int(st.rows_read)} rows`);
  if (st.bytes_read !== undefined) parts.push(bytes(st.bytes_read));
  if (st.elapsed_ms !== undefined) parts.push(ms(st.elapsed_ms));
  return parts.join(' · ');
}
