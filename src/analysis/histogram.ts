// Latency distributions in fixed memory: a log-scale histogram with
// SUB_BUCKETS buckets per power of two from 1 ns to 2^MAX_EXPONENT ns.
// A percentile is the geometric middle of its bucket, clamped to the exact
// min and max: its relative error is at most 2^(1/(2*SUB_BUCKETS)) - 1,
// about 2.2 %. Count, min, max, total and mean are exact.

import type { Histogram, LatencySummary } from './model.js';

const SUB_BUCKETS = 16;
const MAX_EXPONENT = 48; // 2^48 ns is 3.3 days
const BUCKETS = SUB_BUCKETS * MAX_EXPONENT + 1;
/** Buckets per power of two in the exported histogram (HTML bars): 4, so each bar is a ratio of 1.19. */
const EXPORT_SUB_BUCKETS = 4;

export const PERCENTILE_RELATIVE_ERROR = 2 ** (1 / (2 * SUB_BUCKETS)) - 1;

/** Bucket 0 holds [0, 1) ns; bucket i >= 1 holds [2^((i-1)/SUB), 2^(i/SUB)). */
function bucketOf(ns: number): number {
  if (ns < 1) return 0;
  const index = Math.floor(Math.log2(ns) * SUB_BUCKETS) + 1;
  return index < BUCKETS ? index : BUCKETS - 1;
}

function lowerBound(bucket: number): number {
  return bucket === 0 ? 0 : 2 ** ((bucket - 1) / SUB_BUCKETS);
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  totalNs = 0;
  minNs = Infinity;
  maxNs = 0;

  add(ns: number): void {
    this.counts[bucketOf(ns)]!++;
    this.count++;
    this.totalNs += ns;
    if (ns < this.minNs) this.minNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.totalNs += other.totalNs;
    this.minNs = Math.min(this.minNs, other.minNs);
    this.maxNs = Math.max(this.maxNs, other.maxNs);
  }

  /** The value at quantile q (0..1): the geometric middle of the bucket holding it, within [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const middle = i === 0 ? 0 : Math.sqrt(lowerBound(i) * lowerBound(i + 1));
        return Math.min(this.maxNs, Math.max(this.minNs, Math.round(middle)));
      }
    }
    return this.maxNs;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      minNs: empty ? 0 : this.minNs,
      meanNs: empty ? 0 : Math.round(this.totalNs / this.count),
      p50Ns: this.quantile(0.5),
      p95Ns: this.quantile(0.95),
      p99Ns: this.quantile(0.99),
      maxNs: this.maxNs,
      totalNs: this.totalNs,
    };
  }

  /** Coarser buckets for display, from the first to the last non-empty one. */
  exportHistogram(): Histogram {
    const step = SUB_BUCKETS / EXPORT_SUB_BUCKETS;
    const boundsNs: number[] = [];
    const counts: number[] = [];
    let first = -1;
    let last = -1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i]! > 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) return { boundsNs: [], counts: [] };
    // Coarse bucket c covers fine buckets [1 + (c-1)*step, 1 + c*step); coarse 0 is fine 0.
    const coarseOf = (fine: number) => (fine === 0 ? 0 : Math.floor((fine - 1) / step) + 1);
    const fineStart = (coarse: number) => (coarse === 0 ? 0 : 1 + (coarse - 1) * step);
    for (let c = coarseOf(first); c <= coarseOf(last); c++) {
      let sum = 0;
      for (let i = fineStart(c); i < Math.min(fineStart(c + 1), BUCKETS); i++) sum += this.counts[i]!;
      boundsNs.push(Math.round(lowerBound(fineStart(c))));
      counts.push(sum);
    }
    boundsNs.push(Math.round(lowerBound(fineStart(coarseOf(last) + 1))));
    return { boundsNs, counts };
  }
}
