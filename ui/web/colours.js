// Semantic colours: a level or an HTTP status reads the same colour on
// every chart and bar (errors and 5xx red, warnings and 4xx amber), never
// a colour picked by volume.

/** LEVEL_STYLES are the level colours, most severe first; fills are opaque
 * (pre-blended on the card background) for stacked charts. */
export const LEVEL_STYLES = [
  { match: ['fatal', 'critical', 'crit', 'panic', 'emerg', 'emergency', 'alert'], stroke: '#d66bd8', fill: '#4a2a52' },
  { match: ['error', 'err'], stroke: '#f2555a', fill: '#5a2529' },
  { match: ['warn', 'warning'], stroke: '#e5a93d', fill: '#574222' },
  { match: ['info', 'notice', 'information'], stroke: '#5b9dff', fill: '#243a5e' },
  { match: ['debug'], stroke: '#8b96a5', fill: '#333a44' },
  { match: ['trace'], stroke: '#5f6b7a', fill: '#272d36' },
];

// OTHER is the style of a level none of LEVEL_STYLES names.
const OTHER = { stroke: '#3fb59b', fill: '#1f443e' };

/** levelStyle is a level's {stroke, fill}: levels stack most severe at
 * the bottom, in their semantic colours. */
export function levelStyle(level) {
  const i = levelRank(level);
  return i < LEVEL_STYLES.length ? LEVEL_STYLES[i] : OTHER;
}

const STATUS = { 1: '#8b96a5', 2: '#3fb950', 3: '#5b9dff', 4: '#e5a93d', 5: '#f2555a' };

/** levelRank orders levels most severe first; unknown levels last. */
export function levelRank(level) {
  const l = String(level).toLowerCase();
  const i = LEVEL_STYLES.findIndex((x) => x.match.includes(l));
  return i < 0 ? LEVEL_STYLES.length : i;
}

/**
 * semanticColour is the colour a value means, or '' when it means none: a
 * log level ("error"), a status class ("5xx") or an HTTP status code
 * (503).
 */
export function semanticColour(value) {
  const v = String(value ?? '').trim().toLowerCase();
  if (!v) return '';
  const i = levelRank(v);
  if (i < LEVEL_STYLES.length) return LEVEL_STYLES[i].stroke;
  let m = /^([1-5])xx$/.exec(v);
  if (m) return STATUS[m[1]];
  m = /^([1-5])\d\d$/.exec(v);
  if (m) return STATUS[m[1]];
  return '';
}
