// The contract between a run and a kernel tracer. A session calls, in order:
// prepare -> start -> follow/statedump (as processes appear) -> stop ->
// writeTrace; cleanup() may come at any point, also from a signal handler,
// so it is synchronous and idempotent.

import type { BackendRecord } from './backend-details.js';
import type { Tracepoint } from './event-set.js';

export type BackendName = 'ftrace' | 'lttng';

export interface BackendOptions {
  events: Tracepoint[];
  /** Record every process but the tracer's own, instead of the followed tree. */
  systemWide: boolean;
  /** Copy what syscall pointer arguments point to (paths, socket addresses), where the backend does not already. */
  userArguments: boolean;
  /** Expected length of the run in seconds, when known: sizes the buffers. */
  durationSeconds: number | null;
  /** Where the backend may keep what it records until writeTrace. */
  workDir: string;
  /** --buffer-size: the per-CPU buffer wanted, instead of one sized from the duration and free memory. */
  perCpuBufferBytes: number | null;
}

export interface LiveCounters {
  events: number;
  bytes: number;
  lost: number;
}

export interface TraceWriteResult {
  eventsTotal: number;
  /** Events written per CTF event name (only names that occur). */
  eventCounts: Record<string, number>;
  lostPerCpu: Record<string, number>;
  bytesWritten: number;
  firstTimestampNs: string | null;
  lastTimestampNs: string | null;
  /**
   * Records recorded but left out of the trace: of an event the recording
   * does not describe, with an impossible timestamp, or cut short.
   */
  skippedRecords: number;
}

export interface TraceEnvironment {
  hostname: string;
  kernelRelease: string;
  kernelVersion: string;
  tracerName: string;
  tracerVersion: string;
}

/** A kernel backend's companion recording: its own process, the backend's output. */
export interface CompanionRecording {
  /** Before the server exists; never throws for its own failures (they go into the backend's details). */
  start(): Promise<void>;
  /** Adds a process held at its gate, and what it forks from then on. */
  follow(pid: number): void;
  /** Flushes what it recorded, for writeTrace(). */
  stop(): Promise<void>;
  /** Synchronous and idempotent, for any exit path. */
  kill(): void;
}

export interface RecordingBackend {
  readonly name: BackendName;
  /**
   * metadata.json's backend: its name, why it was chosen, and facts about the
   * recording (buffer sizes, instance name, clock...), kept up to date as the
   * run goes (one object, shared).
   */
  describe(reason: string): BackendRecord;
  prepare(): Promise<void>;
  start(): void;
  /**
   * The argv that a traced command is started under (before its own), so that
   * it is in scope from its first instruction; empty when follow() suffices.
   */
  launchPrefix(): string[];
  /** Adds a process and, from then on, every child it forks to the traced set. */
  follow(pid: number): void;
  /**
   * A recording beside the kernel's that completes its trace (tracefs:
   * bpftrace's copy of paths and socket addresses), run as a recorder of its
   * own and converted with the trace by writeTrace(); null when there is none.
   * Known once prepare() is done.
   */
  companion(): CompanionRecording | null;
  /**
   * Records the current state (threads, open files, sockets) of these
   * processes (all of them when null), as LTTng's statedump; any number of
   * times while recording, each appearing in the trace at its own time.
   * `label` says why (start, ready, end).
   */
  statedump(pids: number[] | null, label: string): void;
  counters(): LiveCounters;
  /**
   * Called at most once, when the recording cannot go on (its output cannot be
   * written: a full or read-only filesystem); what was captured until then is
   * kept whole, and the run ends early. A backend whose writer copes alone never calls it.
   */
  onFailure(listener: (error: Error) => void): void;
  /**
   * Maps monotonic time to wall-clock time with this offset (CLOCK_REALTIME -
   * CLOCK_MONOTONIC, ns) instead of the backend's own sample, so that another
   * trace of the same clock (LTTng-UST's) lines up to the nanosecond. Before stop().
   */
  useRealtimeOffset(offsetNs: bigint): void;
  stop(): Promise<void>;
  /** Writes the CTF trace into kernelDir. */
  writeTrace(
    kernelDir: string,
    env: TraceEnvironment,
    onProgress?: (p: { events: number; bytes: number }) => void,
  ): Promise<TraceWriteResult>;
  cleanup(): void;
}
