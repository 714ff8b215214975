// Lost events: the reader's discarded-event notices (a packet's
// events_discarded counter grew, or packets are missing), where and when, and
// which results they make uncertain.

import { basename } from 'node:path';
import type { DiscardedNotice } from '../ctf/trace-reader.js';
import type { LostEventsResult } from './model.js';
import type { AnalysisHandler, AnalysisModule, Ending } from './registry.js';

/** Ranges listed in the report; the totals count them all. */
const MAX_RANGES = 200;

interface LostRange {
  cpu: number | null;
  count: number;
  beginNs: bigint | null;
  endNs: bigint | null;
  what: 'event' | 'packet';
}

/** The CPU of a stream file: LTTng and our recorder name them CHANNEL_CPU (channel0_3, k_1). */
export function cpuOfStreamFile(file: string): number | null {
  const match = /_(\d+)$/.exec(basename(file));
  return match ? Number(match[1]) : null;
}

export const lostEventsAnalysis: AnalysisModule<'lost'> = {
  name: 'lost',
  deps: [],
  create: () => new LostEventsAnalysis(),
};

class LostEventsAnalysis implements AnalysisHandler<'lost', never> {
  private total = 0;
  private lostPackets = 0;
  private readonly byCpu = new Map<string, number>();
  private readonly ranges: LostRange[] = [];

  bind(): null {
    return null;
  }

  discarded(notice: DiscardedNotice): void {
    const cpu = cpuOfStreamFile(notice.streamFile);
    if (notice.what === 'packet') this.lostPackets += notice.count;
    else {
      this.total += notice.count;
      const key = cpu === null ? 'unknown' : String(cpu);
      this.byCpu.set(key, (this.byCpu.get(key) ?? 0) + notice.count);
    }
    if (this.ranges.length < MAX_RANGES) this.ranges.push({ cpu, count: notice.count, beginNs: notice.beginNs, endNs: notice.endNs, what: notice.what });
  }

  finalize(end: Ending): LostEventsResult {
    const uncertain: string[] = [];
    const time = (ns: bigint | null) => (ns === null ? '?' : `${((Number(ns - end.clock.originNs)) / 1e9).toFixed(6)} s`);
    for (const range of this.ranges) {
      const where = range.cpu === null ? 'an unknown CPU' : `CPU ${range.cpu}`;
      const what = range.what === 'packet' ? `${range.count} packets` : `${range.count} events`;
      uncertain.push(
        `${what} lost on ${where} between ${time(range.beginNs)} and ${time(range.endNs)} after the first event: ` +
          'syscall counts and latencies, CPU time (a lost sched_switch gives a thread the time until the next one), ' +
          'run-queue latency, I/O bytes and fd names of that CPU in that range',
      );
    }
    const { unmatchedEntries, unmatchedExits } = end.model;
    if (this.total + this.lostPackets > 0 && unmatchedEntries + unmatchedExits > 0) {
      uncertain.push(`${unmatchedEntries} syscall entries without exit and ${unmatchedExits} exits without entry have no latency`);
    }
    return {
      total: this.total,
      byCpu: Object.fromEntries(this.byCpu),
      ranges: this.ranges.map((r) => ({ cpu: r.cpu, count: r.count, beginNs: r.beginNs?.toString() ?? null, endNs: r.endNs?.toString() ?? null })),
      uncertain,
    };
  }
}
