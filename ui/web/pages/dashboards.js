// Dashboards: every dashboard of this instance by folder, with a search
// over titles, uids and tags, and tag filters. The search and the tag live
// in the URL (?q=…&tag=…).

import { api, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtTime, zoneLabel } from '../clock.js';

export function mount(el, ctx) {
  const p = ctx.params;
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Search title, uid or tag  —  press / to focus', 'aria-label': 'Search dashboards', class: 'grow', 'data-search': true });
  search.value = p.get('q') || '';
  const tags = h('div', { class: 'chips tag-filter', 'aria-label': 'Tags' });
  const list = h('div', { class: 'dash-list' }, notice('Loading dashboards…'));
  const promos = h('div', { class: 'promotions', 'data-list': 'promotions' });
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Dashboards' })),
    h('form', { class: 'toolbar', role: 'search', 'data-primary': true }, search), tags, list,
    card('Recent promotions', promos));
  let all = [];
  let tag = p.get('tag') || '';

  function sync() {
    history.replaceState(null, '', '/dashboards' + query({ q: search.value, tag }));
  }

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = all.filter((d) => (!tag || (d.tags || []).includes(tag)) &&
      (!q || [d.uid, d.title, d.folder, ...(d.tags || [])].some((s) => String(s || '').toLowerCase().includes(q))));
    const tagNames = [...new Set(all.flatMap((d) => d.tags || []))].sort();
    replace(tags, tagNames.map((t) => h('button', {
      type: 'button', class: 'chip chip-btn' + (t === tag ? ' active' : ''), 'aria-pressed': String(t === tag), 'data-tag': t, text: t,
      onclick: () => { tag = tag === t ? '' : t; sync(); draw(); },
    })));
    if (shown.length === 0) {
      replace(list, notice(all.length ? 'No dashboard matches.' : 'No dashboards yet: add YAML files under configs/dashboards/.'));
      return;
    }
    const folders = new Map();
    for (const d of shown) {
      const f = d.folder || 'General';
      if (!folders.has(f)) folders.set(f, []);
      folders.get(f).push(d);
    }
    replace(list, [...folders.keys()].sort().map((f) => h('section', { class: 'dash-folder', 'data-folder': f },
      h('h2', { text: f }),
      h('ul', null, folders.get(f).sort((a, b) => a.title.localeCompare(b.title)).map((d) => h('li', { class: 'dash-item', 'data-uid': d.uid },
        h('a', { href: '/d/' + encodeURIComponent(d.uid), 'data-nav': true, class: 'dash-title', text: d.title }),
        h('span', { class: 'muted mono dash-uid', text: d.uid }),
        (d.tags || []).map((t) => h('span', { class: 'tag', text: t })),
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted dash-source', title: d.source === 'file' ? 'provisioned from a file: read-only here' : 'saved through the API', text: d.source === 'file' ? 'file' : 'api' }),
        d.updated ? h('span', { class: 'muted dash-updated', title: `updated, ${zoneLabel()}`, text: fmtTime(d.updated) }) : null))))));
  }

  const ctrl = new AbortController();
  api('/api/v1/dashboards', { signal: ctrl.signal }).then((res) => {
    all = (res && res.dashboards) || [];
    list.dataset.loaded = 'true';
    draw();
  }, (e) => {
    if (e.name !== 'AbortError') replace(list, errorBox('cannot list dashboards: ' + e.message));
  });
  api('/api/v1/promotions' + query({ limit: 20 }), { signal: ctrl.signal }).then((res) => {
    replace(promos, promotionsTable((res && res.promotions) || []));
  }, (e) => {
    if (e.name !== 'AbortError') replace(promos, errorBox('cannot list promotions: ' + e.message));
  });
  search.addEventListener('input', () => { sync(); draw(); });
  search.form.addEventListener('submit', (ev) => ev.preventDefault());
  return () => ctrl.abort();
}

/** promotionsTable lists promotions into this instance, newest first:
 * what came from where, the hashes before and after, who and when. */
export function promotionsTable(list) {
  if (list.length === 0) return notice('Nothing has been promoted to this instance yet (logmart dashboards promote).');
  const short = (x) => (x ? String(x).slice(0, 12) : '—');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, ['Kind', 'UID', 'From → to', 'Hash before → after', 'Forced', 'By', `When (${zoneLabel()})`].map((t) => h('th', { text: t })))),
    h('tbody', null, list.map((p) => h('tr', { 'data-uid': p.uid },
      h('td', { text: p.kind }),
      h('td', null, p.kind === 'dashboard' ? h('a', { href: '/d/' + encodeURIComponent(p.uid), 'data-nav': true, class: 'mono', text: p.uid }) : h('span', { class: 'mono', text: p.uid })),
      h('td', { text: `${p.from} → ${p.to}` }),
      h('td', { class: 'mono', title: `${p.old_hash || 'none'} → ${p.new_hash}`, text: `${short(p.old_hash)} → ${short(p.new_hash)}` }),
      h('td', { class: p.forced ? 'errors' : null, text: p.forced ? 'forced' : '' }),
      h('td', { text: p.by || '' }),
      h('td', { class: 'mono', text: fmtTime(p.at) }))))));
}
