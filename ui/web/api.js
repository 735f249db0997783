// HTTP client for /api/v1. Sends the bearer token the user saved; on a 401 it
// asks for a token (through the prompt app.js installs) and retries. A server
// running without tokens (loopback mode) never answers 401, so no prompt
// appears there.
//
// The token is kept in sessionStorage: this tab has it until it closes, and
// other tabs ask for it again. Only when the user ticks "Remember on this
// device" is it kept in localStorage, for every tab and later visits.

const SESSION_KEY = 'logmart.token'; // sessionStorage: the default
const REMEMBERED_KEY = 'logmart.remembered-token'; // localStorage: "Remember on this device"
// LEGACY_KEY is where UIs before the choice kept every token, in
// localStorage, without asking.
const LEGACY_KEY = 'logmart.token';

/** ApiError carries the HTTP status (0 when the server was unreachable) and
 * the server's message, which names the field at fault. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// memory holds the token when the browser refuses storage: it then lives
// for this page only.
let memory = '';

// migrateLegacyToken moves a token an older UI left in localStorage into
// this tab's sessionStorage: the open tab keeps working, and the token is
// no longer kept on the device unless the user chooses that the next time
// they enter it.
function migrateLegacyToken() {
  try {
    const old = localStorage.getItem(LEGACY_KEY);
    if (old === null) return;
    localStorage.removeItem(LEGACY_KEY);
    if (old && !sessionStorage.getItem(SESSION_KEY) && !localStorage.getItem(REMEMBERED_KEY)) {
      sessionStorage.setItem(SESSION_KEY, old);
    }
  } catch {
    // Storage disabled: there is nothing to migrate.
  }
}

migrateLegacyToken();

/** getToken is the token to send: this tab's, else the remembered one, else ''. */
export function getToken() {
  try {
    return sessionStorage.getItem(SESSION_KEY) || localStorage.getItem(REMEMBERED_KEY) || '';
  } catch {
    return memory;
  }
}

/** tokenRemembered reports whether the token in use is kept on this device
 * (localStorage) rather than for this tab. */
export function tokenRemembered() {
  try {
    return !sessionStorage.getItem(SESSION_KEY) && Boolean(localStorage.getItem(REMEMBERED_KEY));
  } catch {
    return false;
  }
}

/**
 * setToken saves token for this tab, or, with remember, on this device for
 * every tab. An empty token forgets it in both places.
 */
export function setToken(token, { remember = false } = {}) {
  memory = token || '';
  try {
    sessionStorage.removeItem(SESSION_KEY);
    localStorage.removeItem(REMEMBERED_KEY);
    if (token && remember) localStorage.setItem(REMEMBERED_KEY, token);
    else if (token) sessionStorage.setItem(SESSION_KEY, token);
  } catch {
    // Storage disabled: the token lives for this page only, in memory.
  }
  window.dispatchEvent(new CustomEvent('logmart:token'));
}

// prompt(reason) resolves to {token, remember}, or null when the user
// cancels.
let prompt = async () => null;
let pending = null;
// declined is set when the user cancels the prompt: later 401s fail in place
// instead of reopening it, until signIn is called.
let declined = false;

/** setTokenPrompt installs the function that asks the user for a token:
 * fn(reason) resolves to {token, remember}, or null when the user cancels. */
export function setTokenPrompt(fn) {
  prompt = fn;
}

// askToken shares one open prompt between all requests that got a 401.
function askToken(reason) {
  if (declined) return Promise.resolve(false);
  if (!pending) {
    pending = Promise.resolve(prompt(reason)).then((answer) => {
      pending = null;
      const ok = Boolean(answer && answer.token);
      if (ok) setToken(answer.token, { remember: Boolean(answer.remember) });
      else declined = true;
      return ok;
    });
  }
  return pending;
}

/** signIn opens the token prompt on request (after an earlier cancel).
 * Resolves true when a token was saved. */
export function signIn() {
  declined = false;
  return askToken('');
}

async function errorMessage(res) {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // fall through to the status line
  }
  if (text) {
    try {
      const j = JSON.parse(text);
      if (j && typeof j.error === 'string' && j.error) return j.error;
      if (j && typeof j.message === 'string' && j.message) return j.message;
    } catch {
      // not JSON: use the text itself
    }
    const t = text.trim();
    if (t) return t.length > 1000 ? t.slice(0, 1000) + '…' : t;
  }
  return `HTTP ${res.status} ${res.statusText}`.trim();
}

// send makes one request, asking for a token on a 401 and retrying with
// it, and resolves to the Response when it is 2xx; it rejects with ApiError
// (or the AbortError when signal aborts). statement, when set, is sent as
// X-Logmart-Statement: the id /api/v1/statements follows and cancels.
async function send(path, { method = 'GET', body, signal, statement, accept = 'application/json' } = {}) {
  for (;;) {
    const token = getToken();
    // X-Logmart-Source tags the query audit log with where a query came from.
    const headers = { Accept: accept, 'X-Logmart-Source': 'ui' };
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (statement) headers['X-Logmart-Statement'] = statement;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'cannot reach the logmart server: ' + (e && e.message ? e.message : e));
    }
    if (res.status === 401) {
      const msg = await errorMessage(res);
      if (getToken() !== token) continue; // another request saved a new token meanwhile
      const reason = token ? 'The saved token was refused: ' + msg : msg;
      // A refused token is never sent again.
      if (token) setToken('');
      if (await askToken(reason)) continue;
      throw new ApiError(401, 'authentication required: ' + msg);
    }
    if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
    return res;
  }
}

/**
 * api calls path (e.g. "/api/v1/logs?…") and resolves to the decoded JSON
 * body. body, when given, is sent as JSON; statement names the run for
 * progress and cancel (see runs.js). Rejects with ApiError, or with the
 * AbortError when signal aborts.
 */
export async function api(path, opts = {}) {
  const res = await send(path, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'the server sent a response that is not JSON: ' + text.slice(0, 200));
  }
}

/**
 * download asks path for a file (an export: ?format=csv|json|ndjson) and
 * saves it under the name the server gives. The server streams it; a
 * download cut off midway rejects instead of saving a part that looks
 * whole; opts.filename names a file the server does not. Resolves to
 * {name, bytes}.
 */
export async function download(path, opts = {}) {
  const res = await send(path, { ...opts, accept: opts.accept || '*/*' });
  let blob;
  try {
    blob = await res.blob();
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(res.status, 'the export was cut off before it ended: ' + (e && e.message ? e.message : e));
  }
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  const name = m ? m[1] : opts.filename || 'logmart-export';
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { name, bytes: blob.size };
}

/** query builds "?a=1&b=2" from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
