// Formatting for numbers, sizes and times. Locale is fixed to en so numbers
// read the same in screenshots and postmortems. Times are written in the
// zone the header sets (clock.js).

import { fmtClock, parseTime, rfc3339 as utcText, toInput } from './clock.js';

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** int formats an integer with thousands separators; "–" when not a number. */
export function int(n) {
  const v = Number(n);
  return Number.isFinite(v) ? intFmt.format(v) : '–';
}

/** num formats a number with at most two decimals. */
export function num(n) {
  const v = Number(n);
  return Number.isFinite(v) ? decFmt.format(v) : '–';
}

/** compact formats large counts as 1.2k, 3.4M, 5.6B. */
export function compact(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a < 1e4) return intFmt.format(v);
  for (const [d, s] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= d) return decFmt.format(Math.round((v / d) * 10) / 10) + s;
  }
  return intFmt.format(v);
}

/**
 * measure formats a chart or stat value by its magnitude and unit: unit
 * 'bytes' and 'ms' as sizes and durations; otherwise large values compact
 * (12.3k), ordinary ones with up to two decimals (12.5), and fractions with
 * two significant digits (0.65, 0.04, 0.0012), so a rate never rounds to 0
 * or 1.
 */
export function measure(n, unit = '') {
  const v = Number(n);
  if (!Number.isFinite(v)) return '–';
  if (unit === 'bytes') return bytes(v);
  if (unit === 'ms') return ms(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4) return compact(v);
  if (a >= 1) return decFmt.format(v);
  return new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 }).format(v);
}

/** unitOf guesses a column's unit from its name: body_bytes is bytes,
 * p95_ms milliseconds, error_rate a fraction. */
export function unitOf(name) {
  const n = String(name || '').toLowerCase();
  if (/(^|_)bytes$|_bytes_/.test(n)) return 'bytes';
  if (/(^|_)ms$|_ms_|duration_ms/.test(n)) return 'ms';
  if (/(rate|ratio|fraction|share)$/.test(n)) return 'fraction';
  return '';
}

/** bytes formats a size in binary units (KiB, MiB, …). */
export function bytes(n) {
  let v = Number(n);
  if (!Number.isFinite(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? intFmt.format(v) : decFmt.format(Math.round(v * 10) / 10)) + ' ' + units[i];
}

/** ms formats a duration in milliseconds. */
export function ms(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '–';
  if (v < 1000) return decFmt.format(v) + ' ms';
  return decFmt.format(v / 1000) + ' s';
}

/** ago formats how long before now an RFC 3339 time was ("12s ago"). */
export function ago(rfc3339, now = Date.now()) {
  if (!rfc3339) return '–';
  const t = parseTime(rfc3339);
  if (!Number.isFinite(t)) return String(rfc3339);
  let s = Math.round((now - t) / 1000);
  if (s < 0) s = 0;
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.floor(s / 60) + 'm ago';
  if (s < 86400) return Math.floor(s / 3600) + 'h ago';
  return Math.floor(s / 86400) + 'd ago';
}

/** clock formats a Date as HH:MM:SS in the chosen zone. */
export function clock(d = new Date()) {
  return fmtClock(d.getTime());
}

/** rfc3339 formats a Date as UTC RFC 3339 without fractional seconds. */
export function rfc3339(d) {
  return utcText(d.getTime());
}

/** localInput formats a Date for an <input type="datetime-local"> in the
 * chosen zone. */
export function localInput(d) {
  return toInput(d.getTime()).slice(0, 16);
}

/** cell turns any JSON value from a result row into display text. */
export function cell(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** isTimeType reports whether a ClickHouse type holds a date or time. */
export function isTimeType(type) {
  return /^(Nullable\()?(LowCardinality\()?(DateTime|Date)/.test(String(type || ''));
}

/** isNumericType reports whether a ClickHouse type is shown right-aligned. */
export function isNumericType(type) {
  const t = String(type || '').replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2');
  return /^(U?Int\d+|Float\d+|Decimal)/.test(t);
}
