// metadata.json: its one schema, its format version, its writer and its one
// reader. Every field of the original utility comes first, unchanged; then
// what a reader of the trace needs to trust it. Written on every exit path,
// failures included. Readers (analyze, the benchmarks, the tests) go through
// readRunMetadata, never JSON.parse and a cast.

import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceAccess } from '../apps/profile.js';
import type { BackendRecord } from '../backends/backend-details.js';
import type { UserspaceSummary } from '../backends/lttng/userspace.js';
import { TOOL_NAME } from '../version.js';

/**
 * Raised on every change a reader must know of (a field renamed, removed or
 * given a new meaning); adding a field does not raise it. Older formats are
 * brought up to this one as they are read (UPGRADES).
 *   1  the first (files without format_version are 1)
 *   2  phases named after the run's phases (RUN_PHASES), the writing's steps apart
 */
export const METADATA_FORMAT_VERSION = 2;

/** The phases of a run, in order; metadata.json's `phases` names them. */
export const RUN_PHASES = ['prepare', 'launch', 'ready', 'workload', 'stop', 'write'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export interface PhaseRecord {
  name: RunPhase;
  seconds: number;
  /** The parts of a phase that has several (write: ctf, then text). */
  steps?: Array<{ name: string; seconds: number }>;
}

export const METADATA_FILE = 'metadata.json';

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

export interface TraceRecord {
  kernel_dir: string;
  events_total: number;
  event_counts: Record<string, number>;
  events_lost_per_cpu: Record<string, number>;
  events_lost_total: number;
  bytes_written: number;
  records_skipped: number;
  first_timestamp_ns: string | null;
  last_timestamp_ns: string | null;
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
  /** METADATA_FORMAT_VERSION of the tool that wrote it. */
  format_version: number;
  interrupted: string | null;
  tool: { name: string; version: string };
  host: { hostname: string; kernel_release: string; kernel_version: string; cpu_count: number };
  app: { version: string | null; config: Record<string, unknown>; access: InstanceAccess | null };
  backend: BackendRecord | null;
  clock: { name: string; description: string; realtime_offset_ns: string | null };
  events: { spec: string; tracepoints: string[]; skipped_not_in_kernel: string[] } | null;
  scope: { mode: 'process-tree' | 'system-wide'; root_pids: number[]; clients_traced: boolean };
  commands: CommandRecord[];
  benchmark: { command: string; iterations: number; figures: Record<string, number> } | null;
  trace: TraceRecord | null;
  /** --userspace: the LTTng-UST trace in ust/; error says why it is missing or incomplete. */
  userspace: (Partial<UserspaceSummary> & { helpers: string[]; error: string | null }) | null;
  text: { file: string | null; produced_by: string | null; note: string | null };
  /** Wall-clock seconds of each phase the run went through, in RUN_PHASES' order. */
  phases: PhaseRecord[];
  warnings: string[];
}

export function writeMetadata(runDir: string, metadata: RunMetadata): void {
  const path = join(runDir, METADATA_FILE);
  const temporary = `${path}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(metadata, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** A metadata.json that is not ours, is damaged, or is of a newer format: the message is one line. */
export class MetadataFormatError extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(`${file}: ${why}`);
    this.name = 'MetadataFormatError';
  }
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isBoolean: Check = (v) => typeof v === 'boolean';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArray: Check = (v) => Array.isArray(v);
const orNull = (check: Check): Check => (v) => v === null || check(v);
const isStringArray: Check = (v) => Array.isArray(v) && v.every(isString);

/**
 * The fields every reader relies on, with their types. Deeper parts are the
 * writer's own shape (one version of one program): checked as objects, not
 * field by field.
 */
const REQUIRED: Record<string, Check> = {
  application: isString,
  session_name: isString,
  timestamp: isString,
  command: isString,
  start_time: isString,
  end_time: orNull(isString),
  setup_commands: isStringArray,
  test_commands: isStringArray,
  success: isBoolean,
  execution_time: orNull(isNumber),
  return_code: orNull(isNumber),
  error: orNull(isString),
  interrupted: orNull(isString),
  host: isObject,
  backend: orNull(isObject),
  scope: isObject,
  commands: isArray,
  trace: orNull(isObject),
  phases: isArray,
  warnings: isStringArray,
};

/** Format 1 named the steps of the progress display; each maps to the phase (and step) it belongs to. */
const FORMAT_1_PHASES: Record<string, [RunPhase, string?]> = {
  preparing: ['prepare'],
  recording: ['launch'],
  'waiting for readiness': ['ready'],
  'smoke test': ['ready'],
  benchmark: ['workload'],
  stopping: ['stop'],
  'writing CTF': ['write', 'ctf'],
  'writing text': ['write', 'text'],
};

function phasesFromFormat1(old: Array<{ name: string; seconds: number }>): PhaseRecord[] {
  const phases: PhaseRecord[] = [];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const { name, seconds } of old) {
    const [phase, step] = FORMAT_1_PHASES[name] ?? [];
    if (!phase) continue;
    let last = phases.at(-1);
    if (last?.name !== phase) phases.push((last = { name: phase, seconds: 0 }));
    last.seconds = round(last.seconds + seconds);
    if (step) (last.steps ??= []).push({ name: step, seconds });
  }
  return phases;
}

/** From each older format to the next: the reader applies them in turn. */
const UPGRADES: Record<number, (metadata: Record<string, unknown>) => void> = {
  1: (m) => {
    m.phases = phasesFromFormat1(m.phases as Array<{ name: string; seconds: number }>);
  },
};

/** Checks a parsed metadata.json and brings an older format up to this one; `file` names it in errors. */
export function parseRunMetadata(value: unknown, file: string): RunMetadata {
  if (!isObject(value)) throw new MetadataFormatError(file, 'not a metadata.json of a run (not a JSON object)');
  const tool = value.tool;
  if (!isObject(tool) || tool.name !== TOOL_NAME) throw new MetadataFormatError(file, `not a metadata.json written by ${TOOL_NAME}`);
  // Runs before format_version existed wrote what format 1 is.
  const version = value.format_version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new MetadataFormatError(file, `format_version ${JSON.stringify(version)} is not a version`);
  if (version > METADATA_FORMAT_VERSION) {
    throw new MetadataFormatError(
      file,
      `written by a newer ${TOOL_NAME} (${String(tool.version)}, metadata format ${version}); this one (format ${METADATA_FORMAT_VERSION}) cannot read it: upgrade`,
    );
  }
  for (const [field, check] of Object.entries(REQUIRED)) {
    if (!check(value[field])) throw new MetadataFormatError(file, `damaged: field "${field}" is ${field in value ? `not what it should be (${JSON.stringify(value[field])?.slice(0, 60)})` : 'missing'}`);
  }
  const upgraded: Record<string, unknown> = { ...value };
  for (let from = version; from < METADATA_FORMAT_VERSION; from++) UPGRADES[from]!(upgraded);
  return { ...(upgraded as unknown as RunMetadata), format_version: METADATA_FORMAT_VERSION };
}

/** Reads the metadata.json of a run directory, or the file at `path`. */
export function readRunMetadata(path: string): RunMetadata {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, METADATA_FILE) : path;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MetadataFormatError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MetadataFormatError(file, `damaged: not JSON (${(error as Error).message})`);
  }
  return parseRunMetadata(parsed, file);
}
