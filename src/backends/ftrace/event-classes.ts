// The CTF event classes of a capture: one per recorded tracepoint, named
// as LTTng's kernel tracer names the same tracepoint, each with its
// transcoder and, for the events that create or rename threads, the hook
// that keeps the task table current.

import type { CapturedEventFormat } from './capture-files.js';
import { parseEventFormat, type EventFormat, type FormatField } from './event-format.js';
import { buildTranscoder, type FieldPlan, type Transcoder } from './transcoder.js';
import { COMM_BYTES, type Task, type TaskTable } from './task-table.js';
import { int32, textArray, uint32, type CtfField, type CtfType } from '../../ctf/tsdl.js';
import { ADDRESS_ARGUMENTS, PATH_ARGUMENTS, type SocketAddress } from './user-arguments.js';
import { lttngEventName, lttngFieldName } from '../../model/lttng-names.js';

/** Per-event context, as LTTng's `add-context -t pid -t tid -t procname`. */
export const EVENT_CONTEXT: CtfField[] = [
  { name: 'pid', type: int32 },
  { name: 'tid', type: int32 },
  { name: 'procname', type: textArray(COMM_BYTES) },
];
export const EVENT_CONTEXT_BYTES = 4 + 4 + COMM_BYTES;

export function writeEventContext(view: DataView, at: number, task: Task, tid: number): number {
  view.setInt32(at, task.pid, true);
  view.setInt32(at + 4, tid, true);
  view.setUint32(at + 8, task.n0, true);
  view.setUint32(at + 12, task.n1, true);
  view.setUint32(at + 16, task.n2, true);
  view.setUint32(at + 20, task.n3, true);
  return at + EVENT_CONTEXT_BYTES;
}

/** Updates the task table from one record; `tid` is the record's common_pid. */
export type TaskHook = (src: DataView, bytes: Uint8Array, rec: number, length: number, tid: number, cpu: number) => void;

export interface FtraceEventClass {
  ctfId: number;
  name: string;
  ftraceId: number;
  commonPidOffset: number;
  /** Bytes up to the end of the last fixed field: hooks read only records this long. */
  fixedLength: number;
  transcoder: Transcoder;
  /** Runs before the event is written (its own context already shows the change), or after. */
  before: TaskHook | null;
  after: TaskHook | null;
  /** A syscall event that gets what its user-space argument points to (user-arguments.ts). */
  userArgument: { syscall: string; kind: 'path' | 'address' } | null;
}

const CLONE_THREAD = 0x10000;


/**
 * Builds the classes of every captured tracepoint, with CTF ids from
 * `firstId` on. `reserved` are names already taken (by synthesized events).
 */
export function buildEventClasses(
  captured: CapturedEventFormat[],
  tasks: TaskTable,
  firstId: number,
  reserved: Set<string>,
  withUserArguments = false,
): FtraceEventClass[] {
  const parsed = captured.map((c) => ({ captured: c, format: parseEventFormat(c.format), name: lttngEventName(c.system, c.name) }));
  const uses = new Map<string, number>();
  for (const p of parsed) uses.set(p.name, (uses.get(p.name) ?? 0) + 1);
  return parsed.map(({ captured: c, format, name }, index) => {
    // A name two subsystems share, or one we synthesize, gets the subsystem prefix.
    const ctfName = uses.get(name)! > 1 || reserved.has(name) ? `${c.system}_${name}` : name;
    const commonPid = format.commonFields.find((f) => f.name === 'common_pid');
    if (!commonPid || commonPid.size !== 4) throw new Error(`${c.system}:${c.name}: no 4-byte common_pid in its format`);
    if (format.id !== c.id) throw new Error(`${c.system}:${c.name}: format says ID ${format.id}, capture says ${c.id}`);
    const hooks = taskHooks(format, tasks);
    const userArgument = withUserArguments ? userArgumentOf(c) : null;
    const pathArgument = userArgument?.kind === 'path' ? PATH_ARGUMENTS.get(userArgument.syscall) : undefined;
    const appended = userArgument?.kind === 'address' ? addressFields(ADDRESS_ARGUMENTS.get(userArgument.syscall)!.port) : [];
    return {
      ctfId: firstId + index,
      name: ctfName,
      ftraceId: c.id,
      commonPidOffset: commonPid.offset,
      fixedLength: Math.max(...[...format.commonFields, ...format.fields].map((f) => f.offset + f.size)),
      transcoder: buildTranscoder(fieldPlans(c.system, format, pathArgument), appended),
      before: hooks.before,
      after: hooks.after,
      userArgument,
    };
  });
}

function userArgumentOf(c: CapturedEventFormat): FtraceEventClass['userArgument'] {
  const syscall = c.system === 'syscalls' ? /^sys_(enter|exit)_(.+)$/.exec(c.name) : null;
  if (!syscall) return null;
  const [, side, name] = syscall as unknown as [string, string, string];
  if (side === 'enter' && PATH_ARGUMENTS.has(name)) return { syscall: name, kind: 'path' };
  if (ADDRESS_ARGUMENTS.get(name)?.side === (side === 'enter' ? 'entry' : 'exit')) return { syscall: name, kind: 'address' };
  return null;
}

/** lttng-modules' socket address fields (connect's entry, accept's exit); laid out by encodeSocketAddress. */
function addressFields(port: 'dport' | 'sport'): CtfField[] {
  const u8: CtfType = { kind: 'integer', size: 8, signed: false };
  const u16: CtfType = { kind: 'integer', size: 16, signed: false };
  return [
    { name: 'family', type: int32 },
    { name: port, type: u16 },
    { name: '_v4addr_length', type: uint32 },
    { name: 'v4addr', type: { kind: 'sequence', element: u8, lengthField: '_v4addr_length' } },
    { name: '_v6addr_length', type: uint32 },
    { name: 'v6addr', type: { kind: 'sequence', element: u16, lengthField: '_v6addr_length' } },
  ];
}

/** The bytes of addressFields for one address (little-endian, byte-aligned, as every field we write). */
export function encodeSocketAddress(address: SocketAddress): Uint8Array {
  const bytes = new Uint8Array(4 + 2 + 4 + address.v4.length + 4 + 2 * address.v6.length);
  const view = new DataView(bytes.buffer);
  let at = 0;
  view.setInt32(at, address.family, true);
  view.setUint16((at += 4), address.port, true);
  view.setUint32((at += 2), address.v4.length, true);
  at += 4;
  for (const b of address.v4) view.setUint8(at++, b);
  view.setUint32(at, address.v6.length, true);
  at += 4;
  for (const w of address.v6) {
    view.setUint16(at, w, true);
    at += 2;
  }
  return bytes;
}

/** Offset and size of common_type, the same in every format of a kernel. */
export function commonTypeField(captured: CapturedEventFormat[]): FormatField | null {
  const first = captured[0];
  if (!first) return null;
  const field = parseEventFormat(first.format).commonFields.find((f) => f.name === 'common_type');
  if (!field || field.size !== 2) throw new Error(`${first.system}:${first.name}: no 2-byte common_type in its format`);
  return field;
}

function fieldPlans(system: string, format: EventFormat, pathArgument?: string): FieldPlan[] {
  const syscall = system === 'syscalls';
  const fields = format.fields.filter((f) => !(syscall && f.name === '__syscall_nr'));
  const taken = new Set(fields.map((f) => f.name));
  return fields.map((source) => {
    const renamed = lttngFieldName(format.name, source.name);
    const name = renamed !== source.name && taken.has(renamed) ? source.name : renamed;
    if (source.name === pathArgument && source.pointer) return { source, name, injectedString: true };
    // Syscall arguments are stored as unsigned longs; an int, unsigned int or
    // pid_t (an int on every Linux ABI) is 32-bit, as LTTng records it: AT_FDCWD
    // reads -100, wait4's pid -1.
    const narrow = syscall && source.layout.kind === 'integer' && source.size === 8 ? /^(?:const )?(?:(int|pid_t)|unsigned int)$/.exec(source.type) : null;
    if (narrow) return { source, name, narrow: { size: 4, signed: narrow[1] !== undefined } };
    return { source, name };
  });
}

/** Reads a text field (char[N] or __data_loc/__rel_loc char[]) of a record. */
class TextField {
  start = 0;
  length = 0;

  constructor(private readonly field: FormatField) {}

  static of(field: FormatField | undefined): TextField | null {
    if (!field) return null;
    const { layout } = field;
    const text = (layout.kind === 'array' || layout.kind === 'dynamic') && layout.text && !(layout.kind === 'dynamic' && layout.location === 'tail');
    return text ? new TextField(field) : null;
  }

  /** Sets start and length for the record at `rec`; false when the record cannot hold it. */
  locate(src: DataView, rec: number, recLength: number): boolean {
    const { field } = this;
    const recEnd = rec + recLength;
    if (field.layout.kind === 'array') {
      this.start = rec + field.offset;
      this.length = field.layout.length;
    } else {
      if (field.offset + 4 > recLength) return false;
      const loc = src.getUint32(rec + field.offset, true);
      this.start = (field.layout.kind === 'dynamic' && field.layout.location === 'rel_loc' ? rec + field.offset + 4 : rec) + (loc & 0xffff);
      this.length = loc >>> 16;
    }
    if (this.start < rec || this.start > recEnd) return false;
    this.length = Math.min(this.length, recEnd - this.start);
    return true;
  }
}

function integerField(format: EventFormat, name: string): FormatField | undefined {
  const field = format.fields.find((f) => f.name === name);
  return field && field.layout.kind === 'integer' && field.size >= 4 ? field : undefined;
}

function taskHooks(format: EventFormat, tasks: TaskTable): { before: TaskHook | null; after: TaskHook | null } {
  const byName = (name: string) => format.fields.find((f) => f.name === name);
  switch (format.name) {
    case 'task_newtask': {
      // Emitted in the parent: the child shares the parent's process when it is a thread.
      const pid = integerField(format, 'pid');
      const flags = integerField(format, 'clone_flags');
      const comm = TextField.of(byName('comm'));
      if (!pid || !flags || !comm) return { before: null, after: null };
      return {
        before: null,
        after: (src, bytes, rec, length, tid, cpu) => {
          const childTid = src.getInt32(rec + pid.offset, true);
          const child = tasks.get(childTid, cpu);
          const thread = (src.getUint32(rec + flags.offset, true) & CLONE_THREAD) !== 0;
          child.pid = thread ? tasks.get(tid, cpu).pid : childTid;
          if (comm.locate(src, rec, length)) child.setNameBytes(bytes, comm.start, comm.length);
        },
      };
    }
    case 'sched_process_exec': {
      // The new program's name is the basename of the file (__set_task_comm(kbasename())).
      const pid = integerField(format, 'pid');
      const filename = TextField.of(byName('filename'));
      if (!pid || !filename) return { before: null, after: null };
      return {
        before: (src, bytes, rec, length, _tid, cpu) => {
          const tid = src.getInt32(rec + pid.offset, true);
          const task = tasks.get(tid, cpu);
          task.pid = tid;
          if (!filename.locate(src, rec, length)) return;
          let end = filename.start;
          let base = filename.start;
          while (end < filename.start + filename.length && bytes[end] !== 0) {
            if (bytes[end] === 0x2f) base = end + 1;
            end++;
          }
          task.setNameBytes(bytes, base, end - base);
        },
        after: null,
      };
    }
    case 'task_rename': {
      // Emitted before the kernel changes the name: the event itself keeps the old one.
      const pid = integerField(format, 'pid');
      const newcomm = TextField.of(byName('newcomm'));
      if (!pid || !newcomm) return { before: null, after: null };
      return {
        before: null,
        after: (src, bytes, rec, length, _tid, cpu) => {
          if (newcomm.locate(src, rec, length)) tasks.get(src.getInt32(rec + pid.offset, true), cpu).setNameBytes(bytes, newcomm.start, newcomm.length);
        },
      };
    }
    default:
      // Before: sched_switch's prev_comm names the task the event itself runs in.
      return { before: format.name.startsWith('sched_') ? nameRefresh(format, tasks) : null, after: null };
  }
}

/** sched_* events name the threads they show (prev_comm/prev_pid, comm/pid...): the freshest names there are. */
function nameRefresh(format: EventFormat, tasks: TaskTable): TaskHook | null {
  const pairs: Array<{ pid: FormatField; comm: TextField }> = [];
  for (const field of format.fields) {
    const prefix = /^(.*?)comm$/.exec(field.name)?.[1];
    if (prefix === undefined || (prefix !== '' && !prefix.endsWith('_'))) continue;
    const pid = integerField(format, `${prefix}pid`);
    const comm = TextField.of(field);
    if (pid && pid.size === 4 && comm) pairs.push({ pid, comm });
  }
  if (pairs.length === 0) return null;
  return (src, bytes, rec, length, _tid, cpu) => {
    for (const { pid, comm } of pairs) {
      const tid = src.getInt32(rec + pid.offset, true);
      if (tid !== 0 && comm.locate(src, rec, length)) tasks.get(tid, cpu).setNameBytes(bytes, comm.start, comm.length);
    }
  };
}
