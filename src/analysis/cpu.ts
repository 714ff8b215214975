// CPU: who ran where and for how long, from sched_switch. A CPU's traced
// time starts at its first sched_switch (before it, who ran is unknown) and
// ends at the trace's last event, so busy + idle = traced, exactly.
// Run-queue latency: sched_waking (else sched_wakeup) of a thread to the
// sched_switch that puts it on a CPU.

import { intAt, type EventClassInfo } from '../model/event-class-info.js';
import type { EventView } from '../model/event-view.js';
import { LatencyHistogram } from './histogram.js';
import type { CpuResult, ThreadRef } from './model.js';
import { topBy, type AnalysisHandler, type AnalysisModule, type Ending, type EventFunction, type TraceFacts } from './registry.js';

const TIMELINE_BUCKETS = 1000;
const FIRST_BUCKET_NS = 1024;
/** Intervals a CPU keeps before putting them in buckets (see CpuState.pending). */
const PENDING_INTERVALS = 1024;
const IDLE_TID = 0;

interface CpuState {
  cpu: number;
  tid: number;
  sinceNs: number;
  firstNs: number;
  busyNs: number;
  idleNs: number;
  switches: number;
  /** Per timeline bucket: tid -> ns run in it (idle included, so a bucket with any known time is not empty). */
  buckets: Array<Map<number, number> | undefined>;
  /**
   * Intervals not yet in buckets, as from, to, tid: put in them once the
   * latest time among them is known, so that a trace shorter than that is
   * bucketed once, at the timeline's final width, rather than in narrow
   * buckets merged pair by pair as the trace goes on. The sums are the same
   * (integer ns), and so is each bucket's order of threads (by time).
   */
  pending: number[];
}

export const cpuAnalysis: AnalysisModule<'cpu'> = {
  name: 'cpu',
  deps: [],
  create: () => new CpuAnalysis(),
};

class CpuAnalysis implements AnalysisHandler<'cpu', never> {
  private readonly cpus = new Map<number, CpuState>();
  private readonly threadNs = new Map<number, number>();
  private readonly threadSwitches = new Map<number, number>();
  private readonly wakeups = new Map<number, number>();
  private readonly runQueue = new LatencyHistogram();
  private bucketNs = FIRST_BUCKET_NS;
  private wakeupSource: string | null = null;

  bind(info: EventClassInfo): EventFunction | null {
    if (info.name === 'sched_switch') {
      const prevTid = info.field('prev_tid');
      const nextTid = info.field('next_tid');
      return (view) => this.switched(view, intAt(view.payload, prevTid), intAt(view.payload, nextTid));
    }
    const wakingExists = info.traceEventNames.has('sched_waking');
    if (info.name === 'sched_waking' || info.name === 'sched_wakeup_new' || (info.name === 'sched_wakeup' && !wakingExists)) {
      if (info.name !== 'sched_wakeup_new') this.wakeupSource = info.name;
      const tid = info.field('tid');
      return (view) => {
        const woken = intAt(view.payload, tid);
        if (!this.wakeups.has(woken)) this.wakeups.set(woken, view.timeNs);
      };
    }
    return null;
  }

  private switched(view: EventView, _prevTid: number, nextTid: number): void {
    const now = view.timeNs;
    let cpu = this.cpus.get(view.cpu);
    if (!cpu) {
      cpu = { cpu: view.cpu, tid: nextTid, sinceNs: now, firstNs: now, busyNs: 0, idleNs: 0, switches: 0, buckets: [], pending: [] };
      this.cpus.set(view.cpu, cpu);
    } else {
      this.account(cpu, now);
      cpu.tid = nextTid;
      cpu.sinceNs = now;
    }
    cpu.switches++;
    this.threadSwitches.set(nextTid, (this.threadSwitches.get(nextTid) ?? 0) + 1);
    const woken = this.wakeups.get(nextTid);
    if (woken !== undefined) {
      this.runQueue.add(now - woken);
      this.wakeups.delete(nextTid);
    }
  }

  /** Gives [cpu.sinceNs, now) to the thread that ran. */
  private account(cpu: CpuState, now: number): void {
    const ns = now - cpu.sinceNs;
    if (ns <= 0) return;
    if (cpu.tid === IDLE_TID) cpu.idleNs += ns;
    else {
      cpu.busyNs += ns;
      this.threadNs.set(cpu.tid, (this.threadNs.get(cpu.tid) ?? 0) + ns);
    }
    this.addToTimeline(cpu, cpu.tid, cpu.sinceNs, now);
  }

  private addToTimeline(cpu: CpuState, tid: number, from: number, to: number): void {
    // The timeline starts at the trace's origin: a damaged time before it must not make buckets without end.
    from = Math.max(from, 0);
    if (!(to > from)) return;
    cpu.pending.push(from, to, tid);
    if (cpu.pending.length >= 3 * PENDING_INTERVALS) this.bucketPending(cpu);
  }

  private bucketPending(cpu: CpuState): void {
    const pending = cpu.pending;
    let latest = 0;
    for (let i = 1; i < pending.length; i += 3) latest = Math.max(latest, pending[i]!);
    while (latest > this.bucketNs * TIMELINE_BUCKETS) this.widenBuckets();
    const width = this.bucketNs;
    for (let i = 0; i < pending.length; i += 3) {
      const from = pending[i]!;
      const to = pending[i + 1]!;
      const tid = pending[i + 2]!;
      for (let bucket = Math.floor(from / width); bucket * width < to; bucket++) {
        const overlap = Math.min(to, (bucket + 1) * width) - Math.max(from, bucket * width);
        if (overlap <= 0) continue;
        let map = cpu.buckets[bucket];
        if (!map) cpu.buckets[bucket] = map = new Map();
        map.set(tid, (map.get(tid) ?? 0) + overlap);
      }
    }
    pending.length = 0;
  }

  /** Doubles the bucket width: pairs of buckets merge, so the timeline keeps a fixed size over any trace length. */
  private widenBuckets(): void {
    this.bucketNs *= 2;
    for (const cpu of this.cpus.values()) {
      const merged: Array<Map<number, number> | undefined> = [];
      cpu.buckets.forEach((map, index) => {
        if (!map) return;
        const target = index >> 1;
        const into = merged[target];
        if (!into) merged[target] = map;
        else for (const [tid, ns] of map) into.set(tid, (into.get(tid) ?? 0) + ns);
      });
      cpu.buckets = merged;
    }
  }

  finalize(end: Ending): CpuResult {
    for (const cpu of this.cpus.values()) {
      this.account(cpu, end.endNs);
      cpu.sinceNs = end.endNs;
    }
    for (const cpu of this.cpus.values()) this.bucketPending(cpu);
    const duration = end.durationNs > 0 ? end.durationNs : 1;
    const cpus = [...this.cpus.values()].sort((a, b) => a.cpu - b.cpu);
    // Objects written out, not spread: thousands of threads, in code that runs once (unoptimized).
    // Entries indexed, not destructured: unoptimized destructuring runs the iterator protocol, per thread.
    const byThread = topBy(this.threadNs, (entry) => entry[1]).map((entry) => {
      const tid = entry[0];
      const ns = entry[1];
      const ref = end.threadRef(tid);
      return { tid, pid: ref.pid, name: ref.name, cpuNs: ns, share: ns / duration, switches: this.threadSwitches.get(tid) ?? 0 };
    });
    const perProcess = new Map<number, number>();
    for (const thread of byThread) {
      const pid = thread.pid ?? thread.tid;
      perProcess.set(pid, (perProcess.get(pid) ?? 0) + thread.cpuNs);
    }
    const byProcess = topBy(perProcess, ([, ns]) => ns).map(([pid, ns]) => ({ pid, name: end.processRef(pid).name, cpuNs: ns, share: ns / duration }));

    const bucketCount = Math.min(TIMELINE_BUCKETS, Math.ceil(end.endNs / this.bucketNs) || 1);
    const timelineTids = new Set<number>();
    const timelineCpus = cpus.map((cpu) => {
      const buckets: Array<{ tid: number; busyShare: number } | null> = [];
      for (let i = 0; i < bucketCount; i++) {
        const map = cpu.buckets[i];
        if (!map) {
          buckets.push(null);
          continue;
        }
        let topTid = IDLE_TID;
        let topNs = 0;
        let busy = 0;
        // forEach and plain assignments: this runs once per bucket, unoptimized, where destructuring allocates.
        map.forEach((ns, tid) => {
          if (tid === IDLE_TID) return;
          busy += ns;
          if (ns > topNs) {
            topTid = tid;
            topNs = ns;
          }
        });
        if (topTid !== IDLE_TID) timelineTids.add(topTid);
        buckets.push({ tid: topTid, busyShare: Math.min(1, busy / this.bucketNs) });
      }
      return { cpu: cpu.cpu, buckets };
    });
    // Thousands of tids: sorted natively as numbers, not by a comparator.
    const threads: ThreadRef[] = Array.from(Float64Array.from(timelineTids).sort(), (tid) => end.threadRef(tid));

    return {
      byCpu: cpus.map((cpu) => ({
        cpu: cpu.cpu,
        busyNs: cpu.busyNs,
        idleNs: cpu.idleNs,
        tracedNs: end.endNs - cpu.firstNs,
        switches: cpu.switches,
      })),
      byProcess,
      byThread,
      runQueueLatency: { ...this.runQueue.summary(), histogram: this.runQueue.exportHistogram() },
      timeline: { startNs: end.clock.absolute(0)!, bucketNs: this.bucketNs, cpus: timelineCpus, threads },
    };
  }

  notes(_result: CpuResult, facts: TraceFacts): string[] {
    const notes: string[] = [];
    if (!facts.has('sched_switch')) notes.push('no sched_switch events: no CPU time, timeline or run-queue latency');
    else {
      if (!this.wakeupSource) notes.push('no sched_waking or sched_wakeup events: no run-queue latency');
      if (facts.scopeMode === 'process-tree') {
        notes.push(
          'the trace follows a process tree: a context switch is recorded only when a traced thread is on one side, ' +
            'so CPU time of processes outside the tree (and idle time) is approximate; that of traced threads is exact',
        );
      }
    }
    return notes;
  }
}
