// logmart UI shell: left nav, header (health, role), history-API routing, and
// the token prompt. Pages live in pages/*.js and export
//   mount(el, ctx) -> optional cleanup function
// where ctx = {params: URLSearchParams, me, navigate(url, {replace})}.

import { api, ApiError, getToken, query, setToken, setTokenPrompt, signIn, tokenRemembered } from './api.js';
import { h, replace, errorBox } from './dom.js';
import { browserZone, offsetLabel, setZone, zoneSetting } from './clock.js';
import { installKeys } from './keys.js';

// Routes in nav order. New pages (Dashboards, Budgets, …) are one entry
// each. roles limits who sees the entry and the page; redirect(params) names
// the URL that replaces an old route.
const ROUTES = [
  { path: '/', title: 'Overview', icon: '◧', load: () => import('./pages/overview.js') },
  { path: '/logs', title: 'Logs', icon: '☰', load: () => import('./pages/logs.js') },
  { path: '/explore', title: 'Explore', icon: '◇', load: () => import('./pages/explore.js') },
  { path: '/dashboards', title: 'Dashboards', icon: '▦', load: () => import('./pages/dashboards.js') },
  { path: '/d', prefix: true, nav: false, title: 'Dashboard', load: () => import('./pages/dashboard.js') },
  { path: '/alerts', title: 'Alerts', icon: '⚑', load: () => import('./pages/alerts.js') },
  { path: '/alerts/monitor', prefix: true, nav: false, title: 'Monitor', load: () => import('./pages/monitor.js') },
  { path: '/budgets', title: 'Budgets', icon: '◔', load: () => import('./pages/budgets.js') },
  { path: '/saved', title: 'Saved', icon: '☆', load: () => import('./pages/saved.js') },
  { path: '/archive', title: 'Archive', icon: '▤', load: () => import('./pages/archive.js') },
  { path: '/s', prefix: true, nav: false, title: 'Shared link', load: () => import('./pages/link.js') },
  // The SQL page became Explore's ad-hoc SQL tab; old links and bookmarks
  // (with their ?sql=) land there.
  { path: '/sql', nav: false, redirect: (params) => '/explore' + query({ mode: 'sql', sql: params.get('sql') }) },
];

const state = {
  me: null, // {name, role} once /api/v1/me answered
  cleanup: null,
  renderSeq: 0,
};

function matchRoute(pathname) {
  const p = pathname.replace(/\/+$/, '') || '/';
  return ROUTES.find((r) => r.path === p || (r.prefix && p.startsWith(r.path + '/'))) || null;
}

function allowed(route) {
  if (!route.roles) return true;
  // Until /me answers, show the page; the API refuses what the role may not do.
  return !state.me || route.roles.includes(state.me.role);
}

/** navigate goes to an in-app URL without reloading. */
export function navigate(url, { replace: rep = false } = {}) {
  const target = new URL(url, location.href);
  if (target.origin !== location.origin) {
    location.href = target.href;
    return;
  }
  const same = target.pathname + target.search === location.pathname + location.search;
  if (rep || same) history.replaceState(null, '', target.pathname + target.search);
  else history.pushState(null, '', target.pathname + target.search);
  render();
}

function renderNav() {
  const nav = document.getElementById('nav');
  const current = matchRoute(location.pathname);
  replace(nav,
    h('ul', null, ROUTES.filter((r) => r.nav !== false && allowed(r)).map((r) =>
      h('li', null, h('a', {
        href: r.path,
        'data-nav': true,
        class: r === current ? 'active' : null,
        'aria-current': r === current ? 'page' : null,
      }, h('span', { class: 'nav-icon', 'aria-hidden': 'true', text: r.icon }), h('span', { text: r.title }))))));
}

async function render() {
  const seq = ++state.renderSeq;
  const main = document.getElementById('main');
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch (e) {
      console.error(e);
    }
    state.cleanup = null;
  }
  let route = matchRoute(location.pathname);
  if (route && route.redirect) {
    history.replaceState(null, '', route.redirect(new URLSearchParams(location.search)));
    route = matchRoute(location.pathname);
  }
  renderNav();
  const title = document.getElementById('page-title');
  if (!route) {
    title.textContent = 'Not found';
    document.title = 'Not found · logmart';
    replace(main, h('div', { class: 'page' },
      h('h1', { text: 'Page not found' }),
      h('p', { class: 'muted' }, 'Nothing lives at ', h('code', { text: location.pathname }), '. ',
        h('a', { href: '/', 'data-nav': true, text: 'Go to the overview' }), '.')));
    return;
  }
  title.textContent = route.title;
  document.title = route.title + ' · logmart';
  if (!allowed(route)) {
    replace(main, h('div', { class: 'page' }, h('h1', { text: route.title }),
      errorBox(`the ${route.title} page needs the ${route.roles.join(' or ')} role; you are signed in as ${state.me.role}`)));
    return;
  }
  const el = h('div', { class: 'page', 'data-page': route.title.toLowerCase() });
  replace(main, el);
  let mod;
  try {
    mod = await route.load();
  } catch (e) {
    if (seq === state.renderSeq) replace(el, errorBox('cannot load this page: ' + e.message));
    return;
  }
  if (seq !== state.renderSeq) return;
  const cleanup = mod.mount(el, {
    params: new URLSearchParams(location.search),
    me: state.me,
    navigate,
  });
  state.cleanup = typeof cleanup === 'function' ? cleanup : null;
}

// Links marked data-nav (and any plain same-origin link inside main or nav
// that is not opening a new tab) route in-app.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  if (!a.hasAttribute('data-nav')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());

// ---- header: health and identity ----

async function refreshHealth() {
  const el = document.getElementById('health');
  const text = el.querySelector('.health-text');
  let st = 'down';
  let label = 'unreachable';
  let detail = '';
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const body = (await res.text()).trim();
    detail = body.slice(0, 300);
    let checks = null;
    try {
      const j = JSON.parse(body);
      if (j && Array.isArray(j.checks)) checks = j.checks;
    } catch {
      // plain text body
    }
    if (checks) {
      detail = checks.map((c) => `${c.name}: ${c.ok ? 'ok' : c.error || 'failing'}`).join('\n') || 'no checks';
    }
    if (res.ok) {
      st = 'ok';
      label = 'ready';
    } else {
      st = 'bad';
      const failing = checks ? checks.filter((c) => !c.ok).map((c) => c.name) : [];
      label = failing.length ? 'not ready: ' + failing.join(', ') : 'not ready';
    }
  } catch (e) {
    detail = String(e.message || e);
  }
  el.dataset.state = st;
  text.textContent = label;
  el.title = 'GET /readyz\n' + (detail || label);
}

async function refreshMe() {
  const who = document.getElementById('whoami');
  try {
    const me = await api('/api/v1/me');
    state.me = me && me.role ? { name: String(me.name || ''), role: String(me.role) } : null;
  } catch (e) {
    state.me = null;
    if (e instanceof ApiError && e.status === 401) {
      replace(who, h('button', {
        type: 'button', class: 'btn btn-ghost', id: 'signin', title: e.message, text: 'Enter token',
        onclick: async () => {
          if (await signIn()) location.reload();
        },
      }));
    } else {
      replace(who, h('span', { class: 'role role-unknown', title: e.message, text: 'unknown user' }));
    }
    return;
  }
  if (state.me) {
    replace(who,
      h('span', { class: 'who-name', text: state.me.name || 'anonymous' }),
      h('span', { class: 'role role-' + state.me.role.replace(/[^a-z]/g, ''), text: state.me.role }));
  } else {
    replace(who);
  }
  showSignout();
}

// ---- time zone ----

// The header's zone setting: every page is drawn again in the new zone.
function setupZone() {
  const sel = document.getElementById('timezone');
  const bz = browserZone();
  replace(sel,
    h('option', { value: 'utc', text: 'UTC' }),
    h('option', { value: 'browser', text: bz === 'UTC' || bz === 'Etc/UTC' ? 'Browser (UTC)' : `Browser: ${bz}` }));
  sel.value = zoneSetting();
  sel.title = zoneSetting() === 'utc' ? 'UTC' : `${bz}, ${offsetLabel()} now`;
  sel.addEventListener('change', () => setZone(sel.value));
  window.addEventListener('logmart:timezone', () => {
    sel.value = zoneSetting();
    sel.title = zoneSetting() === 'utc' ? 'UTC' : `${bz}, ${offsetLabel()} now`;
    render();
  });
}

// ---- token prompt ----

function promptToken(reason) {
  const dlg = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const err = document.getElementById('token-error');
  const cancel = document.getElementById('token-cancel');
  const remember = document.getElementById('token-remember');
  document.getElementById('token-reason').textContent =
    'This logmart instance requires a bearer token for the API. Paste the token you were given.';
  err.textContent = reason || '';
  err.hidden = !reason;
  input.value = '';
  // Each prompt starts from the default: kept for this tab only.
  remember.checked = false;
  return new Promise((resolve) => {
    const done = (answer) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dlg.removeEventListener('cancel', onCancel);
      if (dlg.open) dlg.close();
      resolve(answer);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) {
        err.textContent = 'token: paste a token to continue';
        err.hidden = false;
        return;
      }
      done({ token: t, remember: remember.checked });
    };
    const onCancel = (ev) => {
      ev.preventDefault();
      done(null);
    };
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dlg.addEventListener('cancel', onCancel);
    if (!dlg.open) dlg.showModal();
    input.focus();
  });
}

setTokenPrompt(promptToken);

document.getElementById('signout').addEventListener('click', () => {
  setToken('');
  location.reload();
});

// showSignout shows "Forget token" while a token is saved, saying where.
function showSignout() {
  const btn = document.getElementById('signout');
  btn.hidden = !getToken();
  btn.title = tokenRemembered()
    ? 'The token is remembered on this device; forget it here and in every tab'
    : 'The token is kept for this tab until it closes; forget it now';
}

window.addEventListener('logmart:token', showSignout);

// ---- start ----

async function start() {
  setupZone();
  installKeys(document.getElementById('main'));
  refreshHealth();
  setInterval(refreshHealth, 10000);
  // Identity first, so role-gated entries are right on first paint; pages
  // that need a token will share the same prompt anyway.
  await refreshMe();
  render();
}

start();
