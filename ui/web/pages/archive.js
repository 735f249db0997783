// Archive: what the raw-record archive holds, per stream and day of the
// records' own time (GET /api/v1/archive/days, as `logmart archive ls`),
// and rehydration: store a stream's archived records of a range again
// (POST /api/v1/archive/rehydrate), with the job's progress, a cancel and
// its final count. The listing's filters and the job followed live in the
// URL (?stream=…&from=…&to=…&job=…), so a reload follows the same job.
// The server types and checks every value; this page sends text.

import { api, query } from '../api.js';
import { h, replace, errorBox, notice, card } from '../dom.js';
import { fmtTime, zoneLabel } from '../clock.js';
import { bytes, int } from '../format.js';

// pollMs is how often a running job's progress is asked for.
const pollMs = 500;

export function mount(el, ctx) {
  const p = ctx.params;
  const canRehydrate = !ctx.me || ctx.me.role === 'editor' || ctx.me.role === 'admin';
  const field = (name, label, value, placeholder) => {
    const input = h('input', { type: 'text', name, value: value || '', placeholder, 'aria-label': label });
    return { input, el: h('label', { class: 'field' }, h('span', { class: 'field-label' }, h('span', { class: 'field-name', text: label })), input) };
  };

  // The listing.
  const ls = { stream: field('stream', 'Stream', p.get('stream'), 'all'), from: field('from', 'From', p.get('from'), '2025-03-01 or now-30d'), to: field('to', 'To', p.get('to'), 'now') };
  const lsForm = h('form', { class: 'toolbar', 'data-form': 'days' }, ls.stream.el, ls.from.el, ls.to.el,
    h('button', { type: 'submit', class: 'btn btn-primary', text: 'List' }));
  const days = h('div', { class: 'archive-days', 'data-list': 'days' }, notice('loading…'));

  // The rehydration form and the job followed.
  const rh = {
    stream: field('stream', 'Stream', p.get('stream'), 'default'),
    from: field('from', 'From', p.get('from'), '2025-03-01T00:00:00Z'),
    to: field('to', 'To', p.get('to'), 'now'),
    filter: field('filter', 'Filter', '', 'level == "error"'),
    max: field('max_records', 'Max records', '', 'no limit'),
  };
  const rhError = h('div', { class: 'field-error', role: 'alert' });
  const start = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Rehydrate', disabled: !canRehydrate });
  const rhForm = h('form', { class: 'toolbar', 'data-form': 'rehydrate' }, rh.stream.el, rh.from.el, rh.to.el, rh.filter.el, rh.max.el, start);
  const jobBox = h('div', { 'data-job': '' });
  replace(el, h('div', { class: 'page-head' }, h('h1', { text: 'Archive' })),
    card('Archived days', h('div', null, lsForm, days)),
    card('Rehydrate', h('div', null,
      canRehydrate ? null : notice('Rehydration needs the editor role.'),
      rhForm, rhError, jobBox)));

  let jobID = p.get('job') || '';
  const sync = () => history.replaceState(null, '', '/archive' + query({
    stream: ls.stream.input.value.trim(), from: ls.from.input.value.trim(), to: ls.to.input.value.trim(), job: jobID,
  }));

  const ctrl = new AbortController();
  function list() {
    days.dataset.loaded = 'false';
    api('/api/v1/archive/days' + query({ stream: ls.stream.input.value.trim(), from: ls.from.input.value.trim(), to: ls.to.input.value.trim() }), { signal: ctrl.signal }).then((res) => {
      days.dataset.loaded = 'true';
      const list = (res && res.days) || [];
      if (list.length === 0) {
        replace(days, notice('Nothing archived in this range.'));
        return;
      }
      const tot = list.reduce((a, d) => ({ objects: a.objects + d.objects, records: a.records + d.records, bytes: a.bytes + d.bytes }), { objects: 0, records: 0, bytes: 0 });
      replace(days, h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('thead', null, h('tr', null, ['Stream', 'Day (UTC)', 'Objects', 'Records', 'Bytes', `Oldest (${zoneLabel()})`, `Newest (${zoneLabel()})`, ''].map((t) => h('th', { text: t })))),
        h('tbody', null, list.map((d) => h('tr', { 'data-stream': d.stream, 'data-day': d.day },
          h('td', { text: d.stream }), h('td', { class: 'mono', text: d.day }),
          h('td', { class: 'num', text: int(d.objects) }), h('td', { class: 'num', 'data-records': d.records, text: int(d.records) }),
          h('td', { class: 'num', text: bytes(d.bytes) }),
          h('td', { class: 'mono', text: fmtTime(d.oldest) }), h('td', { class: 'mono', text: fmtTime(d.newest) }),
          h('td', null, canRehydrate ? h('button', {
            type: 'button', class: 'btn btn-small', 'data-action': 'pick', text: 'Rehydrate…',
            title: 'fill the rehydration form with this stream and day',
            onclick: () => {
              rh.stream.input.value = d.stream;
              rh.from.input.value = d.day + 'T00:00:00Z';
              const next = new Date(Date.parse(d.day + 'T00:00:00Z') + 86400000);
              rh.to.input.value = next.toISOString().slice(0, 10) + 'T00:00:00Z';
              rh.stream.input.focus();
            },
          }) : null)))),
        h('tfoot', null, h('tr', null, h('td', { text: list.length === 1 ? '1 day' : `${list.length} days` }), h('td'),
          h('td', { class: 'num', text: int(tot.objects) }), h('td', { class: 'num', text: int(tot.records) }),
          h('td', { class: 'num', text: bytes(tot.bytes) }), h('td'), h('td'), h('td'))))));
    }, (e) => {
      if (e.name === 'AbortError') return;
      days.dataset.loaded = 'true';
      replace(days, errorBox(e.message));
    });
  }

  let timer = null;
  function follow(id) {
    clearTimeout(timer);
    jobID = id;
    sync();
    if (!id) {
      replace(jobBox);
      return;
    }
    api('/api/v1/archive/rehydrate/' + encodeURIComponent(id), { signal: ctrl.signal }).then((job) => {
      drawJob(job);
      if (job.state === 'running') timer = setTimeout(() => follow(id), pollMs);
    }, (e) => {
      if (e.name !== 'AbortError') replace(jobBox, errorBox(`job ${id}: ${e.message}`));
    });
  }

  function drawJob(job) {
    const g = job.progress || {};
    const running = job.state === 'running';
    const cancel = h('button', {
      type: 'button', class: 'btn btn-small btn-danger', 'data-action': 'cancel', text: 'Cancel', disabled: !running || !canRehydrate,
      onclick: () => {
        cancel.disabled = true;
        clearTimeout(timer);
        api('/api/v1/archive/rehydrate/' + encodeURIComponent(g.job), { method: 'DELETE', signal: ctrl.signal }).then((after) => {
          drawJob(after);
          // The job stops between objects: follow it until it has.
          if (after.state === 'running') timer = setTimeout(() => follow(g.job), pollMs);
        }, (e) => { if (e.name !== 'AbortError') replace(jobBox, errorBox(e.message)); });
      },
    });
    const r = job.request || {};
    const final = {
      done: `Done: ${int(g.records)} records rehydrated, ${int(g.rows_stored)} rows newly stored (${int(g.already_stored)} were stored already)` + (g.truncated ? '; stopped at max records' : ''),
      cancelled: `Cancelled after ${int(g.objects_done)} of ${int(g.objects)} objects: ${int(g.rows_stored)} rows stored so far; run it again to finish (nothing doubles)`,
      failed: `Failed: ${job.error || 'unknown error'}`,
    }[job.state];
    replace(jobBox, h('div', { class: 'rehydrate-job', 'data-state': job.state, 'data-job-id': g.job },
      h('div', { class: 'toolbar' },
        h('span', { class: 'mono', text: g.job }),
        h('span', { text: `${r.stream} · ${fmtTime(r.from)} → ${fmtTime(r.to)}` + (r.filter ? ` · ${r.filter}` : '') }),
        h('span', { class: 'muted', 'data-job-state': true, text: job.state }),
        h('span', { class: 'spacer' }), cancel),
      h('progress', { max: String(Math.max(g.objects || 0, 1)), value: String(g.objects ? g.objects_done : (running ? 0 : 1)), 'aria-label': 'objects read' }),
      h('div', { class: 'muted', 'data-figures': true,
        text: `${int(g.objects_done)} of ${int(g.objects)} objects · ${int(g.records)} records · ${int(g.rows_stored)} rows stored · ${int(g.already_stored)} already stored · ${int(g.filtered)} filtered out · ${int(g.undecodable)} undecodable` }),
      final ? h('p', { class: job.state === 'failed' ? 'error-text' : null, 'data-final': true, text: final }) : null));
  }

  lsForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sync();
    list();
  });
  rhForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    rhError.textContent = '';
    const body = { stream: rh.stream.input.value.trim(), from: rh.from.input.value.trim(), to: rh.to.input.value.trim(), filter: rh.filter.input.value.trim() };
    const max = rh.max.input.value.trim();
    if (max !== '') {
      // The server checks the number; text that is not one is sent as
      // text and refused there, naming the field.
      body.max_records = /^[0-9]+$/.test(max) ? Number(max) : max;
    }
    start.disabled = true;
    api('/api/v1/archive/rehydrate', { method: 'POST', body, signal: ctrl.signal }).then((job) => {
      start.disabled = false;
      follow(job.progress.job);
    }, (e) => {
      start.disabled = false;
      if (e.name !== 'AbortError') rhError.textContent = e.message;
    });
  });

  list();
  if (jobID) follow(jobID);
  return () => {
    clearTimeout(timer);
    ctrl.abort();
  };
}
