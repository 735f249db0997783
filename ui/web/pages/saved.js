// Saved: every saved search (shared by all users) and the caller's shared
// links, each with open and delete.

import { api } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtTime, zoneLabel } from '../clock.js';
import { deletable } from '../saved.js';

export function mount(el) {
  const searchesBox = h('div', { 'data-list': 'searches' }, notice('loading…'));
  const linksBox = h('div', { 'data-list': 'links' }, notice('loading…'));
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Saved searches and links' })),
    card('Saved searches', searchesBox), card('Your shared links', linksBox));

  const table = (heads, rows) => h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, heads.map((t) => h('th', { text: t })))), h('tbody', null, rows)));

  api('/api/v1/searches').then((res) => {
    const list = (res && res.searches) || [];
    if (list.length === 0) {
      replace(searchesBox, notice('No saved searches yet: use "Save search" on Logs or Explore.'));
      return;
    }
    replace(searchesBox, table(['Name', 'Page', 'Saved by', `Saved (${zoneLabel()})`, ''], list.map((s) => {
      const tr = h('tr', { 'data-id': s.id },
        h('td', null, h('a', { href: s.url, 'data-nav': true, text: s.name })),
        h('td', { text: s.page }), h('td', { text: s.created_by }), h('td', { class: 'mono', text: fmtTime(s.created_at) }));
      tr.appendChild(h('td', null, deletable(tr, () => api('/api/v1/searches/' + encodeURIComponent(s.id), { method: 'DELETE' }), s.name)));
      return tr;
    })));
  }, (e) => replace(searchesBox, errorBox(e.message)));

  api('/api/v1/links').then((res) => {
    const list = (res && res.links) || [];
    if (list.length === 0) {
      replace(linksBox, notice('You have not shared a link yet: use "Share" on an Explore result.'));
      return;
    }
    replace(linksBox, table(['Title', 'Template', `Range (${zoneLabel()})`, `Created (${zoneLabel()})`, ''], list.map((l) => {
      const tr = h('tr', { 'data-id': l.id },
        h('td', null, h('a', { href: l.url, 'data-nav': true, text: l.title || l.id })),
        h('td', { class: 'mono', text: `${l.template} v${l.version}` }),
        h('td', { class: 'mono', text: `${fmtTime(l.from)} → ${fmtTime(l.to)}` }),
        h('td', { class: 'mono', text: fmtTime(l.created_at) }));
      tr.appendChild(h('td', null, deletable(tr, () => api('/api/v1/links/' + encodeURIComponent(l.id), { method: 'DELETE' }), l.title || l.id)));
      return tr;
    })));
  }, (e) => replace(linksBox, errorBox(e.message)));
}
