// The one set of number formats of every view of a trace: the terminal's
// (analyze, compare, the progress line, the end of a run) and the HTML
// report's. One unit system: binary byte units (KiB, MiB, GiB: buffer sizes
// are binary too), time in ns, µs, ms, s, with three significant digits; a
// missing value is an em dash. The page runs this very code: page-script.ts
// inlines the source of formatters(), so it stays self-contained (nothing
// from outside the function, no imports).

export interface Formatters {
  /** Three significant digits (two decimals below 10, one below 100). */
  sig(x: number): string;
  duration(ns: number | null | undefined): string;
  bytes(bytes: number | null | undefined): string;
  count(n: number | null | undefined): string;
  share(fraction: number | null | undefined): string;
}

export function formatters(): Formatters {
  const missing = '\u2014';
  const sig = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  return {
    sig,
    duration(ns) {
      if (ns === null || ns === undefined) return missing;
      const a = Math.abs(ns);
      if (a < 1e3) return `${Math.round(ns)} ns`;
      if (a < 1e6) return `${sig(ns / 1e3)} \u00b5s`;
      if (a < 1e9) return `${sig(ns / 1e6)} ms`;
      return `${sig(ns / 1e9)} s`;
    },
    bytes(bytes) {
      if (bytes === null || bytes === undefined) return missing;
      if (bytes < 1024) return `${bytes} B`;
      const units = ['KiB', 'MiB', 'GiB', 'TiB'];
      let value = bytes;
      let unit = -1;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
      }
      return `${sig(value)} ${units[unit]}`;
    },
    count(n) {
      if (n === null || n === undefined) return missing;
      return Number.isInteger(n) ? n.toLocaleString('en-US') : sig(n);
    },
    share(fraction) {
      if (fraction === null || fraction === undefined) return missing;
      const percent = fraction * 100;
      return `${percent >= 10 ? percent.toFixed(1) : percent.toFixed(2)} %`;
    },
  };
}

const shared = formatters();
export const formatDuration = (ns: number): string => shared.duration(ns);
export const formatBytes = (bytes: number): string => shared.bytes(bytes);
export const formatCount = (n: number): string => shared.count(n);
export const formatShare = (fraction: number): string => shared.share(fraction);
