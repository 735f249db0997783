// A dashboard (/d/<uid>): its variables bar, range and auto-refresh, and
// its panels on a 24-column grid in collapsible rows. Each panel runs on
// the server with the viewer's variables (POST …/panels/<i>/run); panels
// run in parallel, a change of range or variable cancels the runs in
// flight, and a panel that fails shows its error while the rest draw.
//
// The URL carries the range, the variables (var-<name>, repeated for
// several values) and the refresh, so a copied URL reopens the same view.

import { api, download, query } from '../api.js';
import { h, replace, errorBox, notice } from '../dom.js';
import { timeRangePicker, RANGES } from '../timerange.js';
import { fmtTime, timeZone, zoneLabel } from '../clock.js';
import { statsText, resultTable } from '../table.js';
import { renderResult, sqlDisclosure } from '../result.js';
import { exploreURL, showShareForm } from '../share.js';
import { int } from '../format.js';

const ALL = '$__all';
const REFRESHES = ['', '10s', '30s', '1m', '5m', '15m'];
const ROW_PX = 34;
// VIZ maps a panel's visualization onto the ones results draw.
const VIZ = { timeseries: 'timeseries', bar: 'bar', table: 'table', stat: 'stat', gauge: 'stat', logs: 'table' };

function seconds(d) {
  const m = /^(\d+)(s|m|h)$/.exec(d || '');
  return m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2]] : 0;
}

// rangeParams turns a dashboard's default time into the picker's URL
// params: a preset when one matches, else the absolute or relative ends.
function rangeParams(time) {
  const m = /^now-(\w+)$/.exec((time && time.from) || 'now-1h');
  if (m && (time.to || 'now') === 'now' && RANGES.some((r) => r.key === m[1])) return new URLSearchParams({ range: m[1] });
  return new URLSearchParams({ from: time.from, to: time.to || 'now' });
}

export function mount(el, ctx) {
  const uid = decodeURIComponent(location.pathname.replace(/^\/d\//, '').replace(/\/+$/, ''));
  const p = ctx.params;
  const ctrl = new AbortController();
  let runs = new AbortController();
  let timer = null;
  const views = [];
  replace(el, notice('Loading the dashboard…'));

  (async () => {
    let entry;
    try {
      entry = await api('/api/v1/dashboards/' + encodeURIComponent(uid), { signal: ctrl.signal });
    } catch (e) {
      if (e.name !== 'AbortError') replace(el, h('div', { class: 'page-head' }, h('h1', { text: uid })), errorBox(e.message));
      el.dataset.state = 'error';
      return;
    }
    // The instance's variables fill the dashboard's ${name}s where it is
    // shown: titles, descriptions and link URLs.
    let instance = {};
    try {
      instance = ((await api('/api/v1/instance', { signal: ctrl.signal })) || {}).variables || {};
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    const x = (text) => String(text ?? '').replace(/\$\{([A-Za-z][A-Za-z0-9_]*)\}/g, (ref, name) => (name in instance ? instance[name] : ref));
    const d = entry.dashboard;
    const hasRange = p.has('range') || p.has('from') || p.has('to');
    const range = timeRangePicker(hasRange ? p : rangeParams(d.time));
    const vars = await variableInputs(d, p, ctrl.signal);
    const refresh = h('select', { name: 'refresh', 'aria-label': 'Auto-refresh' },
      REFRESHES.map((r) => h('option', { value: r, text: r ? `every ${r}` : 'no refresh' })));
    refresh.value = p.has('refresh') ? p.get('refresh') : (REFRESHES.includes(d.refresh || '') ? d.refresh || '' : '');
    const apply = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Apply', title: 'Ctrl+Enter' });

    // state is the URL of the view the controls describe.
    const state = () => `/d/${encodeURIComponent(uid)}` + (() => {
      const q = new URLSearchParams(query(range.params()).slice(1));
      for (const v of vars) for (const x of v.values()) q.append('var-' + v.name, x);
      if (refresh.value !== (d.refresh || '')) q.set('refresh', refresh.value || 'off');
      const s = q.toString();
      return s ? '?' + s : '';
    })();
    const form = h('form', { class: 'toolbar dash-bar', 'data-primary': true }, vars.map((v) => v.el), h('span', { class: 'spacer' }), range.el, refresh, apply);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      ctx.navigate(state());
    });
    for (const v of vars) v.onChange(() => ctx.navigate(state()));
    range.el.addEventListener('change', (ev) => {
      if (ev.target.name === 'range' && ev.target.value !== 'custom') ctx.navigate(state());
    });
    refresh.addEventListener('change', () => ctx.navigate(state()));

    const readOnly = entry.source === 'file';
    // promoted says where this copy last came from, when it was promoted.
    const promoted = h('p', { class: 'muted dash-promoted' });
    api('/api/v1/promotions' + query({ kind: 'dashboard', uid, limit: 1 }), { signal: ctrl.signal }).then((res) => {
      const last = res && res.promotions && res.promotions[0];
      if (last) promoted.textContent = `promoted from ${last.from} by ${last.by || 'someone'} at ${fmtTime(last.at)} ${zoneLabel()}${last.new_hash === entry.hash ? '' : ' — changed here since'}`;
    }, () => {});
    const actions = h('span', { class: 'dash-actions' },
      h('button', { type: 'button', class: 'btn btn-small', text: 'Export YAML', onclick: () => exportYAML(uid) }),
      h('button', { type: 'button', class: 'btn btn-small', text: 'Save as a copy', onclick: () => saveCopy(d, ctx) }));
    replace(el,
      h('div', { class: 'page-head' },
        h('h1', { text: x(d.title) }),
        d.folder ? h('span', { class: 'muted', text: d.folder }) : null,
        (d.tags || []).map((t) => h('span', { class: 'tag', text: t })),
        h('span', { class: 'spacer' }),
        d.playbook ? h('a', { href: x(d.playbook), target: '_blank', rel: 'noopener', class: 'btn btn-small', text: 'Playbook' }) : null,
        h('span', { class: 'muted mono', title: readOnly ? `provisioned from ${entry.file || 'a file'}: read-only here; export or save a copy to change it` : 'saved through the API', text: `hash ${String(entry.hash).slice(0, 12)}` }),
        actions),
      d.description ? h('p', { class: 'muted dash-desc', text: x(d.description) }) : null,
      promoted,
      form,
      panelsArea(d));

    // panelsArea lays the panels out by row, each row collapsible.
    function panelsArea(dash) {
      const groups = [{ row: null, panels: [] }];
      const byRow = new Map();
      for (const r of dash.rows || []) {
        const g = { row: r, panels: [] };
        byRow.set(r.id, g);
        groups.push(g);
      }
      (dash.panels || []).forEach((panel, i) => (byRow.get(panel.row) || groups[0]).panels.push({ panel, i }));
      return h('div', { class: 'dash-panels' }, groups.filter((g) => g.panels.length).map((g) => {
        const top = Math.min(...g.panels.map((x) => (x.panel.grid && x.panel.grid.y) || 0));
        const grid = h('div', { class: 'dash-grid' }, g.panels.map(({ panel, i }) => panelBox(panel, i, top)));
        if (!g.row) return grid;
        const head = h('button', { type: 'button', class: 'dash-row-head', 'aria-expanded': String(!g.row.collapsed), text: g.row.title });
        grid.hidden = Boolean(g.row.collapsed);
        head.addEventListener('click', () => {
          grid.hidden = !grid.hidden;
          head.setAttribute('aria-expanded', String(!grid.hidden));
          if (!grid.hidden) grid.querySelectorAll('.dash-panel').forEach((b) => b.dispatchEvent(new Event('logmart:show')));
        });
        return h('section', { class: 'dash-row', 'data-row': g.row.id }, head, grid);
      }));
    }

    // panelBox is one panel: its title and menu, and its result once run.
    function panelBox(panel, i, top) {
      const g = panel.grid || { x: 0, y: 0, w: 12, h: 8 };
      const body = h('div', { class: 'panel-body' }, notice('running…'));
      const extra = h('div', { class: 'panel-extra' });
      const stats = h('span', { class: 'panel-stats muted' });
      const menu = h('details', { class: 'panel-menu' }, h('summary', { 'aria-label': 'Panel menu', text: '⋮' }));
      const box = h('section', {
        class: 'dash-panel card', 'data-panel': String(i), 'data-state': 'loading',
        style: { gridColumn: `${g.x + 1} / span ${g.w}`, gridRow: `${g.y - top + 1} / span ${g.h}`, minHeight: `${g.h * ROW_PX}px` },
      },
      h('div', { class: 'card-head' }, h('h2', { class: 'panel-title', title: panel.description ? x(panel.description) : null, text: x(panel.title) }), h('span', { class: 'spacer' }), stats, menu),
      body, extra);
      let last = null; // {res, body} of the last run
      const item = (label, fn) => h('button', { type: 'button', class: 'menu-item', text: label, onclick: () => { menu.open = false; fn(); } });
      const runBody = () => ({ vars: Object.fromEntries(vars.map((v) => [v.name, v.values()])), ...range.resolve() });
      menu.appendChild(h('div', { class: 'menu-list' },
        item('Open in Explore', () => last && ctx.navigate(exploreURL({ template: panel.template.id, version: panel.template.version, range: { from: last.res.from, to: last.res.to }, params: paramsURL(last.res.params) }))),
        item('Share', () => last && showShareForm(extra, { template: panel.template.id, version: panel.template.version, title: `${x(d.title)}: ${x(panel.title)}`, params: last.res.params, from: last.res.from, to: last.res.to })),
        item('View SQL', () => last && replace(extra, sqlDisclosure(last.res.sql, true))),
        item('Inspect data', () => last && replace(extra, resultTable(last.res))),
        item('Download CSV', () => download(`/api/v1/dashboards/${encodeURIComponent(uid)}/panels/${i}/run` + query({ format: 'csv', tz: timeZone() }), { method: 'POST', body: runBody() })
          .catch((e) => replace(extra, errorBox('download: ' + e.message)))),
        ...(panel.links || []).map((l) => item(x(l.title) || 'Link', () => followLink({ ...l, url: l.url ? x(l.url) : l.url }, panel, last)))));

      async function run() {
        box.dataset.state = 'loading';
        box.classList.add('stale');
        let reqBody;
        try {
          reqBody = runBody();
        } catch (e) {
          replace(body, errorBox(e.message));
          box.dataset.state = 'error';
          return;
        }
        try {
          const res = await api(`/api/v1/dashboards/${encodeURIComponent(uid)}/panels/${i}/run`, { method: 'POST', body: reqBody, signal: runs.signal });
          last = { res };
          draw(res);
        } catch (e) {
          if (e.name === 'AbortError') return;
          replace(body, errorBox(e.message));
          box.dataset.state = 'error';
        } finally {
          box.classList.remove('stale');
        }
      }

      function draw(res) {
        const rows = res.rows || [];
        stats.textContent = statsText(res);
        const old = views.indexOf(box.view);
        if (old >= 0) views.splice(old, 1)[0].destroy();
        if (panel.expect === 'empty') {
          box.classList.toggle('expect-bad', rows.length > 0);
          if (rows.length === 0) {
            replace(body, h('div', { class: 'expect-ok', text: '✓ nothing to report' }));
            box.dataset.state = 'ok';
            return;
          }
          body.replaceChildren(h('div', { class: 'expect-count', text: `${int(rows.length)} found` }));
        } else {
          body.replaceChildren();
        }
        const viz = VIZ[(panel.visualization && panel.visualization.type) || 'table'] || 'table';
        const v = renderResult(res, viz, { from: res.from, to: res.to }, res.chart, { table: viz === 'table' });
        box.view = v;
        views.push(v);
        body.appendChild(v.node);
        box.dataset.state = 'done';
      }

      box.run = run;
      box.addEventListener('logmart:show', () => { if (box.dataset.state === 'loading' && !last) run(); });
      return box;
    }

    function runAll() {
      runs.abort();
      runs = new AbortController();
      el.querySelectorAll('.dash-panel').forEach((b) => {
        if (!b.closest('.dash-grid').hidden) b.run();
      });
    }
    runAll();
    el.dataset.state = 'done';
    const every = seconds(refresh.value);
    if (every > 0) timer = setInterval(runAll, every * 1000);
  })();

  return () => {
    ctrl.abort();
    runs.abort();
    clearInterval(timer);
    for (const v of views) v.destroy();
  };
}

// paramsURL writes run parameters as Explore's p.<name> URL params.
function paramsURL(params) {
  const out = {};
  for (const [k, v] of Object.entries(params || {})) out['p.' + k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

// followLink opens a panel link: another dashboard with the current
// variables and range, Explore, or a URL.
function followLink(l, panel, last) {
  if (l.url) {
    window.open(l.url, '_blank', 'noopener');
    return;
  }
  const here = new URLSearchParams(location.search);
  if (l.dashboard) {
    const keep = new URLSearchParams([...here].filter(([k]) => k.startsWith('var-') || ['range', 'from', 'to'].includes(k)));
    location.assign(`/d/${encodeURIComponent(l.dashboard)}?${keep}`);
    return;
  }
  if (l.explore && last) {
    location.assign(exploreURL({ template: panel.template.id, version: panel.template.version, range: { from: last.res.from, to: last.res.to }, params: paramsURL(last.res.params) }));
  }
}

// variableInputs builds one control per variable a viewer may change,
// with the URL's values or the defaults. Each is {name, el, values(),
// onChange(fn)}; constants have no control and keep their value.
async function variableInputs(d, p, signal) {
  const out = [];
  for (const v of d.Variables || d.variables || []) {
    if (v.kind === 'constant') continue;
    const fromURL = p.getAll('var-' + v.name);
    const def = Array.isArray(v.default) ? v.default : v.default !== undefined ? [String(v.default)] : [];
    const chosen = fromURL.length ? fromURL : def;
    const label = h('span', { class: 'var-label', text: v.label || v.name });
    if (v.kind === 'text') {
      const input = h('input', { type: 'text', name: 'var-' + v.name, 'aria-label': v.label || v.name, value: chosen[0] || '' });
      out.push({ name: v.name, el: h('label', { class: 'var' }, label, input), values: () => [input.value], onChange: (fn) => input.addEventListener('change', fn) });
      continue;
    }
    let options = v.values || [];
    if (v.kind === 'query' && v.template) {
      try {
        const info = await api('/api/v1/templates/' + encodeURIComponent(v.template.id) + query({ version: v.template.version }), { signal });
        const prm = ((info && info.params) || []).find((x) => x.name === v.param);
        options = (prm && prm.values) || [];
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        options = [];
      }
    }
    const sel = h('select', { name: 'var-' + v.name, 'aria-label': v.label || v.name, multiple: Boolean(v.multi) || null },
      v.include_all ? h('option', { value: ALL, text: 'All' }) : null,
      [...new Set([...options, ...chosen.filter((x) => x !== ALL)])].map((o) => h('option', { value: o, text: o })));
    for (const o of sel.options) o.selected = chosen.includes(o.value);
    out.push({
      name: v.name,
      el: h('label', { class: 'var' }, label, sel),
      values: () => [...sel.selectedOptions].map((o) => o.value),
      onChange: (fn) => sel.addEventListener('change', fn),
    });
  }
  return out;
}

async function exportYAML(uid) {
  await download('/api/v1/dashboards/' + encodeURIComponent(uid), { accept: 'application/yaml', filename: uid + '.yaml' })
    .catch((e) => window.alert('cannot export: ' + e.message));
}

// saveCopy saves the dashboard under a new uid through the API (editors),
// and opens the copy.
async function saveCopy(d, ctx) {
  const copy = { ...d, uid: (d.uid + '-copy-' + Date.now().toString(36)).slice(0, 40), title: 'Copy of ' + d.title };
  try {
    const e = await api('/api/v1/dashboards/' + encodeURIComponent(copy.uid), { method: 'PUT', body: copy });
    ctx.navigate('/d/' + encodeURIComponent((e && e.dashboard && e.dashboard.uid) || copy.uid));
  } catch (err) {
    window.alert('cannot save a copy: ' + err.message);
  }
}
