// Dashboards: every dashboard of this instance by folder, with a search
// over titles, uids and tags, and tag filters. The search and the tag live
// in the URL (?q=…&tag=…).

import { api, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { fmtTime, zoneLabel } from '../clock.js';

export function mount(el, ctx) {
  const p = ctx.params;
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Search title, uid or tag  —  press / to focus', 'aria-label': 'Search dashboards', class: 'grow', 'data-search': true });
  search.value = p.get('q') || '';
  const tags = h('div', { class: 'chips tag-filter', 'aria-label': 'Tags' });
  const list = h('div', { class: 'dash-list' }, notice('Loading dashboards…'));
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Dashboards' })),
    h('form', { class: 'toolbar', role: 'search', 'data-primary': true }, search), tags, list);
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
  search.addEventListener('input', () => { sync(); draw(); });
  search.form.addEventListener('submit', (ev) => ev.preventDefault());
  return () => ctrl.abort();
}
