// The cost of a template run before it runs: POST
// /api/v1/templates/{id}/estimate answers with the engine's estimate
// (rows, bytes, parts, after the caller's scope and tiers) and the tiers
// the run touches. A run that reaches cold data, or the archive, is a
// deliberate act: the line says so before Run is pressed.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { bytes, int } from './format.js';

/**
 * estimateButton returns {button, line}: the button asks the server for the
 * estimate of the run body() describes ({params, from, to, version}, or
 * null when the form is invalid), the line shows it, or why there is none.
 */
export function estimateButton(templateID, body) {
  const line = h('div', { class: 'estimate muted', 'data-estimate': '' });
  let ctrl = null;
  const button = h('button', {
    type: 'button', class: 'btn', text: 'Estimate', title: 'What the run would read, and from which tiers, without running it',
    onclick: async () => {
      const b = body();
      if (!b) return;
      if (ctrl) ctrl.abort();
      const mine = (ctrl = new AbortController());
      line.dataset.state = 'loading';
      line.textContent = 'estimating…';
      try {
        const est = await api('/api/v1/templates/' + encodeURIComponent(templateID) + '/estimate', { method: 'POST', body: b, signal: mine.signal });
        if (mine !== ctrl) return;
        replace(line, estimateText(est));
        line.dataset.state = 'done';
        line.dataset.tiers = (est.tiers || []).map((t) => t.tier).join(',');
      } catch (e) {
        if (e.name === 'AbortError') return;
        line.dataset.state = 'error';
        replace(line, h('span', { class: 'error-text', text: 'cannot estimate: ' + e.message }));
      }
    },
  });
  return { button, line };
}

function estimateText(est) {
  const tiers = est.tiers || [];
  const archive = tiers.some((t) => t.tier === 'archive');
  const unit = archive ? 'objects' : 'parts';
  const parts = [`≈ ${int(est.rows)} rows`, `${bytes(est.bytes)}`, `${int(est.parts)} ${unit}`];
  const tierText = tiers.length === 0 ? 'touches no data' : 'tiers: ' + tiers.map((t) => `${t.tier} (${int(t.parts)} ${t.tier === 'archive' ? 'objects' : 'parts'}, ${bytes(t.bytes)})`).join(', ');
  const cold = tiers.some((t) => t.tier === 'cold' || t.tier === 'archive');
  return [h('span', { text: parts.join(' · ') + ' · ' }), h('span', { class: cold ? 'estimate-cold' : null, text: tierText })];
}
