// Template parameters in the Explore form: one field per typed parameter,
// read back as the text to send, which is also the text for the URL
// (?p.<name>=<text>; lists comma-separated). The server types each value
// with the template's spec and checks it; its `param "name": …` errors are
// matched back to their field.

import { h } from './dom.js';
import { fromInput, parseTime, rfc3339, toInput, zoneLabel } from './clock.js';

function typeHint(p) {
  switch (p.type) {
    case 'int': return 'whole number';
    case 'float': return 'number';
    case 'duration': return 'duration, e.g. 5m';
    case 'time': return 'date and time';
    case 'list(string)': return 'comma-separated';
    case 'list(int)': return 'comma-separated numbers';
    default: return p.type;
  }
}

function defaultText(p) {
  const d = p.default;
  if (d === undefined || d === null) return '';
  if (Array.isArray(d)) return d.join(', ');
  return String(d);
}

/**
 * paramField builds the input for one template parameter p (as the
 * templates API lists it), filled from urlValue (the ?p.<name>= text) or
 * p's default. Returns {el, name, read(), error(msg), focus()}; read() gives
 * {value, set, url} or throws an Error with the message to show by the field.
 */
export function paramField(p, urlValue) {
  const id = 'param-' + p.name.replace(/[^A-Za-z0-9_-]/g, '_');
  const hasUrl = urlValue !== null && urlValue !== undefined;
  let input;
  const attrs = { id, name: 'p.' + p.name, 'aria-describedby': id + '-err' };
  switch (p.type) {
    case 'bool':
      input = h('input', { ...attrs, type: 'checkbox' });
      input.checked = hasUrl ? urlValue === 'true' : p.default === true;
      break;
    case 'enum': {
      const values = Array.isArray(p.values) ? p.values : [];
      input = h('select', attrs,
        !p.required || p.default === undefined || p.default === null ? h('option', { value: '', text: p.required ? 'choose…' : '(default)' }) : null,
        values.map((v, i) => h('option', { value: String(i), text: String(v) })));
      const want = hasUrl ? urlValue : defaultText(p);
      const idx = values.findIndex((v) => String(v) === want);
      if (idx >= 0) input.value = String(idx);
      else if (hasUrl && urlValue !== '') {
        // A value not offered (an old URL): keep it so the server names it.
        input.appendChild(h('option', { value: 'raw:' + urlValue, text: urlValue }));
        input.value = 'raw:' + urlValue;
      }
      break;
    }
    case 'int':
    case 'float':
      input = h('input', { ...attrs, type: 'text', inputmode: p.type === 'int' ? 'numeric' : 'decimal', autocomplete: 'off' });
      break;
    case 'time':
      input = h('input', { ...attrs, type: 'datetime-local', step: '1' });
      break;
    default:
      input = h('input', { ...attrs, type: 'text', autocomplete: 'off', spellcheck: 'false' });
  }
  if (p.type !== 'bool' && p.type !== 'enum') {
    const def = defaultText(p);
    if (p.type === 'time') {
      const t = hasUrl ? parseTime(urlValue) : NaN;
      if (Number.isFinite(t)) input.value = toInput(t);
      if (def) input.title = 'default: ' + def;
    } else {
      input.value = hasUrl ? urlValue : def;
      input.placeholder = def ? 'default: ' + def : typeHint(p);
    }
  }
  const err = h('span', { class: 'field-error', id: id + '-err', role: 'alert' });
  const label = h('label', { for: id, class: 'field-label' },
    h('span', { class: 'field-name mono', text: p.name }),
    p.required ? h('span', { class: 'req', title: 'required', text: '*' }) : null,
    h('span', { class: 'field-type muted', text: p.type === 'time' ? `time, ${zoneLabel()}` : p.type }));
  const el = h('div', { class: 'field' + (p.type === 'bool' ? ' field-bool' : ''), 'data-param': p.name, 'data-type': p.type },
    label, input,
    p.description ? h('span', { class: 'field-desc muted', text: p.description }) : null,
    err);
  input.addEventListener('input', () => error(''));
  input.addEventListener('change', () => error(''));

  function error(msg) {
    err.textContent = msg || '';
    el.classList.toggle('invalid', Boolean(msg));
    input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  }

  // read returns {text, set}: the value as text, sent as it is and written
  // to the URL (the server types it with the template's spec), and whether
  // the user set it (unset optional params take the template's default).
  function read() {
    if (p.type === 'bool') return { text: String(input.checked), set: true };
    if (p.type === 'enum') {
      if (input.value === '') {
        if (p.required) throw new Error('choose a value');
        return { set: false };
      }
      if (input.value.startsWith('raw:')) return { text: input.value.slice(4), set: true };
      return { text: String(p.values[Number(input.value)]), set: true };
    }
    if (p.type === 'time') {
      if (!input.value) {
        if (p.required && (p.default === undefined || p.default === null)) throw new Error('pick a date and time');
        return { set: false };
      }
      // The picker's time in the chosen zone, written as the absolute
      // time it means.
      const t = fromInput(input.value);
      if (!Number.isFinite(t)) throw new Error(`${input.value} is not a date and time`);
      return { text: rfc3339(t), set: true };
    }
    const text = input.value.trim();
    if (text === '') {
      if (p.required && (p.default === undefined || p.default === null)) throw new Error('required');
      return { set: false };
    }
    return { text: p.type === 'string' ? input.value : text, set: true };
  }

  return { el, name: p.name, read, error, focus: () => input.focus() };
}

/**
 * readParams reads every field: params holds the texts to send, url the
 * same texts as ?p.<name>= params, and firstBad the first field that could
 * not be read (its error is shown by it), or null.
 */
export function readParams(fields) {
  const params = {};
  const url = {};
  let firstBad = null;
  for (const f of fields) {
    f.error('');
    try {
      const r = f.read();
      if (r.set) {
        params[f.name] = r.text;
        url['p.' + f.name] = r.text;
      }
    } catch (e) {
      f.error(e.message);
      if (!firstBad) firstBad = f;
    }
  }
  return { params, url, firstBad };
}

/** paramsURL writes parameter values (as a link pins them) as the
 * {"p.<name>": text} URL params the form reads back; lists comma-separated. */
export function paramsURL(values) {
  const url = {};
  for (const [k, v] of Object.entries(values || {})) url['p.' + k] = Array.isArray(v) ? v.join(',') : String(v);
  return url;
}

/** paramError reads the server's `param "name": message` 400s into
 * {name, message}, or null for any other message. */
export function paramError(message) {
  const m = /^param "((?:[^"\\]|\\.)*)": ([\s\S]*)$/.exec(message);
  return m ? { name: m[1], message: m[2] } : null;
}
