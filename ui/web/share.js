// Sharing a run: the Explore URL that reproduces it, the form that pins it
// as a link (/s/<id>), and a Copy row for the link's Markdown line, which
// the links API writes (its `markdown` field). Explore creates links here;
// the shared-link page shows them.

import { api, query } from './api.js';
import { h, replace, errorBox } from './dom.js';
import { fmtTime, zoneLabel } from './clock.js';

/** fmtRange writes from – to as "2026-11-21 10:00:00 – 2026-11-21 11:00:00
 * UTC" in the chosen zone, milliseconds only when set; in UTC the same text
 * as the server's Markdown line. */
export function fmtRange(from, to) {
  return `${fmtTime(from)} – ${fmtTime(to)} ${zoneLabel(Date.parse(from))}`;
}

/** copyRow shows text in a read-only field with a Copy button. */
export function copyRow(text, { label = 'Markdown', name = 'markdown' } = {}) {
  const input = h('textarea', { readonly: true, rows: '1', class: 'copy-text mono', name, 'aria-label': label, spellcheck: 'false' });
  input.value = text;
  const status = h('span', { class: 'copy-status muted', 'aria-live': 'polite' });
  const btn = h('button', {
    type: 'button', class: 'btn', text: 'Copy', 'data-copy': name,
    onclick: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(text);
        status.textContent = 'copied';
      } catch {
        // No clipboard permission (plain http, or a locked-down browser):
        // the text is selected for Ctrl+C instead.
        let ok = false;
        try {
          ok = document.execCommand('copy');
        } catch {
          ok = false;
        }
        status.textContent = ok ? 'copied' : 'selected: press Ctrl+C';
      }
      setTimeout(() => { status.textContent = ''; }, 2500);
    },
  });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'copy-row' }, h('span', { class: 'copy-label muted', text: label }), input, btn, status);
}

/**
 * exploreURL is the Explore URL that runs template (version, when pinned)
 * over range (URL params: {range} or {from, to}) with params ({"p.<name>":
 * text}, as params.js writes them).
 */
export function exploreURL({ template, version, range = {}, params = {} }) {
  return '/explore' + query({ t: template, v: version || '', ...range, ...params, run: 1 });
}

/**
 * showShareForm opens, in panel, the form that pins run ({template,
 * version, title, params, from, to}, as Explore last ran it) as a link with
 * a title, a note and optionally its result frozen. onCreated(link) is
 * called with each link made.
 */
export function showShareForm(panel, run, { onCreated } = {}) {
  const title = h('input', { type: 'text', name: 'link-title', maxlength: '200', 'aria-label': 'Link title', class: 'grow' });
  title.value = run.title;
  const note = h('textarea', { name: 'link-note', rows: '2', maxlength: '4000', 'aria-label': 'Note', placeholder: 'Note (optional): what this shows, incident id…' });
  const snap = h('input', { type: 'checkbox', name: 'link-snapshot', id: 'link-snapshot' });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Create link' });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: 'Cancel', onclick: () => { panel.hidden = true; } });
  const out = h('div', { class: 'share-out' });
  let done = false;
  const form = h('form', { class: 'share-form' },
    h('div', { class: 'share-pin muted', text: `Pins ${run.template} v${run.version}, these parameters and ${fmtRange(run.from, run.to)}. Links never change.` }),
    h('div', { class: 'toolbar' }, title,
      h('label', { class: 'check', for: 'link-snapshot', title: 'Store the result now, so the link still shows rows after the data ages out' }, snap, ' Freeze result'),
      create, cancel),
    note, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    create.disabled = true;
    replace(out, h('span', { class: 'muted', text: 'creating…' }));
    try {
      const link = await api('/api/v1/links', {
        method: 'POST',
        body: { template: run.template, version: run.version, params: run.params, from: run.from, to: run.to, title: title.value.trim(), note: note.value.trim(), snapshot: snap.checked },
      });
      const abs = location.origin + link.url;
      replace(out,
        h('div', { class: 'copy-row' }, h('span', { class: 'copy-label muted', text: 'Link' }),
          h('a', { href: link.url, class: 'share-url mono', 'data-share-url': link.url, target: '_blank', rel: 'noopener', text: abs })),
        copyRow(link.markdown));
      if (onCreated) onCreated(link);
      // Links never change: another press would make a second link.
      create.textContent = 'Created';
      done = true;
    } catch (e) {
      replace(out, errorBox(e.message));
    } finally {
      create.disabled = done;
    }
  });
  // Changing the title, note or snapshot after a link was made offers a
  // new link with them.
  form.addEventListener('input', () => {
    if (done) {
      done = false;
      create.disabled = false;
      create.textContent = 'Create another link';
    }
  });
  replace(panel, form);
  panel.hidden = false;
  title.focus();
  title.select();
}
