// The one set of number formats of every view of a trace: the terminal's
// (analyze, compare, the progress line, the end of a run) and the HTML
// report's. One unit system: binary byte units (KiB, MiB, GiB: buffer sizes
// are binary too), time in ns, µs, ms, s, with three significant digits; a
// missing value is an em dash. The page imports this very module (it is
// bundled into the page's script), so it uses nothing of Node or the DOM.

const MISSING = '\u2014';

/** Three significant digits (two decimals below 10, one below 100). */
export function sig(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function formatDuration(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return MISSING;
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${sig(ns / 1e3)} \u00b5s`;
  if (a < 1e9) return `${sig(ns / 1e6)} ms`;
  return `${sig(ns / 1e9)} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return MISSING;
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sig(value)} ${units[unit]}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return MISSING;
  return Number.isInteger(n) ? n.toLocaleString('en-US') : sig(n);
}

export function formatShare(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return MISSING;
  const percent = fraction * 100;
  return `${percent >= 10 ? percent.toFixed(1) : percent.toFixed(2)} %`;
}
