// Alerts (/alerts): what is alerting now, with the context to act (the
// pinned link to what the monitor saw, the dashboard, the playbook) and
// silence and acknowledge buttons; then the active silences, the
// deliveries of the notification outbox (where the demo's log channel
// shows notifications arriving), the noise report of the last week, and
// every monitor. The lists refresh every 15 s, except while a form is
// open in them.

import { api, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtClock, fmtTime, zoneLabel } from '../clock.js';
import { ago, int, num } from '../format.js';
import {
  conditionText, contextLinks, deliveriesTable, labelChips, monitorURL, silenceForm, silencesTable, stateBadge, valueText,
} from '../alerts.js';

const REFRESH_MS = 15000;

export function mount(el, ctx) {
  // Viewers may acknowledge; silences need the editor role.
  const canSilence = !ctx.me || ctx.me.role !== 'viewer';
  const alertsBox = h('div', { 'data-list': 'alerts' }, notice('Loading the alerts…'));
  const silencesBox = h('div', { 'data-list': 'silences' }, notice('loading…'));
  const deliveriesBox = h('div', { 'data-list': 'deliveries' }, notice('loading…'));
  const noiseBox = h('div', { 'data-list': 'noise' }, notice('loading…'));
  const monitorsBox = h('div', { 'data-list': 'monitors' }, notice('loading…'));
  const channel = h('select', { name: 'channel', 'aria-label': 'Deliveries of channel' }, h('option', { value: '', text: 'every channel' }));
  const deliveryState = h('select', { name: 'delivery-state', 'aria-label': 'Deliveries in state' },
    [['', 'any state'], ['pending', 'pending'], ['sent', 'sent'], ['failed', 'failed']].map(([v, t]) => h('option', { value: v, text: t })));
  const updated = h('span', { class: 'muted refresh-status', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', class: 'btn btn-small', text: 'Refresh', onclick: () => loadAll() });
  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'Alerts' }), h('span', { class: 'spacer' }), updated, refresh),
    card('Current alerts', alertsBox),
    card('Silences', silencesBox),
    card('Deliveries', deliveriesBox, h('span', { class: 'toolbar' }, channel, deliveryState)),
    card('Noise, last 7 days', noiseBox, h('span', { class: 'muted', text: 'monitors ranked by transitions; a flap resolves within 10 minutes of firing' })),
    card('Monitors', monitorsBox));

  const ctrl = new AbortController();
  // acked holds the groups acknowledged from this page, so a refresh keeps
  // saying so (the alerts list does not carry acknowledgements).
  const acked = new Set();
  const get = (path) => api(path, { signal: ctrl.signal });
  // busy: a form is open, so a refresh would throw away what is typed.
  const busy = (box) => Boolean(box.querySelector('form'));
  const failed = (box, what) => (e) => {
    if (e.name !== 'AbortError') replace(box, errorBox(`cannot ${what}: ${e.message}`));
  };

  function loadAlerts() {
    if (busy(alertsBox)) return Promise.resolve();
    return get('/api/v1/alerts').then((res) => {
      if (busy(alertsBox)) return;
      redraw(alertsBox, alertsTable((res && res.alerts) || []));
      alertsBox.dataset.loaded = 'true';
    }, failed(alertsBox, 'list the alerts'));
  }

  function loadSilences() {
    return get('/api/v1/silences').then((res) => {
      replace(silencesBox, silencesTable((res && res.silences) || [], () => { loadSilences(); loadAlerts(); }));
      silencesBox.dataset.loaded = 'true';
    }, failed(silencesBox, 'list the silences'));
  }

  function loadDeliveries() {
    return get('/api/v1/notifications' + query({ channel: channel.value, state: deliveryState.value, limit: 50 })).then((res) => {
      const list = (res && res.notifications) || [];
      // Keep the payloads someone opened open across a refresh.
      const open = new Set([...deliveriesBox.querySelectorAll('tr[data-delivery]')].filter((tr) => tr.querySelector('details[open]')).map((tr) => tr.dataset.delivery));
      redraw(deliveriesBox, deliveriesTable(list));
      for (const tr of deliveriesBox.querySelectorAll('tr[data-delivery]')) if (open.has(tr.dataset.delivery)) tr.querySelector('details').open = true;
      deliveriesBox.dataset.loaded = 'true';
    }, failed(deliveriesBox, 'list the deliveries'));
  }

  function loadNoise() {
    return get('/api/v1/alerts/noise' + query({ since: '7d', flap: '10m' })).then((res) => {
      replace(noiseBox, noiseTable((res && res.monitors) || []));
      noiseBox.dataset.loaded = 'true';
    }, failed(noiseBox, 'read the noise report'));
  }

  function loadMonitors() {
    return get('/api/v1/monitors').then((res) => {
      const list = (res && res.monitors) || [];
      replace(monitorsBox, monitorsTable(list));
      // The channel filter offers every channel a monitor notifies.
      const names = [...new Set(list.flatMap((m) => m.monitor.notify || []))].sort();
      const keep = channel.value;
      replace(channel, h('option', { value: '', text: 'every channel' }), names.map((n) => h('option', { value: n, text: n })));
      channel.value = names.includes(keep) ? keep : '';
      monitorsBox.dataset.loaded = 'true';
    }, failed(monitorsBox, 'list the monitors'));
  }

  function loadAll() {
    return Promise.all([loadAlerts(), loadSilences(), loadDeliveries(), loadNoise(), loadMonitors()]).then(() => {
      updated.textContent = `updated ${fmtClock()}`;
    });
  }

  // alertsTable: one row per alerting group, with its actions; a form
  // opens in a row below it.
  function alertsTable(list) {
    if (list.length === 0) return notice('Nothing is alerting. Monitors that fire, lose their data or fail show here.');
    const zone = zoneLabel();
    const rows = [];
    for (const a of list) {
      const key = a.monitor + '\u0000' + a.group;
      const extra = h('td', { colspan: '6', class: 'alert-extra' });
      const extraRow = h('tr', { class: 'alert-extra-row', hidden: true }, extra);
      const open = (fill) => {
        extraRow.hidden = false;
        fill(extra);
      };
      const silence = h('button', {
        type: 'button', class: 'btn btn-small', 'data-action': 'silence', text: 'Silence',
        title: canSilence ? 'Silence this monitor for this group: transitions are still recorded, not sent' : 'silencing needs the editor role',
        disabled: !canSilence,
        onclick: () => open((box) => silenceForm(box, { monitor: a.monitor, labels: a.labels }, () => { extraRow.hidden = true; loadSilences(); loadAlerts(); })),
      });
      const ack = h('button', {
        type: 'button', class: 'btn btn-small', 'data-action': 'ack', text: 'Acknowledge',
        title: 'Say that someone took it: the noise report counts alerts resolved without an acknowledgement',
        onclick: () => open((box) => ackForm(box, a, () => {
          acked.add(key);
          extraRow.hidden = true;
          ack.disabled = true;
          ack.textContent = 'Acknowledged';
        })),
      });
      if (acked.has(key)) {
        ack.disabled = true;
        ack.textContent = 'Acknowledged';
      }
      rows.push(h('tr', { class: 'alert-row', 'data-monitor': a.monitor, 'data-group': a.group, 'data-state': a.state },
        h('td', null, stateBadge(a.state), a.silenced ? h('div', { class: 'muted silenced', 'data-silenced': a.silenced, text: 'silenced' }) : null),
        h('td', { class: 'alert-monitor' },
          h('a', { href: monitorURL(a.monitor), 'data-nav': true, class: 'alert-title', text: a.title || a.monitor }),
          h('div', { class: 'muted' }, h('span', { class: 'mono', text: a.monitor }), a.severity ? [' · ', h('span', { class: 'sev sev-' + a.severity, text: a.severity })] : null)),
        h('td', { class: 'alert-group' }, labelChips(a.labels)),
        h('td', { class: 'num' }, h('span', { class: 'alert-value', text: a.state === 'no_data' ? 'no rows' : valueText(a.value) }),
          a.threshold && a.state !== 'no_data' ? h('div', { class: 'muted', text: 'vs ' + a.threshold }) : null,
          a.error ? h('div', { class: 'form-error wrap', text: a.error }) : null),
        h('td', { class: 'mono', title: zone }, h('span', { class: 'alert-since', text: fmtTime(a.since) }), h('div', { class: 'muted', text: ago(a.since) })),
        h('td', null, contextLinks(a), h('div', { class: 'alert-actions' }, silence, ack))));
      rows.push(extraRow);
    }
    return h('div', { class: 'table-wrap' }, h('table', { class: 'data alerts-table' },
      h('thead', null, h('tr', null, ['State', 'Monitor', 'Group', 'Value', `Since (${zone})`, 'Context and actions'].map((t) => h('th', { text: t })))),
      h('tbody', null, rows)));
  }

  channel.addEventListener('change', loadDeliveries);
  deliveryState.addEventListener('change', loadDeliveries);
  loadAll();
  const timer = setInterval(loadAll, REFRESH_MS);
  return () => {
    ctrl.abort();
    clearInterval(timer);
  };
}

// redraw puts node in box instead of what was there, keeping where its
// table was scrolled to, so a refresh does not jump.
function redraw(box, node) {
  const old = box.querySelector('.table-wrap');
  const [top, left] = old ? [old.scrollTop, old.scrollLeft] : [0, 0];
  replace(box, node);
  const wrap = box.querySelector('.table-wrap');
  if (wrap) {
    wrap.scrollTop = top;
    wrap.scrollLeft = left;
  }
}

// ackForm asks for an optional comment and records the acknowledgement.
function ackForm(box, a, done) {
  const comment = h('input', { type: 'text', name: 'ack-comment', 'aria-label': 'Acknowledgement comment', placeholder: 'Comment (optional): who is on it, what next', maxlength: '1000', class: 'grow' });
  const msg = h('span', { class: 'save-msg', role: 'status' });
  const form = h('form', { class: 'toolbar', 'data-form': 'ack' },
    h('span', { class: 'muted', text: 'Acknowledge' }), comment,
    h('button', { type: 'submit', class: 'btn btn-small btn-primary', text: 'Acknowledge' }),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Cancel', onclick: () => replace(box) }), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/api/v1/alerts/ack', { method: 'POST', body: { monitor: a.monitor, group: a.group, comment: comment.value } });
      replace(box);
      done();
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('form-error');
    }
  });
  replace(box, form);
  comment.focus();
}

function simpleTable(heads, rows, name) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-table': name },
    h('thead', null, h('tr', null, heads.map((t) => h('th', { class: t.num ? 'num' : null, title: t.title || null, text: t.label || t })))),
    h('tbody', null, rows)));
}

// duration writes seconds as "3h 12m", "4m 05s".
function duration(secs) {
  const s = Math.round(Number(secs) || 0);
  if (s < 60) return s + 's';
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function noiseTable(list) {
  if (list.length === 0) return notice('No monitor changed state in the last 7 days.');
  const n = (label, title) => ({ label, title, num: true });
  return simpleTable(['Monitor', n('Transitions', 'every change of state'), n('Fired', 'into firing, no data or error'),
    n('Flaps', 'resolved within 10 minutes of firing'), n('Time alerting', 'summed over its groups; one still firing counts up to now'),
    n('Resolved'), n('Unacknowledged', 'share of resolved alerts nobody acknowledged')], list.map((m) =>
    h('tr', { 'data-monitor': m.monitor },
      h('td', null, h('a', { href: monitorURL(m.monitor), 'data-nav': true, class: 'mono', text: m.monitor })),
      h('td', { class: 'num', text: int(m.transitions) }),
      h('td', { class: 'num', text: int(m.fired) }),
      h('td', { class: 'num' + (m.flaps > 0 ? ' warn-text' : ''), text: int(m.flaps) }),
      h('td', { class: 'num', text: duration(m.firing_seconds) }),
      h('td', { class: 'num', text: int(m.resolved) }),
      h('td', { class: 'num', text: m.resolved ? num(m.unacknowledged * 100) + '%' : '–' }))), 'noise');
}

function monitorsTable(list) {
  if (list.length === 0) return notice('No monitors yet: add YAML files under configs/monitors/.');
  return simpleTable(['Monitor', 'Severity', 'Owner', 'Query', 'Every / range', 'Condition', 'Notifies', 'Source'],
    [...list].sort((a, b) => a.monitor.id.localeCompare(b.monitor.id)).map((e) => {
      const m = e.monitor;
      return h('tr', { 'data-monitor': m.id },
        h('td', null, h('a', { href: monitorURL(m.id), 'data-nav': true, text: m.title || m.id }), h('div', { class: 'muted mono', text: m.id })),
        h('td', null, h('span', { class: 'sev sev-' + m.severity, text: m.severity })),
        h('td', { text: m.owner || '' }),
        h('td', { class: 'mono', text: `${m.template.id} v${m.template.version}` }),
        h('td', { class: 'mono', text: `${m.every} / ${m.range}` }),
        h('td', { class: 'mono', text: conditionText(m.condition) }),
        h('td', { class: 'mono', text: (m.notify || []).join(', ') }),
        h('td', { class: 'muted', title: e.source === 'file' ? `provisioned from ${e.file || 'a file'}` : 'saved through the API', text: e.source }));
    }), 'monitors');
}
