// The result of `analyze`: one JSON document that the terminal report, the
// HTML report and `compare` all read. Times are nanoseconds as numbers
// (2^53 ns is 104 days: enough for any trace's durations); absolute
// timestamps are strings, as in metadata.json, because they do not fit.

import type { SocketConnection } from '../model/socket-connection.js';

export const ANALYSIS_FORMAT_VERSION = 1;

export interface LatencySummary {
  count: number;
  minNs: number;
  meanNs: number;
  p50Ns: number;
  p95Ns: number;
  p99Ns: number;
  maxNs: number;
  totalNs: number;
}

/** A log-scale histogram: bucket i counts values in [bounds[i], bounds[i+1]). */
export interface Histogram {
  boundsNs: number[];
  counts: number[];
}

export interface ThreadRef {
  tid: number;
  pid: number | null;
  name: string;
}

export interface ProcessRef {
  pid: number;
  name: string;
}

export interface SyscallStats {
  name: string;
  /** Calls: entry events (latency.count counts those whose exit is in the trace too). */
  count: number;
  latency: LatencySummary;
  /** errno name (ENOENT...) or the negative number when unknown -> count. */
  errors: Record<string, number>;
  /** Total time in this syscall over traced wall time (summed over threads, so can exceed 1). */
  shareOfWallTime: number;
  histogram: Histogram;
}

export interface SyscallsResult {
  total: number;
  /** Sorted by total time, descending. */
  bySyscall: SyscallStats[];
  byProcess: Array<ProcessRef & { count: number; errors: number; totalNs: number; shareOfWallTime: number; top: Array<{ name: string; count: number; totalNs: number }> }>;
  byThread: Array<ThreadRef & { count: number; errors: number; totalNs: number; shareOfWallTime: number }>;
  /** Entries whose exit is not in the trace (end of trace, lost events). */
  unmatchedEntries: number;
  /** Exits whose entry is not in the trace. */
  unmatchedExits: number;
}

export interface CpuResult {
  /** Per CPU: busy and idle time within the traced interval of that CPU. */
  byCpu: Array<{ cpu: number; busyNs: number; idleNs: number; tracedNs: number; switches: number }>;
  byProcess: Array<ProcessRef & { cpuNs: number; share: number }>;
  /** share: cpuNs over the trace's duration (1 = one CPU all the time). switches: times put on a CPU. */
  byThread: Array<ThreadRef & { cpuNs: number; share: number; switches: number }>;
  /** Wakeup (sched_waking, else sched_wakeup) to sched_switch in. */
  runQueueLatency: LatencySummary & { histogram: Histogram };
  /** Who ran on each CPU over time, in equal buckets: the thread with most time in each bucket. */
  timeline: {
    startNs: string;
    bucketNs: number;
    cpus: Array<{ cpu: number; buckets: Array<{ tid: number; busyShare: number } | null> }>;
    threads: ThreadRef[];
  };
}

export interface FileIo {
  path: string | null;
  /** 'file' | 'socket' | 'pipe' | 'anon' | 'unknown' */
  kind: string;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

export interface IoResult {
  byProcess: Array<ProcessRef & { readBytes: number; writeBytes: number; reads: number; writes: number }>;
  byFile: Array<FileIo & { processes: number[] }>;
  /** I/O syscalls on an fd, and how many of those had the fd's path known. */
  fdOperations: number;
  fdOperationsResolved: number;
  resolvedShare: number;
}

/** The model's SocketConnection (pid, fd, direction, family, local, peer, sent and received bytes) as reported: with its process's name and absolute times. */
export interface Connection extends Omit<SocketConnection, 'openedNs'> {
  process: string;
  openedNs: string | null;
  closedNs: string | null;
}

export interface NetworkResult {
  accepted: number;
  connected: number;
  connections: Connection[];
  byProcess: Array<ProcessRef & { sentBytes: number; receivedBytes: number; connections: number }>;
}

export interface ProcessNode {
  pid: number;
  parentPid: number | null;
  names: string[];
  /** exec'd filenames in order. */
  execs: Array<{ timeNs: string; filename: string }>;
  forkedNs: string | null;
  exitedNs: string | null;
  threads: number;
  children: ProcessNode[];
}

export interface ProcessesResult {
  forks: number;
  execs: number;
  exits: number;
  roots: ProcessNode[];
}

export interface LostEventsResult {
  total: number;
  byCpu: Record<string, number>;
  /** Time ranges in which events were lost. */
  ranges: Array<{ cpu: number | null; count: number; beginNs: string | null; endNs: string | null }>;
  /** Which results above the losses make uncertain, in plain words. */
  uncertain: string[];
}

/** Each analysis's result under its name (registry.ts: an analysis module's name is its key here). */
export interface AnalysisResults {
  syscalls: SyscallsResult;
  cpu: CpuResult;
  io: IoResult;
  network: NetworkResult;
  processes: ProcessesResult;
  lost: LostEventsResult;
}

export interface AnalysisReport extends AnalysisResults {
  formatVersion: number;
  tool: { name: string; version: string };
  trace: {
    path: string;
    /** From metadata.json when the trace is one of ours. */
    application: string | null;
    hostname: string | null;
    tracer: string | null;
    events: number;
    firstNs: string | null;
    lastNs: string | null;
    durationNs: number;
    cpus: number[];
    eventCounts: Record<string, number>;
    /** Why reading stopped early (a damaged trace), or null: the results cover what was read. */
    damage: string | null;
  };
  /** Things the trace did not allow to answer (no sched_switch events, ...). */
  notes: string[];
}
