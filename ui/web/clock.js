// The UI's one clock: every time shown (tables, log rows, chart axes, the
// range picker, shared links, the "updated" clock) is written in one zone,
// UTC or the browser's, chosen in the header and remembered in this
// browser. The server answers times as RFC 3339 with an offset or as epoch
// numbers; ClickHouse text without a zone (older frozen results) is read
// as UTC, the zone every logmart session runs in.

const KEY = 'logmart.timezone';
export const ZONES = ['utc', 'browser'];

function load() {
  try {
    const v = localStorage.getItem(KEY);
    return ZONES.includes(v) ? v : 'utc';
  } catch {
    return 'utc';
  }
}

let zone = load();

/** zoneSetting is "utc" or "browser". */
export function zoneSetting() {
  return zone;
}

/** setZone changes the setting, remembers it and tells every listener
 * (the "logmart:timezone" window event). */
export function setZone(z) {
  if (!ZONES.includes(z) || z === zone) return;
  zone = z;
  try {
    localStorage.setItem(KEY, z);
  } catch {
    // Storage disabled: the choice lasts for this page.
  }
  window.dispatchEvent(new CustomEvent('logmart:timezone', { detail: z }));
}

/** browserZone is the browser's IANA zone name ("America/New_York"). */
export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
}

/** timeZone is the IANA name to format in. */
export function timeZone() {
  return zone === 'utc' ? 'UTC' : browserZone();
}

/** offsetLabel is the zone's offset at t (ms) as "UTC", "UTC−05:00". */
export function offsetLabel(t = Date.now()) {
  if (zone === 'utc') return 'UTC';
  const min = -new Date(t).getTimezoneOffset();
  if (min === 0) return 'UTC';
  const a = Math.abs(min);
  return `UTC${min < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** zoneLabel names the zone for labels: "UTC" or "America/New_York (UTC−05:00)". */
export function zoneLabel(t = Date.now()) {
  return zone === 'utc' ? 'UTC' : `${browserZone()} (${offsetLabel(t)})`;
}

const ZONELESS = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(:\d\d(\.\d+)?)?)$/;

/** parseTime reads a time cell or field into epoch milliseconds: RFC 3339,
 * zone-less ClickHouse text (UTC), a date, or epoch seconds or
 * milliseconds. NaN when it is none of these. */
export function parseTime(v) {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v > 1e11 ? v : v * 1000;
  const s = String(v ?? '').trim();
  if (!s) return NaN;
  let m = ZONELESS.exec(s);
  if (m) return Date.parse(`${m[1]}T${m[2]}Z`);
  if (/^\d{4}-\d\d-\d\d$/.test(s)) return Date.parse(s + 'T00:00:00Z');
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return n > 1e11 ? n : n * 1000;
  }
  m = Date.parse(s);
  return Number.isFinite(m) ? m : NaN;
}

const partsCache = new Map();

// fields splits t (ms) into the zone's calendar fields.
function fields(t) {
  const tz = timeZone();
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsCache.set(tz, f);
  }
  const out = {};
  for (const p of f.formatToParts(new Date(t))) out[p.type] = p.value;
  if (out.hour === '24') out.hour = '00';
  return out;
}

/**
 * fmtTime writes a time (anything parseTime reads) as
 * "2026-11-21 10:00:00" in the chosen zone, with milliseconds when set (or
 * always, with ms: true). Text that is not a time comes back as it was.
 */
export function fmtTime(v, { ms = false } = {}) {
  const t = parseTime(v);
  if (!Number.isFinite(t)) return v === null || v === undefined ? '' : String(v);
  const f = fields(t);
  const frac = ((t % 1000) + 1000) % 1000;
  const tail = ms || frac ? '.' + String(Math.round(frac)).padStart(3, '0') : '';
  return `${f.year}-${f.month}-${f.day} ${f.hour}:${f.minute}:${f.second}${tail}`;
}

/** fmtClock writes a time as "HH:MM:SS" in the chosen zone. */
export function fmtClock(v = Date.now()) {
  const t = parseTime(v);
  if (!Number.isFinite(t)) return '';
  const f = fields(t);
  return `${f.hour}:${f.minute}:${f.second}`;
}

/** toInput writes t (ms) for an <input type="datetime-local"> in the
 * chosen zone. */
export function toInput(t) {
  return fmtTime(Math.floor(t / 1000) * 1000).replace(' ', 'T');
}

/** fromInput reads an <input type="datetime-local"> value in the chosen
 * zone into epoch ms; NaN when it does not read. */
export function fromInput(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?$/.exec(String(s || ''));
  if (!m) return NaN;
  const [y, mo, d, hh, mm, ss = '0', frac = '0'] = m.slice(1);
  const asUTC = Date.UTC(+y, +mo - 1, +d, +hh, +mm, +ss, Number('0.' + frac) * 1000);
  if (zone === 'utc') return asUTC;
  return new Date(+y, +mo - 1, +d, +hh, +mm, +ss, Number('0.' + frac) * 1000).getTime();
}

/** rfc3339 writes t (ms or Date) as UTC RFC 3339, without milliseconds
 * unless set: what the UI sends the server and puts in URLs. */
export function rfc3339(t) {
  const iso = new Date(typeof t === 'number' ? t : t.getTime()).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, 19) + 'Z' : iso;
}

const axisCache = new Map();

function axisFmt(opts) {
  const key = timeZone() + JSON.stringify(opts);
  let f = axisCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { timeZone: timeZone(), ...opts });
    axisCache.set(key, f);
  }
  return f;
}

/**
 * axisLabels writes chart tick labels for xs (unix seconds) a step of incr
 * seconds apart, in the chosen zone and the browser's locale: times of day
 * for steps under a day (with the date under the first tick and where the
 * day changes), dates for longer steps.
 */
export function axisLabels(xs, incr) {
  let lastDay = '';
  return xs.map((x) => {
    const d = new Date(x * 1000);
    const day = axisFmt({ month: 'short', day: 'numeric' }).format(d);
    if (incr >= 86400) return incr >= 28 * 86400 ? axisFmt({ year: 'numeric', month: 'short' }).format(d) : day;
    // A 24-hour clock, as every other time the UI writes (fmtTime).
    const time = axisFmt(incr < 60 ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
    const label = day !== lastDay ? time + '\n' + day : time;
    lastDay = day;
    return label;
  });
}
