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
import { displayName, type EventClass, type FieldClass, type StructClass } from '../ctf/metadata-model.js';
import { absoluteNs, nsBetween, timeOf, type CtfEvent, type DiscardedNotice, type MessageTime } from '../ctf/trace-reader.js';
import type { ByteChunk } from './pretty-text.js';
import { utf8 } from './jsonl.js';

/** Above PID_MAX_LIMIT (4194304): no real process has these ids. */
const CPU_TRACK_BASE = 4_194_304;
const UNKNOWN_THREAD_BASE = CPU_TRACK_BASE + 65_536;

/** How an event class is turned into trace events, worked out once per class. */
type ClassPlan =
  | { kind: 'syscall-entry'; syscall: string; fields: ScalarField[] }
  | { kind: 'syscall-exit'; syscall: string | null; fields: ScalarField[] }
  | { kind: 'sched-switch'; nextTid: number; nextComm: number }
  | { kind: 'statedump-task'; tid: number; pid: number; name: number }
  | { kind: 'fork'; childTid: number; childPid: number; childComm: number; fields: ScalarField[] }
  | { kind: 'statedump-other' }
  | { kind: 'other'; fields: ScalarField[] };

interface ScalarField {
  name: string;
  index: number;
  text: boolean;
}

interface ContextPlan {
  tid: number;
  pid: number;
  procname: number;
}

interface OpenSyscall {
  name: string;
  startNs: number;
  args: Record<string, unknown>;
}

interface Running {
  tid: number;
  name: string;
  startNs: number;
}

/** Syscall names: LTTng >= 2.6 (syscall_entry_X / syscall_exit_X) and 2.5 (sys_X / exit_syscall). */
function syscallOf(name: string): { entry: boolean; syscall: string | null } | null {
  if (name.startsWith('syscall_entry_')) return { entry: true, syscall: name.slice('syscall_entry_'.length) };
  if (name.startsWith('syscall_exit_')) return { entry: false, syscall: name.slice('syscall_exit_'.length) };
  if (name === 'exit_syscall') return { entry: false, syscall: null };
  if (name.startsWith('sys_')) return { entry: true, syscall: name.slice('sys_'.length) };
  return null;
}

/** Writes Chrome trace-event JSON for every message it is given, into a chunk the caller flushes. */
export class PerfettoJsonWriter {
  private readonly plans = new WeakMap<EventClass, ClassPlan>();
  private readonly contexts = new WeakMap<StructClass, ContextPlan | null>();
  private origin: MessageTime | null = null;
  private lastNs = 0;
  private wroteEvent = false;
  private readonly openSyscalls = new Map<number, OpenSyscall>();
  private readonly running = new Map<number, Running>();
  /** What the trace says of each thread, when its events do not carry it. */
  private readonly processOf = new Map<number, number>();
  private readonly nameOf = new Map<number, string>();
  private readonly namedThreads = new Map<number, string>();
  private readonly namedProcesses = new Map<number, string>();
  private readonly cpuTracks = new Set<number>();

  constructor(private readonly traceNames: string[]) {}

  event(chunk: ByteChunk, event: CtfEvent): void {
    const at = this.time(chunk, event);
    const cpu = event.cpuId ?? 0;
    const plan = this.plan(event.eventClass);
    const payload = event.payload ?? [];
    const thread = this.thread(event, cpu);

    switch (plan.kind) {
      case 'syscall-entry': {
        const pending = this.openSyscalls.get(thread.tid);
        // A second entry without an exit: the first never returned in the trace (lost events, exit).
        if (pending) this.instant(chunk, `syscall_entry_${pending.name}`, pending.startNs, thread, pending.args);
        this.openSyscalls.set(thread.tid, { name: plan.syscall, startNs: at, args: args(plan.fields, payload) });
        return;
      }
      case 'syscall-exit': {
        const open = this.openSyscalls.get(thread.tid);
        if (open && (plan.syscall === null || plan.syscall === open.name)) {
          this.openSyscalls.delete(thread.tid);
          this.slice(chunk, open.name, 'syscall', open.startNs, at - open.startNs, thread.pid, thread.tid, { ...open.args, ...args(plan.fields, payload) });
        } else {
          this.instant(chunk, event.eventClass.name, at, thread, args(plan.fields, payload));
        }
        return;
      }
      case 'sched-switch': {
        const nextTid = num(payload[plan.nextTid]);
        const nextComm = plan.nextComm >= 0 ? text(payload[plan.nextComm]) : '';
        if (nextTid !== 0 && nextComm) this.nameOf.set(nextTid, nextComm);
        this.switchCpu(chunk, cpu, at, nextTid, nextComm);
        return;
      }
      case 'statedump-task': {
        const tid = num(payload[plan.tid]);
        this.processOf.set(tid, num(payload[plan.pid]));
        this.nameOf.set(tid, text(payload[plan.name]));
        return;
      }
      case 'fork': {
        const child = num(payload[plan.childTid]);
        // Without child_pid (ftrace's fork event) a new thread's process is told by its own events' context.
        if (plan.childPid >= 0) this.processOf.set(child, num(payload[plan.childPid]));
        if (plan.childComm >= 0) this.nameOf.set(child, text(payload[plan.childComm]));
        this.instant(chunk, event.eventClass.name, at, thread, args(plan.fields, payload));
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
    // Syscalls that had not returned when the trace ended.
    for (const [tid, open] of this.openSyscalls) {
      const pid = tid >= UNKNOWN_THREAD_BASE ? tid : (this.processOf.get(tid) ?? tid);
      this.instant(chunk, `syscall_entry_${open.name}`, open.startNs, { tid, pid }, open.args);
    }
    this.openSyscalls.clear();
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

  /** The thread an event belongs to: its context when it has one, else who runs on its CPU. */
  private thread(event: CtfEvent, cpu: number): { tid: number; pid: number } {
    const fromContext = this.fromContext(event.streamClass.eventContext, event.streamContext) ?? this.fromContext(event.eventClass.context, event.context);
    if (fromContext) {
      const { tid, pid, procname } = fromContext;
      if (tid !== 0) {
        this.processOf.set(tid, pid);
        if (procname !== null) this.nameOf.set(tid, procname);
      }
      return { tid, pid };
    }
    const run = this.running.get(cpu);
    // Before the CPU's first sched_switch nobody knows who runs there: a track of its own.
    if (!run) return { tid: UNKNOWN_THREAD_BASE + cpu, pid: UNKNOWN_THREAD_BASE + cpu };
    return { tid: run.tid, pid: run.tid === 0 ? 0 : (this.processOf.get(run.tid) ?? run.tid) };
  }

  private fromContext(type: StructClass | null, values: FieldValue[] | null): { tid: number; pid: number; procname: string | null } | null {
    if (!type || !values) return null;
    let plan = this.contexts.get(type);
    if (plan === undefined) {
      const find = (name: string) => type.members.findIndex((m) => displayName(m.name) === name);
      plan = find('tid') >= 0 ? { tid: find('tid'), pid: find('pid'), procname: find('procname') } : null;
      this.contexts.set(type, plan);
    }
    if (!plan) return null;
    const tid = num(values[plan.tid]);
    return { tid, pid: plan.pid >= 0 ? num(values[plan.pid]) : (this.processOf.get(tid) ?? tid), procname: plan.procname >= 0 ? text(values[plan.procname]) : null };
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
    const pid = this.processOf.get(run.tid) ?? run.tid;
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
    const name = unknown ? `unknown thread (CPU ${tid - UNKNOWN_THREAD_BASE})` : this.nameOf.get(tid);
    if (name && this.namedThreads.get(tid) !== `${pid}/${name}`) {
      this.namedThreads.set(tid, `${pid}/${name}`);
      this.metadata(chunk, 'thread_name', at, pid, tid, { name });
    }
    const processName = unknown ? name : this.nameOf.get(pid);
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

  private plan(eventClass: EventClass): ClassPlan {
    let plan = this.plans.get(eventClass);
    if (!plan) {
      plan = planFor(eventClass);
      this.plans.set(eventClass, plan);
    }
    return plan;
  }
}

function planFor(eventClass: EventClass): ClassPlan {
  const members = eventClass.payload?.members ?? [];
  const find = (name: string) => members.findIndex((m) => displayName(m.name) === name);
  const fields = scalarFields(members);
  const name = eventClass.name;
  const syscall = syscallOf(name);
  if (syscall?.entry) return { kind: 'syscall-entry', syscall: syscall.syscall!, fields };
  if (syscall) return { kind: 'syscall-exit', syscall: syscall.syscall, fields };
  if (name === 'sched_switch' && find('next_tid') >= 0) {
    return { kind: 'sched-switch', nextTid: find('next_tid'), nextComm: find('next_comm') };
  }
  if (name === 'lttng_statedump_process_state' && find('tid') >= 0 && find('pid') >= 0) {
    return { kind: 'statedump-task', tid: find('tid'), pid: find('pid'), name: find('name') };
  }
  if (name.startsWith('lttng_statedump_')) return { kind: 'statedump-other' };
  if (name === 'sched_process_fork' && find('child_tid') >= 0) {
    return { kind: 'fork', childTid: find('child_tid'), childPid: find('child_pid'), childComm: find('child_comm'), fields };
  }
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
