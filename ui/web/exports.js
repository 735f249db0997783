// Export buttons: CSV and JSON downloads of a result, in the zone the
// header sets. The server streams the file; the page only asks for it.

import { h } from './dom.js';
import { compact } from './format.js';

const FORMATS = ['csv', 'json'];

/**
 * exportButtons are the CSV and JSON buttons of a result: fetchFile(format)
 * asks the server for the file (api.js download) and resolves to {name,
 * bytes}, shown in stats. Returns {el, enable(on)}; they start disabled.
 */
export function exportButtons(fetchFile, stats) {
  const btns = FORMATS.map((f) => h('button', { type: 'button', class: 'btn btn-small', 'data-export': f, text: f.toUpperCase(), disabled: true, title: 'Run first' }));
  btns.forEach((b, i) => b.addEventListener('click', () => {
    b.disabled = true;
    fetchFile(FORMATS[i]).then((d) => { stats.textContent = `exported ${d.name} (${compact(d.bytes)} bytes)`; },
      (e) => { stats.textContent = 'export failed: ' + e.message; }).finally(() => { b.disabled = false; });
  }));
  const el = h('span', { class: 'export-btns' }, h('span', { class: 'muted', text: 'Export' }), btns);
  return {
    el,
    enable(on) {
      btns.forEach((b) => {
        b.disabled = !on;
        b.title = on ? 'Download the result' : 'Run first';
      });
    },
  };
}
