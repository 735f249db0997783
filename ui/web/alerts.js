// What the Alerts page and a monitor's page share: state badges, group
// labels, the links every alert carries, the deliveries and transitions
// tables, and the silence form. The server owns states, thresholds and
// silences; these only show them and send what the user typed.

import { api } from './api.js';
import { h, replace, notice } from './dom.js';
import { fmtTime, zoneLabel } from './clock.js';
import { num } from './format.js';

/** ALERTING are the states a monitor group is alerting in: the chart
 * shades them, the noise report counts them as fired. */
export const ALERTING = ['firing', 'no_data', 'error'];

const STATE_TEXT = { ok: 'ok', pending: 'pending', firing: 'firing', resolved: 'resolved', no_data: 'no data', error: 'error' };

/** stateBadge is a state in its colour (firing red, pending amber, no
 * data violet, resolved green). */
export function stateBadge(state) {
  const s = String(state || '');
  return h('span', { class: 'state state-' + s.replace(/[^a-z_]/g, ''), 'data-state': s, text: STATE_TEXT[s] || s });
}

/** monitorURL is the in-app URL of a monitor's page. */
export function monitorURL(id) {
  return '/alerts/monitor/' + encodeURIComponent(id);
}

/** localPath turns an absolute link the server built with its base_url
 * (how on-call reaches it) into a path on the origin this UI is served
 * from, so the link opens here whatever base_url says. */
export function localPath(url) {
  if (!url) return '';
  try {
    const u = new URL(url, location.origin);
    return u.pathname + u.search + u.hash;
  } catch {
    return '';
  }
}

/** labelChips shows a group's labels as k=v chips; an empty group (a
 * monitor without group_by) as "all". */
export function labelChips(labels) {
  const entries = Object.entries(labels || {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('span', { class: 'muted', text: 'all' });
  return h('span', { class: 'labels' }, entries.map(([k, v]) =>
    h('span', { class: 'label', 'data-label': k }, h('span', { class: 'chip-k', text: k + '=' }), h('span', { class: 'chip-v', text: v }))));
}

/** contextLinks are the links an alert or transition carries: the shared
 * link pinned to what the monitor saw, the dashboard over that window,
 * and the playbook. */
export function contextLinks({ link, dashboard_url: dash, playbook }) {
  return h('span', { class: 'alert-links' },
    link ? h('a', { href: localPath(link), 'data-nav': true, 'data-link': 'pinned', title: 'the shared link pinned to the window this evaluation read', text: 'What it saw' }) : null,
    dash ? h('a', { href: localPath(dash), 'data-nav': true, 'data-link': 'dashboard', text: 'Dashboard' }) : null,
    playbook ? h('a', { href: playbook, target: '_blank', rel: 'noopener', 'data-link': 'playbook', text: 'Playbook' }) : null);
}

/** valueText writes a measured value; NaN and empty as a dash. */
export function valueText(v) {
  return v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? '–' : num(Number(v));
}

/** conditionText says what a monitor's condition alerts on. */
export function conditionText(c) {
  if (!c) return '';
  if (c.no_data) return 'no rows returned';
  if (c.expect) return `expects ${c.expect}: any row alerts`;
  const reduce = c.reduce || 'max';
  if (c.change) {
    const ch = c.change;
    const dir = ch.above_pct != null ? `up more than ${ch.above_pct}%` : `down more than ${ch.below_pct}%`;
    return `${reduce}(${c.column}) ${dir} against ${ch.against} earlier`;
  }
  if (c.above != null) return `${reduce}(${c.column}) > ${c.above}`;
  if (c.below != null) return `${reduce}(${c.column}) < ${c.below}`;
  return c.column || '';
}

export function table(heads, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', ...attrs },
    h('thead', null, h('tr', null, heads.map((t) => h('th', { text: t })))), h('tbody', null, rows)));
}

/** deliveriesTable lists deliveries (the outbox), newest first: channel,
 * what was sent, its state and attempts, the receiver's HTTP status, and
 * the event's summary with its whole payload behind a disclosure. */
export function deliveriesTable(list) {
  if (list.length === 0) return notice('Nothing delivered yet: deliveries appear here when a monitor changes state.');
  return table(['Channel', 'Action', 'State', 'Attempts', 'HTTP', `Created (${zoneLabel()})`, 'Event'], list.map((n) => {
    const ev = n.event || {};
    const problem = n.error || (n.state === 'pending' && n.attempts > 0 ? `retrying at ${fmtTime(n.next_attempt)}` : '');
    return h('tr', { 'data-delivery': n.id, 'data-channel': n.channel, 'data-state': n.state },
      h('td', { class: 'mono', text: n.channel }),
      h('td', null, h('span', { class: 'action action-' + String(n.action || '').replace(/[^a-z]/g, ''), text: n.action }), ev.state ? [' ', stateBadge(ev.state)] : null),
      h('td', null, h('span', { class: 'delivery delivery-' + String(n.state || '').replace(/[^a-z]/g, ''), text: n.state }), problem ? h('div', { class: 'form-error', text: problem }) : null),
      h('td', { class: 'num', text: String(n.attempts ?? 0) }),
      h('td', { class: 'num mono', text: n.status ? String(n.status) : '–' }),
      h('td', { class: 'mono', text: fmtTime(n.created_at) }),
      h('td', { class: 'event-cell' },
        h('div', { class: 'event-summary', text: ev.summary || ev.title || n.key }),
        h('details', { class: 'payload' }, h('summary', { text: 'payload' }),
          h('pre', { class: 'mono payload-json', text: JSON.stringify(ev, null, 2) }),
          n.answer ? h('div', { class: 'muted' }, 'receiver answered: ', h('span', { class: 'mono', text: n.answer })) : null)));
  }), { 'data-table': 'deliveries' });
}

/** transitionsTable lists transitions newest first, each with the links
 * it carried. */
export function transitionsTable(list) {
  if (list.length === 0) return notice('No transitions in this window.');
  return table([`At (${zoneLabel()})`, 'Group', 'From', 'To', 'Value', 'Context'], [...list].reverse().map((t) =>
    h('tr', { 'data-transition': t.id, 'data-to': t.to },
      h('td', { class: 'mono', text: fmtTime(t.at) }),
      h('td', null, labelChips(t.labels)),
      h('td', null, stateBadge(t.from)),
      h('td', null, stateBadge(t.to), t.silenced ? h('span', { class: 'muted', title: 'silenced: recorded, not sent', text: ' silenced' }) : null),
      h('td', { class: 'num', text: valueText(t.value) }),
      h('td', null, contextLinks(t), t.error ? h('div', { class: 'form-error', text: t.error }) : null))), { 'data-table': 'transitions' });
}

/**
 * silenceForm opens in box a form that silences monitor for the group's
 * labels (matchers) for a while, with a comment; done(silence) runs once
 * the server stored it.
 */
export function silenceForm(box, { monitor, labels }, done) {
  const duration = h('select', { name: 'silence-duration', 'aria-label': 'Silence for' },
    ['30m', '1h', '2h', '4h', '8h', '24h'].map((d) => h('option', { value: d, text: 'for ' + d })));
  duration.value = '2h';
  const comment = h('input', { type: 'text', name: 'silence-comment', 'aria-label': 'Why silence it', placeholder: 'Why? (shown with the silence)', maxlength: '1000', class: 'grow' });
  const msg = h('span', { class: 'save-msg', role: 'status' });
  const what = Object.keys(labels || {}).length ? [' where ', labelChips(labels)] : ' for every group';
  const form = h('form', { class: 'toolbar silence-form', 'data-form': 'silence' },
    h('span', { class: 'muted' }, 'Silence ', h('span', { class: 'mono', text: monitor }), what),
    duration, comment,
    h('button', { type: 'submit', class: 'btn btn-small btn-primary', text: 'Silence' }),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Cancel', onclick: () => replace(box) }), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    msg.classList.remove('form-error');
    try {
      const s = await api('/api/v1/silences', { method: 'POST', body: { monitor, matchers: labels || {}, duration: duration.value, comment: comment.value } });
      replace(box);
      done(s);
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('form-error');
    }
  });
  replace(box, form);
  comment.focus();
}

/** silencesTable lists silences with an End button each; ended(id) runs
 * once the server ended one. */
export function silencesTable(list, ended) {
  if (list.length === 0) return notice('No active silences.');
  const zone = zoneLabel();
  return table(['Monitor', 'Matchers', `Starts (${zone})`, `Ends (${zone})`, 'Comment', 'By', ''], list.map((s) => {
    const msg = h('span', { class: 'form-error' });
    const btn = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-action': 'end-silence', 'aria-label': 'End silence ' + s.id, text: 'End' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api('/api/v1/silences/' + encodeURIComponent(s.id), { method: 'DELETE' });
        ended(s.id);
      } catch (e) {
        msg.textContent = e.message;
        btn.disabled = false;
      }
    });
    return h('tr', { 'data-silence': s.id, 'data-monitor': s.monitor },
      h('td', null, s.monitor ? h('a', { href: monitorURL(s.monitor), 'data-nav': true, class: 'mono', text: s.monitor }) : h('span', { class: 'muted', text: 'every monitor' })),
      h('td', null, labelChips(s.matchers)),
      h('td', { class: 'mono', text: fmtTime(s.starts_at) }),
      h('td', { class: 'mono', text: fmtTime(s.ends_at) }),
      h('td', { class: 'wrap', text: s.comment || '' }),
      h('td', { text: s.created_by || '' }),
      h('td', null, btn, msg));
  }), { 'data-table': 'silences' });
}
