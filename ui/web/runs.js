// Long runs: a statement the page starts under an id of its own
// (X-Logmart-Statement), so that while it runs the page can show what the
// engine reports (elapsed time, rows and bytes read) and stop it in the
// engine with Cancel, not just stop waiting for it.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { bytes, int, ms } from './format.js';

// SHOW_AFTER_MS is how long a run goes before its progress shows.
const SHOW_AFTER_MS = 600;
const POLL_MS = 500;

function newID() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return 'ui-' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * startRun begins tracking one run inside box (replacing its content while
 * the run lasts). Returns {statement, signal, cancel(), finish(), abort()}:
 * send statement and signal with the request; call finish() when it
 * settles, abort() when a newer run replaces it (the server then stops the
 * statement, as for any request that hangs up).
 * Cancel (the button, or cancel()) kills the statement in the engine and
 * aborts the request; onCancel() is then called.
 */
export function startRun(box, { onCancel } = {}) {
  const statement = newID();
  const ctrl = new AbortController();
  const started = Date.now();
  let timer = null;
  let polling = null;
  let over = false;
  const text = h('span', { class: 'run-text', text: 'running…' });
  const bar = h('progress', { class: 'run-bar', max: '1', hidden: true });
  const btn = h('button', { type: 'button', class: 'btn btn-small run-cancel', text: 'Cancel' });
  const el = h('span', { class: 'run-progress', role: 'status', 'data-statement': statement }, text, bar, btn);

  async function poll() {
    if (over) return;
    try {
      const p = await api('/api/v1/statements/' + statement);
      if (over) return;
      const elapsed = p && p.running ? p.elapsed_ms : Date.now() - started;
      const parts = [`running ${ms(elapsed)}`];
      if (p && p.running) {
        parts.push(`read ${int(p.rows_read)} rows`, bytes(p.bytes_read));
        if (p.total_rows_approx > 0) {
          bar.hidden = false;
          bar.value = Math.min(1, p.rows_read / p.total_rows_approx);
        }
      }
      text.textContent = parts.join(' · ');
    } catch {
      // Progress is a courtesy: the run itself reports its own errors.
    }
    if (!over) polling = setTimeout(poll, POLL_MS);
  }

  function finish() {
    over = true;
    clearTimeout(timer);
    clearTimeout(polling);
    el.remove();
  }

  async function cancel() {
    if (over) return;
    btn.disabled = true;
    text.textContent = 'cancelling…';
    try {
      await api('/api/v1/statements/' + statement, { method: 'DELETE' });
    } catch {
      // Aborting the request below also stops the statement server-side.
    }
    ctrl.abort();
    finish();
    if (onCancel) onCancel();
  }
  btn.addEventListener('click', cancel);

  timer = setTimeout(() => {
    if (over) return;
    replace(box, el);
    poll();
  }, SHOW_AFTER_MS);
  const abort = () => {
    ctrl.abort();
    finish();
  };
  return { statement, signal: ctrl.signal, cancel, finish, abort };
}
