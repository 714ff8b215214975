// A kernel trace -> Chrome trace-event JSON, the format Perfetto's UI
// (ui.perfetto.dev) and chrome://tracing open, written as the events come.
//
// Why this format and not systrace text: it keeps nanoseconds (systrace
// prints microseconds, and most syscalls are shorter than one), it carries
// any argument, and it is a single JSON value that tests can parse. What it
// loses is Perfetto's own scheduling view; "CPU n" tracks stand in for it.
//
// What Perfetto's importer accepts, as read in google/perfetto
// src/trace_processor/importers/json/ (commit ec5d16b1, 2026-08):
// - json_trace_tokenizer.cc, JsonImporter::Sniff: the file starts with `{"`
//   or `[{"` (whitespace ignored); keys "traceEvents" (array), "metadata"
//   (object, kept as json_metadata.*) and "displayTimeUnit" are read.
// - CoerceToTs: "ts" and "dur" are microseconds; a fractional double becomes
//   llround(value * 1000) ns, an integer value * 1000.
// - "pid" and "tid" are integers (CoerceToUint32).
// - json_trace_parser.cc: "X" needs "dur" and lands on the thread's track; an
//   "X" that partly overlaps another on its thread is spilled to an overflow
//   track and counted as an error, so ours never overlap. "i"/"I" with
//   "s":"t" is a zero-length slice on the thread, "s":"g" a global instant.
//   "M" named process_name/thread_name takes args.name; process_sort_index
//   takes args.sort_index.
// The importer sorts events by time, so a slice written at its end is fine.

import { isTextElement, type FieldValue } from '../ctf/field-decoder.js';
import { displayName, type FieldClass, type StructClass } from '../ctf/metadata-model.js';
import { absoluteNs, nsBetween, timeOf, type CtfEvent, type DiscardedNotice, type MessageTime } from '../ctf/trace-reader.js';
import type { EventClassInfo } from '../model/event-class-info.js';
import { ModelPass } from '../model/model-pass.js';
import { STATEDUMP_PREFIX, syscallEntryEventName } from '../model/lttng-names.js';
import type { SystemTracker } from '../model/tracker.js';
import type { ByteChunk } from './pretty-text.js';
import { utf8 } from './jsonl.js';

/** Above PID_MAX_LIMIT (4194304): no real process has these ids. */
const CPU_TRACK_BASE = 4_194_304;
const UNKNOWN_THREAD_BASE = CPU_TRACK_BASE + 65_536;

/**
 * How an event class is turned into trace events, worked out once per class.
 * Who the threads are, their names and their syscalls in flight are the
 * model's (src/model/); this plan only says what to write.
 */
type ClassPlan =
  | { kind: 'syscall-entry'; fields: ScalarField[] }
  | { kind: 'syscall-exit'; fields: ScalarField[] }
  | { kind: 'sched-switch'; nextTid: number; nextComm: number }
  | { kind: 'statedump-other' }
  | { kind: 'other'; fields: ScalarField[] };

interface ScalarField {
  name: string;
  index: number;
  text: boolean;
}

/** A CPU track's current slice: who sched_switch put there, as it named it, since when. */
interface Running {
  tid: number;
  name: string;
  startNs: number;
}

/** A thread as the tracks name it: the model's tid, or a track of its own for the unknown thread of a CPU. */
interface TrackThread {
  tid: number;
  pid: number;
}

/** Writes Chrome trace-event JSON for every message it is given, into a chunk the caller flushes. */
export class PerfettoJsonWriter {
  private readonly pass = new ModelPass<ClassPlan>(planFor);
  private readonly model: SystemTracker = this.pass.tracker;
  private origin: MessageTime | null = null;
  private lastNs = 0;
  private wroteEvent = false;
  private readonly running = new Map<number, Running>();
  private readonly namedThreads = new Map<number, string>();
  private readonly namedProcesses = new Map<number, string>();
  private readonly cpuTracks = new Set<number>();

  constructor(private readonly traceNames: string[]) {}

  event(chunk: ByteChunk, event: CtfEvent): void {
    const at = this.time(chunk, event);
    const cpu = event.cpuId ?? 0;
    const pass = this.pass;
    const binding = pass.begin(event, at);
    const view = pass.view;
    // The thread as it was when the event happened, before the event's own effect (a fork's, a statedump's).
    const thread = this.trackThread(view.tid, view.thread.pid);
    pass.apply(binding);
    const plan = binding.plan;
    const payload = event.payload ?? [];

    switch (plan.kind) {
      case 'syscall-entry': {
        const replaced = view.replacedEntry;
        // A second entry without an exit: the first never returned in the trace (lost events, exit).
        if (replaced) this.instant(chunk, syscallEntryEventName(replaced.syscall.name), replaced.startNs, thread, replaced.args ?? {});
        view.thread.pending!.args = args(plan.fields, payload);
        return;
      }
      case 'syscall-exit': {
        const entry = view.entry;
        if (entry) this.slice(chunk, entry.syscall.name, 'syscall', entry.startNs, at - entry.startNs, thread.pid, thread.tid, { ...entry.args, ...args(plan.fields, payload) });
        else this.instant(chunk, event.eventClass.name, at, thread, args(plan.fields, payload));
        return;
      }
      case 'sched-switch': {
        const nextTid = num(payload[plan.nextTid]);
        const nextComm = plan.nextComm >= 0 ? text(payload[plan.nextComm]) : '';
        this.switchCpu(chunk, cpu, at, nextTid, nextComm);
        return;
      }
      case 'statedump-other':
        if (event.eventClass.name === 'lttng_statedump_start' || event.eventClass.name === 'lttng_statedump_end') {
          this.global(chunk, event.eventClass.name, at, {});
        }
        return;
      case 'other':
        this.instant(chunk, event.eventClass.name, at, thread, args(plan.fields, payload));
        return;
    }
  }

  discarded(chunk: ByteChunk, notice: DiscardedNotice): void {
    const at = this.time(chunk, notice);
    this.global(chunk, `${notice.count} ${notice.what}s lost`, at, { stream: notice.streamFile });
  }

  /** Closes what is still open at the last time seen, and the JSON document. */
  finish(chunk: ByteChunk): void {
    if (this.origin === null) this.header(chunk, 0n);
    for (const [cpu, run] of this.running) this.closeRun(chunk, cpu, run, this.lastNs);
    this.running.clear();
    // Syscalls that had not returned when the trace ended, in the order they began.
    const open = [...this.model.threads.values()].filter((thread) => thread.pending !== null);
    open.sort((a, b) => a.pending!.startNs - b.pending!.startNs);
    for (const thread of open) {
      const pending = thread.pending!;
      this.instant(chunk, syscallEntryEventName(pending.syscall.name), pending.startNs, this.trackThread(thread.tid, thread.pid), pending.args ?? {});
    }
    chunk.utf8('\n]}\n');
  }

  private time(chunk: ByteChunk, time: MessageTime): number {
    if (this.origin === null) {
      this.origin = timeOf(time);
      this.header(chunk, absoluteNs(time));
    }
    // Messages come in time order; a notice can sort before the first event it precedes.
    const at = Math.max(0, nsBetween(this.origin, time));
    if (at > this.lastNs) this.lastNs = at;
    return at;
  }

  private header(chunk: ByteChunk, originNs: bigint): void {
    const metadata = { source: 'benchmark-tracer convert --to perfetto', traces: this.traceNames.join(', '), time_origin_unix_ns: originNs.toString() };
    chunk.utf8(`{"displayTimeUnit":"ns","metadata":${JSON.stringify(metadata)},"traceEvents":[`);
  }

  /** The model's unknown thread of CPU N (tid -1 - N) gets a track of its own above the real ids; a thread of unknown group stands for its process. */
  private trackThread(tid: number, pid: number | null): TrackThread {
    if (tid < 0) return { tid: UNKNOWN_THREAD_BASE - 1 - tid, pid: UNKNOWN_THREAD_BASE - 1 - tid };
    return { tid, pid: tid === 0 ? 0 : (pid ?? tid) };
  }

  private switchCpu(chunk: ByteChunk, cpu: number, at: number, nextTid: number, nextComm: string): void {
    const run = this.running.get(cpu);
    if (run) this.closeRun(chunk, cpu, run, at);
    this.running.set(cpu, { tid: nextTid, name: nextComm, startNs: at });
  }
  /** A CPU track's slice: who ran there, from one switch to the next (idle is a gap). */
  private closeRun(chunk: ByteChunk, cpu: number, run: Running, endNs: number): void {
    if (run.tid === 0) return;
    if (!this.cpuTracks.has(cpu)) {
      this.cpuTracks.add(cpu);
      const id = CPU_TRACK_BASE + cpu;
      // CPUs first, in order.
      this.metadata(chunk, 'process_name', 0, id, id, { name: `CPU ${cpu}` });
      this.metadata(chunk, 'process_sort_index', 0, id, id, { sort_index: -1000 + cpu });
      this.metadata(chunk, 'thread_name', 0, id, id, { name: `CPU ${cpu}` });
    }
    const pid = this.model.threads.get(run.tid)?.pid ?? run.tid;
    this.slice(chunk, `${run.name} ${run.tid}`, 'sched', run.startNs, endNs - run.startNs, CPU_TRACK_BASE + cpu, CPU_TRACK_BASE + cpu, { tid: run.tid, pid });
  }

  private slice(chunk: ByteChunk, name: string, cat: string, startNs: number, durNs: number, pid: number, tid: number, sliceArgs: Record<string, unknown>): void {
    if (pid < CPU_TRACK_BASE) this.nameThread(chunk, pid, tid, startNs);
    chunk.utf8(`${this.separator()}{"ph":"X","name":${JSON.stringify(name)},"cat":"${cat}","ts":${micros(startNs)},"dur":${micros(durNs)},"pid":${pid},"tid":${tid},"args":${JSON.stringify(sliceArgs)}}`);
  }

  private instant(chunk: ByteChunk, name: string, at: number, thread: { tid: number; pid: number }, instantArgs: Record<string, unknown>): void {
    this.nameThread(chunk, thread.pid, thread.tid, at);
    chunk.utf8(`${this.separator()}{"ph":"i","s":"t","name":${JSON.stringify(name)},"ts":${micros(at)},"pid":${thread.pid},"tid":${thread.tid},"args":${JSON.stringify(instantArgs)}}`);
  }

  private global(chunk: ByteChunk, name: string, at: number, globalArgs: Record<string, unknown>): void {
    chunk.utf8(`${this.separator()}{"ph":"i","s":"g","name":${JSON.stringify(name)},"ts":${micros(at)},"pid":0,"tid":0,"args":${JSON.stringify(globalArgs)}}`);
  }

  /** Thread and process names as the trace knows them, written again when they change (exec, rename). */
  private nameThread(chunk: ByteChunk, pid: number, tid: number, at: number): void {
    if (tid === 0) return;
    const unknown = tid >= UNKNOWN_THREAD_BASE;
    const name = unknown ? `unknown thread (CPU ${tid - UNKNOWN_THREAD_BASE})` : this.model.threads.get(tid)?.name;
    if (name && this.namedThreads.get(tid) !== `${pid}/${name}`) {
      this.namedThreads.set(tid, `${pid}/${name}`);
      this.metadata(chunk, 'thread_name', at, pid, tid, { name });
    }
    const processName = unknown ? name : this.model.threads.get(pid)?.name;
    if (processName && this.namedProcesses.get(pid) !== processName) {
      this.namedProcesses.set(pid, processName);
      this.metadata(chunk, 'process_name', at, pid, tid, { name: processName });
    }
  }

  private metadata(chunk: ByteChunk, name: string, at: number, pid: number, tid: number, metadataArgs: Record<string, unknown>): void {
    chunk.utf8(`${this.separator()}{"ph":"M","name":"${name}","ts":${micros(at)},"pid":${pid},"tid":${tid},"args":${JSON.stringify(metadataArgs)}}`);
  }

  private separator(): string {
    if (this.wroteEvent) return ',\n';
    this.wroteEvent = true;
    return '\n';
  }
}

function planFor(info: EventClassInfo): ClassPlan {
  const eventClass = info.eventClass;
  const fields = scalarFields(eventClass.payload?.members ?? []);
  const name = info.name;
  if (info.role === 'entry') return { kind: 'syscall-entry', fields };
  if (info.role === 'exit') return { kind: 'syscall-exit', fields };
  if (name === 'sched_switch' && info.field('next_tid') >= 0) return { kind: 'sched-switch', nextTid: info.field('next_tid'), nextComm: info.field('next_comm') };
  if (name.startsWith(STATEDUMP_PREFIX)) return { kind: 'statedump-other' };
  return { kind: 'other', fields };
}

/** Integers, enumerations' values and strings (text arrays included): what reads well as an argument. */
function scalarFields(members: StructClass['members']): ScalarField[] {
  const isText = (type: FieldClass) => type.kind === 'string' || ((type.kind === 'array' || type.kind === 'sequence') && isTextElement(type.element));
  return members
    .map((m, index) => ({ name: displayName(m.name), index, type: m.type }))
    .filter(({ type }) => type.kind === 'int' || type.kind === 'enum' || isText(type))
    .map(({ name, index, type }) => ({ name, index, text: isText(type) }));
}

function args(fields: ScalarField[], payload: FieldValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const value = payload[f.index];
    out[f.name] = f.text ? text(value) : typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value;
  }
  return out;
}

function num(value: FieldValue | undefined): number {
  return typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : -1;
}

function text(value: FieldValue | undefined): string {
  return typeof value === 'string' ? utf8(value) : '';
}

/** Nanoseconds as exact decimal microseconds: Perfetto reads them back to the nanosecond. */
export function micros(ns: number): string {
  const whole = Math.floor(ns / 1000);
  const rest = ns - whole * 1000;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(3, '0')}`;
}
