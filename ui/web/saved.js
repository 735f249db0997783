// Saved searches: a name for a Logs or Explore state (its URL's query:
// filters and range, relative or absolute), shared with every user. The
// save form and the menu of saved searches each page shows; the Saved page
// lists and deletes them, with the caller's shared links.

import { api, query } from './api.js';
import { h, replace } from './dom.js';

/**
 * saveSearchForm opens, in box, a small form that saves the page's state
 * (getState() is its URL query) under a name.
 */
export function saveSearchForm(box, page, getState) {
  if (box.querySelector('form')) {
    replace(box);
    return;
  }
  const name = h('input', { type: 'text', name: 'search-name', 'aria-label': 'Name of the saved search', placeholder: 'Name this search', maxlength: '200', required: true });
  const msg = h('span', { class: 'save-msg', role: 'status' });
  const form = h('form', { class: 'save-form' }, name,
    h('button', { type: 'submit', class: 'btn btn-small btn-primary', text: 'Save' }),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Cancel', onclick: () => replace(box) }), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const s = await api('/api/v1/searches', { method: 'POST', body: { name: name.value, page, state: getState() } });
      replace(box, h('span', { class: 'save-msg saved', role: 'status' }, 'Saved as ', h('a', { href: s.url, 'data-nav': true, text: s.name })));
      window.dispatchEvent(new CustomEvent('logmart:searches'));
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('form-error');
    }
  });
  replace(box, form);
  name.focus();
}

/** savedSearchMenu is a select of the saved searches of page; picking one
 * opens it. */
export function savedSearchMenu(page, navigate) {
  const sel = h('select', { class: 'saved-menu', 'aria-label': 'Saved searches' }, h('option', { value: '', text: 'Saved searches…' }));
  async function load() {
    try {
      const res = await api('/api/v1/searches' + query({ page }));
      replace(sel, h('option', { value: '', text: 'Saved searches…' }),
        ((res && res.searches) || []).map((s) => h('option', { value: s.url, text: s.name })),
        h('option', { value: '/saved', text: 'Manage saved searches and links…' }));
      sel.dataset.loaded = 'true';
    } catch {
      sel.dataset.loaded = 'error';
    }
  }
  sel.addEventListener('change', () => {
    if (sel.value) navigate(sel.value);
  });
  load();
  window.addEventListener('logmart:searches', load);
  return sel;
}

/** deletable is a Delete button for row: del() deletes it on the server,
 * and the row goes once that succeeded. */
export function deletable(row, del, label) {
  const btn = h('button', { type: 'button', class: 'btn btn-small btn-danger', text: 'Delete', 'aria-label': 'Delete ' + label });
  const msg = h('span', { class: 'form-error' });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      await del();
      row.remove();
    } catch (e) {
      msg.textContent = e.message;
      btn.disabled = false;
    }
  });
  return h('span', null, btn, msg);
}
