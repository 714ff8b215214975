// What each backend says about its recording in metadata.json's
// backend.details. Filled in as the run goes (the early metadata.json holds
// what was known then), hence the optional fields. Types only: readers of
// metadata.json load no recorder.

import type { UserArgumentStatus } from './ftrace/user-argument-recorder.js';

export interface StatedumpCost {
  label: string;
  tasks: number;
  fds: number;
  milliseconds: number;
}

/** What the bpftrace copy of path and address arguments did; counts once the CTF is written. */
export type UserArgumentDetails = UserArgumentStatus & Partial<{ records: number; matched: number; repeated: number; unread: number; lost: number }>;

export interface FtraceDetails {
  /** Our own tracefs instance (instances/<name>). */
  instance?: string;
  tracefs?: string;
  /** local where the TSC is stable (mapped to CLOCK_MONOTONIC through clock_samples), else mono. */
  trace_clock?: 'mono' | 'local';
  /** Why mono where local was wanted. */
  trace_clock_reason?: string;
  /** The local -> monotonic samples taken while recording, and how many failed. */
  clock_samples?: { count: number; max_error_ns: number; offset_drift_ns: number; failed: number };
  buffer_mode?: 'discard';
  buffer_size_per_cpu_bytes?: number;
  sub_buffer_bytes?: number;
  /** Ring-buffer pages copied to the capture while recording (the buffer was filling up), and after the recording stopped. */
  copied_while_recording_bytes?: number;
  copied_after_recording_bytes?: number;
  /** Instances of runs that died without cleaning up, removed before this one. */
  stale_instances_removed?: string[];
  scope_filter?: string;
  statedumps?: StatedumpCost[];
  /** CLOCK_REALTIME - CLOCK_MONOTONIC at the start (or the userspace trace's, to merge both). */
  realtime_offset_ns?: string;
  user_arguments?: UserArgumentDetails;
}

export interface SessiondDetails {
  pid: number;
  started_by_run: boolean;
  started_by_benchmark_tracer: boolean;
}

export interface LttngKernelDetails {
  session: string;
  sessiond?: SessiondDetails;
  channel?: string;
  subbuffer_bytes?: number;
  subbuffer_count?: number;
  contexts?: string[];
  scope?: { kind: string; filter?: string | null; unfiltered_events?: string[] };
  /** Why a regenerated statedump failed: fds stay unnamed, the recording goes on. */
  statedump_error?: string;
  discarded_events?: Record<string, number>;
}

/** metadata.json's backend: which one recorded, why it was chosen, and its own facts. */
export type BackendRecord =
  | { name: 'ftrace'; reason: string; details: FtraceDetails }
  | { name: 'lttng'; reason: string; details: LttngKernelDetails };
