// How the page shows a value: the terminal's formats (../units.ts, the same
// module) plus the page's own for absolute times, ids and text. Every shown
// number also carries its exact value (data-value, and a title with its unit).

import { formatBytes, formatCount, formatDuration, formatShare } from '../units.js';

/** A value as the report holds it: numbers, absolute times as decimal strings of ns, names. */
export type Value = string | number | null | undefined;
export type Format = 'ns' | 'bytes' | 'count' | 'share' | 'text' | 'time' | 'id';

const MISSING = '\u2014';
const UNITS: Record<Format, string> = { ns: ' ns', bytes: ' bytes', count: '', share: '', text: '', time: ' ns', id: '' };

function asNumber(v: Value): number | null {
  return v == null ? null : Number(v);
}

export function dataValue(v: Value): string {
  return v == null ? '' : String(v);
}

export function exactTitle(v: Value, format: Format): string {
  return v == null ? 'none' : String(v) + UNITS[format];
}

export function formatWallClock(abs: string | null): string {
  if (abs == null) return MISSING;
  const ms = Number(BigInt(abs) / 1000000n);
  // Below 2001 the clock is not wall-clock time (a trace without a realtime offset).
  return ms > 978307200000 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : abs + ' ns';
}

export type Formats = Record<Format, (v: Value) => string>;

/** The formats of a trace that starts at firstNs: absolute times are shown as offsets from it. */
export function pageFormats(firstNs: string | null): Formats {
  const startNs = firstNs != null ? BigInt(firstNs) : null;
  return {
    ns: (v) => formatDuration(asNumber(v)),
    bytes: (v) => formatBytes(asNumber(v)),
    count: (v) => formatCount(asNumber(v)),
    share: (v) => formatShare(asNumber(v)),
    text: (v) => (v == null || v === '' ? MISSING : String(v)),
    id: (v) => (v == null ? MISSING : String(v)),
    time(v) {
      if (v == null) return MISSING;
      if (startNs == null) return v + ' ns';
      const offset = Number(BigInt(v) - startNs);
      return (offset < 0 ? '-' : '+') + (Math.abs(offset) / 1e9).toFixed(6) + ' s';
    },
  };
}
