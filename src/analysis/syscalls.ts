// Syscalls: per syscall, process and thread: calls, errors by errno, and
// latency from entry to exit on the same thread.

import type { EventClassInfo } from '../model/event-class-info.js';
import type { EventView } from '../model/event-view.js';
import { errnoName, isErrorReturn } from './errno.js';
import { LatencyHistogram } from './histogram.js';
import type { SyscallsResult, SyscallStats } from './model.js';
import { topBy, type AnalysisHandler, type AnalysisModule, type Ending, type EventFunction, type TraceFacts } from './registry.js';

interface PerSyscall {
  calls: number;
  latency: LatencyHistogram;
  errors: Map<number, number>;
}

interface ThreadCounts {
  tid: number;
  calls: number;
  errors: number;
  totalNs: number;
  /** syscall id -> [calls, total ns] */
  bySyscall: Map<number, [number, number]>;
}

const TOP_PER_PROCESS = 5;

export const syscallsAnalysis: AnalysisModule<'syscalls'> = {
  name: 'syscalls',
  deps: [],
  create: () => new SyscallAnalysis(),
};

class SyscallAnalysis implements AnalysisHandler<'syscalls', never> {
  private readonly perSyscall: PerSyscall[] = [];
  /** By the model's thread index; threadsInOrder lists them as they first made a syscall. */
  private readonly perThread: Array<ThreadCounts | undefined> = [];
  private readonly threadsInOrder: ThreadCounts[] = [];
  private total = 0;

  bind(info: EventClassInfo): EventFunction | null {
    if (info.role === 'entry') return (view) => this.entry(view);
    if (info.role === 'exit') return (view) => this.exit(view);
    return null;
  }

  private stats(id: number): PerSyscall {
    let stats = this.perSyscall[id];
    if (!stats) {
      stats = { calls: 0, latency: new LatencyHistogram(), errors: new Map() };
      this.perSyscall[id] = stats;
    }
    return stats;
  }

  private threadCounts(view: EventView): ThreadCounts {
    const index = view.thread.index;
    let counts = this.perThread[index];
    if (!counts) {
      counts = { tid: view.tid, calls: 0, errors: 0, totalNs: 0, bySyscall: new Map() };
      // Filled up to the index, so the array stays dense (a far write would make it a dictionary).
      while (this.perThread.length < index) this.perThread.push(undefined);
      this.perThread[index] = counts;
      this.threadsInOrder.push(counts);
    }
    return counts;
  }

  private entry(view: EventView): void {
    const id = view.syscall!.id;
    this.total++;
    this.stats(id).calls++;
    const counts = this.threadCounts(view);
    counts.calls++;
    const pair = counts.bySyscall.get(id);
    if (pair) pair[0]++;
    else counts.bySyscall.set(id, [1, 0]);
  }

  private exit(view: EventView): void {
    const syscall = view.syscall;
    if (!syscall || view.childReturn) return;
    const stats = this.stats(syscall.id);
    const error = isErrorReturn(view.ret);
    if (error) stats.errors.set(-view.ret, (stats.errors.get(-view.ret) ?? 0) + 1);
    const entry = view.entry;
    if (!entry) return;
    const latency = view.timeNs - entry.startNs;
    stats.latency.add(latency);
    const counts = this.threadCounts(view);
    counts.totalNs += latency;
    if (error) counts.errors++;
    const pair = counts.bySyscall.get(syscall.id);
    if (pair) pair[1] += latency;
  }

  finalize(end: Ending): SyscallsResult {
    const model = end.model;
    const wall = end.durationNs > 0 ? end.durationNs : 1;
    const names = [...model.syscalls.values()];
    const bySyscall: SyscallStats[] = [];
    for (const ref of names) {
      const stats = this.perSyscall[ref.id];
      if (!stats || (stats.calls === 0 && stats.latency.count === 0 && stats.errors.size === 0)) continue;
      const errors: Record<string, number> = {};
      for (const [code, count] of [...stats.errors].sort((a, b) => b[1] - a[1])) errors[errnoName(code)] = count;
      bySyscall.push({
        name: ref.name,
        count: stats.calls,
        latency: stats.latency.summary(),
        errors,
        shareOfWallTime: stats.latency.totalNs / wall,
        histogram: stats.latency.exportHistogram(),
      });
    }
    bySyscall.sort((a, b) => b.latency.totalNs - a.latency.totalNs || b.count - a.count);

    // Objects written out, not spread: thousands of threads, in code that runs once (unoptimized).
    const byThread = topBy(this.threadsInOrder, (c) => c.totalNs).map((c) => {
      const { tid, pid, name } = end.threadRef(c.tid);
      return { tid, pid, name, count: c.calls, errors: c.errors, totalNs: c.totalNs, shareOfWallTime: c.totalNs / wall };
    });

    const processes = new Map<number, { count: number; errors: number; totalNs: number; bySyscall: Map<number, [number, number]> }>();
    for (const c of this.threadsInOrder) {
      const tid = c.tid;
      const thread = model.threads.get(tid);
      const pid = thread?.pid ?? tid;
      let p = processes.get(pid);
      if (!p) {
        p = { count: 0, errors: 0, totalNs: 0, bySyscall: new Map() };
        processes.set(pid, p);
      }
      p.count += c.calls;
      p.errors += c.errors;
      p.totalNs += c.totalNs;
      // forEach and indexes, not destructuring (the iterator protocol, unoptimized, per thread and syscall).
      const merged = p.bySyscall;
      c.bySyscall.forEach((counts, id) => {
        const pair = merged.get(id);
        if (pair) {
          pair[0] += counts[0];
          pair[1] += counts[1];
        } else merged.set(id, [counts[0], counts[1]]);
      });
    }
    const nameOf = names.map((ref) => ref.name);
    const byProcess = topBy(processes, ([, p]) => p.totalNs).map(([pid, p]) => {
      const { name } = end.processRef(pid);
      const top = topBy(p.bySyscall, ([, [, ns]]) => ns, TOP_PER_PROCESS).map(([id, [count, totalNs]]) => ({ name: nameOf[id]!, count, totalNs }));
      return { pid, name, count: p.count, errors: p.errors, totalNs: p.totalNs, shareOfWallTime: p.totalNs / wall, top };
    });

    return {
      total: this.total,
      bySyscall,
      byProcess,
      byThread,
      unmatchedEntries: model.unmatchedEntries,
      unmatchedExits: model.unmatchedExits,
    };
  }

  notes(result: SyscallsResult, facts: TraceFacts): string[] {
    const notes: string[] = [];
    if (result.total === 0) notes.push('no syscall events: no syscall, I/O or network results');
    else if (!facts.sawSyscallExits) notes.push('no syscall exit events: no latencies, errors or I/O bytes');
    if (result.unmatchedEntries + result.unmatchedExits > 0) {
      notes.push(`${result.unmatchedEntries} syscall entries without exit (in flight at the end, or lost) and ${result.unmatchedExits} exits without entry (began before the trace) have no latency`);
    }
    return notes;
  }
}
