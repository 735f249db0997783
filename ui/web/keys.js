// Keyboard shortcuts, on every page: "/" focuses the page's search box,
// "?" shows the shortcuts, Ctrl+Enter (⌘+Enter) runs the form being edited
// or the page's main one, Esc closes what is open.

import { h } from './dom.js';

const SHORTCUTS = [
  ['/', 'focus the search box'],
  ['Ctrl + Enter', 'run the search or query (⌘ + Enter on a Mac)'],
  ['?', 'show these shortcuts'],
  ['Esc', 'close this dialog'],
];

// typing reports whether a key press belongs to a field being edited.
function typing(el) {
  return el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

let dialog = null;

function shortcutsDialog() {
  if (!dialog) {
    dialog = h('dialog', { class: 'keys-dialog', 'aria-label': 'Keyboard shortcuts' },
      h('h2', { text: 'Keyboard shortcuts' }),
      h('dl', { class: 'kv keys' }, SHORTCUTS.map(([k, what]) => [h('dt', null, h('kbd', { text: k })), h('dd', { text: what })])),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: 'Close', onclick: () => dialog.close() })));
    document.body.appendChild(dialog);
  }
  return dialog;
}

/** installKeys adds the shortcuts to the document; main is the page area. */
export function installKeys(main) {
  document.addEventListener('keydown', (ev) => {
    if (ev.defaultPrevented || ev.altKey) return;
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      const active = document.activeElement;
      const form = (active && active.closest && active.closest('form')) || main.querySelector('form[data-primary]');
      if (form) {
        ev.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || typing(ev.target)) return;
    if (ev.key === '/') {
      const box = main.querySelector('[data-search]') || main.querySelector('input[type=search]');
      if (box) {
        ev.preventDefault();
        box.focus();
        box.select();
      }
    } else if (ev.key === '?') {
      ev.preventDefault();
      const d = shortcutsDialog();
      if (d.open) d.close();
      else d.showModal();
    }
  });
}
