// Shared link (/s/<id>): the pinned request (template version, parameter
// values, absolute range), its Markdown line for a postmortem, the live
// rerun of exactly that request, and the frozen result when the link has
// one. Says so when the range's data is no longer in the hot store.

import { api, ApiError, download, query } from '../api.js';
import { exportButtons } from '../exports.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { statsText } from '../table.js';
import { cell } from '../format.js';
import { renderResult, sqlDisclosure } from '../result.js';
import { paramsURL } from '../params.js';
import { copyRow, exploreURL, fmtRange } from '../share.js';
import { fmtTime, timeZone, zoneLabel } from '../clock.js';

const GONE = 'Data for this range is no longer in the hot store: it is older than the streams\' retention.';
const PARTIAL = 'Part of this range is older than some streams\' retention; their rows are no longer in the hot store.';

function paramText(v) {
  if (Array.isArray(v)) return v.map(cell).join(', ');
  return cell(v);
}

// openInExplore is the Explore URL of the pinned request, where it can be
// changed.
function openInExplore(link) {
  return exploreURL({ template: link.template, version: link.version, range: { from: link.from, to: link.to }, params: paramsURL(link.params) });
}

export function mount(el, ctx) {
  const id = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() || '');
  const ctrl = new AbortController();
  const views = [];
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Shared link' })), notice('Loading the link…'));

  (async () => {
    let link;
    try {
      link = await api('/api/v1/links/' + encodeURIComponent(id), { signal: ctrl.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      const msg = e instanceof ApiError && e.status === 404
        ? `There is no shared link ${JSON.stringify(id)}. Check that the URL was copied whole.`
        : e.message;
      replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Shared link' })), errorBox(msg));
      el.dataset.state = 'error';
      return;
    }
    const title = link.title || link.template;
    document.title = title + ' · logmart';
    const pinned = h('div', { class: 'pinned', 'data-pinned': 'true' },
      h('span', { class: 'pin-label', text: 'pinned:' }), ' ',
      h('span', { class: 'mono', 'data-zone': 'link', text: fmtRange(link.from, link.to) }), ', ',
      h('span', null, 'template ', h('span', { class: 'mono', text: `${link.template} v${link.version}` })));
    const params = Object.entries(link.params || {});
    const meta = h('dl', { class: 'kv link-params' },
      params.length ? params.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: paramText(v) })]) : [h('dt', { text: 'params' }), h('dd', { class: 'muted', text: 'none (template defaults)' })]);
    const created = h('div', { class: 'muted link-created', text: `created ${fmtTime(link.created_at)} ${zoneLabel()}${link.created_by ? ' by ' + link.created_by : ''}` });
    const notices = h('div', { class: 'link-notices' });
    if (link.hot === 'gone') notices.appendChild(h('div', { class: 'warn-box', 'data-notice': 'hot', text: GONE }));
    else if (link.hot === 'partial') notices.appendChild(h('div', { class: 'warn-box', 'data-notice': 'hot', text: PARTIAL }));
    if (link.snapshot_hidden) notices.appendChild(notice(link.snapshot_hidden, 'snapshot-hidden'));
    if (link.snapshot_expired) notices.appendChild(notice(link.snapshot_expired, 'snapshot-expired'));

    const liveStats = h('span', { class: 'stats', 'aria-live': 'polite' });
    const exports = exportButtons((format) => download('/api/v1/links/' + encodeURIComponent(id) + '/run' + query({ format, tz: timeZone() }), { method: 'POST' }), liveStats);
    const live = h('div', { class: 'results', 'data-result': 'live' }, notice('Running the pinned query…'));
    const liveSQL = h('div');
    const sections = [
      h('section', { class: 'link-section' },
        h('div', { class: 'section-head' }, h('h2', { text: 'Live result' }), h('span', { class: 'muted', text: 'rerun now with your access' }), h('span', { class: 'spacer' }), exports.el, liveStats),
        live, liveSQL),
    ];
    const snap = link.snapshot;
    if (snap) {
      // The frozen result draws the columns its template version's chart
      // names; without the version's spec they are inferred.
      let chart = null;
      try {
        const info = await api('/api/v1/templates/' + encodeURIComponent(link.template) + query({ version: link.version }), { signal: ctrl.signal });
        chart = (info && info.chart) || null;
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
      const v = renderResult(snap, snap.visualization, link, chart);
      views.push(v);
      sections.push(h('section', { class: 'link-section', 'data-result': 'snapshot' },
        h('div', { class: 'section-head' },
          h('h2', { text: 'Frozen result' }),
          h('span', { class: 'frozen-note', text: `frozen result from ${fmtTime(snap.at)} ${zoneLabel()}` }),
          h('span', { class: 'spacer' }),
          h('span', { class: 'stats', text: statsText(snap) })),
        v.node, sqlDisclosure(snap.sql)));
    }

    replace(el,
      h('div', { class: 'page-head' }, h('h1', { text: title }), h('span', { class: 'spacer' }),
        h('a', { href: openInExplore(link), 'data-nav': true, class: 'btn btn-ghost', text: 'Open in Explore' })),
      pinned,
      link.note ? h('p', { class: 'link-note', text: link.note }) : null,
      h('div', { class: 'link-meta' }, meta, created),
      copyRow(link.markdown),
      notices,
      sections);

    el.dataset.state = 'loading';
    try {
      const res = (await api('/api/v1/links/' + encodeURIComponent(id) + '/run', { method: 'POST', signal: ctrl.signal })) || {};
      const v = renderResult(res, res.visualization, link);
      views.push(v);
      replace(live, v.node);
      replace(liveSQL, sqlDisclosure(res.sql));
      liveStats.textContent = statsText(res);
      exports.enable(true);
      const rows = Array.isArray(res.rows) ? res.rows.length : 0;
      if (rows === 0 && snap && (snap.rows || []).length > 0 && !notices.querySelector('[data-notice="hot"]')) {
        notices.appendChild(h('div', { class: 'warn-box', 'data-notice': 'hot',
          text: 'Data for this range is no longer in the hot store: the live rerun finds no rows, while the frozen result below has them.' }));
      }
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(live, errorBox(e.message));
      el.dataset.state = 'error';
    }
  })();

  return () => {
    ctrl.abort();
    for (const v of views) v.destroy();
  };
}
