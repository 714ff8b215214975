// metadata.json: every field of the original utility, then what a reader of
// the trace needs to trust it. Written on every exit path, failures included.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceAccess } from '../apps/profile.js';
import type { UserspaceSummary } from '../backends/lttng/userspace.js';

export interface CommandRecord {
  label: string;
  role: 'server' | 'smoke' | 'benchmark' | 'stop';
  command: string;
  /** The process that ran it (its tree's root in the trace). */
  pid: number;
  return_code: number | null;
  signal: string | null;
  traced: boolean;
  seconds: number;
  /** Stopped by us when --duration was over, not ended by itself. */
  stopped_at_deadline: boolean;
  stdout_tail: string;
  stderr_tail: string;
}

export interface RunMetadata {
  // The original utility's fields.
  application: string;
  session_name: string;
  timestamp: string;
  command: string;
  description: string;
  trace_duration: number | null;
  start_time: string;
  end_time: string | null;
  setup_commands: string[];
  test_commands: string[];
  success: boolean;
  execution_time: number | null;
  return_code: number | null;
  error: string | null;

  // What a reader of the trace needs.
  interrupted: string | null;
  tool: { name: string; version: string };
  host: { hostname: string; kernel_release: string; kernel_version: string; cpu_count: number };
  app: { version: string | null; config: Record<string, unknown>; access: InstanceAccess | null };
  backend: { name: string; reason: string; details: Record<string, unknown> } | null;
  clock: { name: string; description: string; realtime_offset_ns: string | null };
  events: { spec: string; tracepoints: string[]; skipped_not_in_kernel: string[] } | null;
  scope: { mode: 'process-tree' | 'system-wide'; root_pids: number[]; clients_traced: boolean };
  commands: CommandRecord[];
  benchmark: { command: string; iterations: number; figures: Record<string, number> } | null;
  trace: {
    kernel_dir: string;
    events_total: number;
    event_counts: Record<string, number>;
    events_lost_per_cpu: Record<string, number>;
    events_lost_total: number;
    bytes_written: number;
    records_skipped: number;
    first_timestamp_ns: string | null;
    last_timestamp_ns: string | null;
  } | null;
  /** --userspace: the LTTng-UST trace in ust/; error says why it is missing or incomplete. */
  userspace: (Partial<UserspaceSummary> & { helpers: string[]; error: string | null }) | null;
  text: { file: string | null; produced_by: string | null; note: string | null };
  /** Wall-clock seconds of each phase of the run, in order (preparing, recording, ..., writing CTF, writing text). */
  phases: Array<{ name: string; seconds: number }>;
  warnings: string[];
}

export function writeMetadata(runDir: string, metadata: RunMetadata): void {
  const path = join(runDir, 'metadata.json');
  const temporary = `${path}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(metadata, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
