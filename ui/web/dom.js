// DOM helpers. Everything that may carry data goes through text nodes or
// setAttribute: the UI never assigns innerHTML, because log bodies, service
// names and query results are hostile input.

/**
 * h builds an element. attrs: "class", "text", "dataset" (object), "style"
 * (object), on<event> functions, boolean true/false for flags; anything else
 * is set with setAttribute. Children are nodes, strings (as text), arrays, or
 * null/undefined/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style') Object.assign(el.style, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** clear removes all children of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** replace puts children in el instead of what was there. */
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** errorBox is the in-place error shown where a result would be. */
export function errorBox(message) {
  return h('div', { class: 'error', role: 'alert' },
    h('span', { class: 'error-label', text: 'Error' }),
    h('span', { class: 'error-text', text: message }));
}

/** notice is a neutral in-place message (empty result, hint). */
export function notice(message, cls = '') {
  return h('div', { class: ('notice ' + cls).trim(), text: message });
}

/** card is a titled panel. */
export function card(title, body, extra) {
  return h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', { text: title }), extra),
    h('div', { class: 'card-body' }, body));
}
