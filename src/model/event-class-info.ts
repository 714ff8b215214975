// What the model knows about one event class, worked out once when its
// first event arrives: its name's meaning (syscall entry or exit, and which
// syscall) and where its fields sit, so an event is read by index.

import type { CtfEvent } from '../ctf/trace-reader.js';
import { displayName, type EventClass, type StructClass } from '../ctf/metadata-model.js';
import type { FieldValue } from '../ctf/field-decoder.js';
import { syscallOfEventName, type SyscallRole } from './lttng-names.js';

function indexIn(struct: StructClass | null, name: string): number {
  if (!struct) return -1;
  return struct.members.findIndex((member) => displayName(member.name) === name);
}

export class EventClassInfo {
  readonly name: string;
  readonly role: SyscallRole;
  /** The syscall's name; null for the unnamed exit_syscall of old LTTng. */
  readonly syscall: string | null;
  /** Where _tid, _pid, _procname sit: in the stream's event context (s) or the event's own context (e). */
  readonly contextTid: ContextField;
  readonly contextPid: ContextField;
  readonly contextProcname: ContextField;
  count = 0;

  constructor(
    readonly eventClass: EventClass,
    streamContext: StructClass | null,
    /** Every event name of this class's trace: an analysis may prefer one event to another (sched_waking to sched_wakeup). */
    readonly traceEventNames: ReadonlySet<string>,
  ) {
    this.name = eventClass.name;
    const { role, syscall } = syscallOfEventName(this.name);
    this.role = role;
    this.syscall = syscall;
    const context = (name: string): ContextField => {
      const inStream = indexIn(streamContext, name);
      if (inStream >= 0) return { scope: 'stream', index: inStream };
      const inEvent = indexIn(eventClass.context, name);
      return inEvent >= 0 ? { scope: 'event', index: inEvent } : null;
    };
    this.contextTid = context('tid');
    this.contextPid = context('pid');
    this.contextProcname = context('procname');
  }

  /** The payload index of a field, or -1 when this class has no such field. */
  field(name: string): number {
    return indexIn(this.eventClass.payload, name);
  }

  /** The first of `names` that this class has. */
  firstField(...names: string[]): number {
    for (const name of names) {
      const index = this.field(name);
      if (index >= 0) return index;
    }
    return -1;
  }
}

export type ContextField = { scope: 'stream' | 'event'; index: number } | null;

export function readContext(event: CtfEvent, field: ContextField): FieldValue | undefined {
  if (!field) return undefined;
  return field.scope === 'stream' ? event.streamContext?.[field.index] : event.context?.[field.index];
}

/** An integer field as a number (pointers and other 64-bit values may come as bigint). */
export function intAt(payload: FieldValue[] | null, index: number): number {
  if (index < 0 || !payload) return NaN;
  const value = payload[index];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return NaN;
}

/** A text field, or null when absent or not text (our syscall tracepoints record pointers, not strings). */
export function textAt(payload: FieldValue[] | null, index: number): string | null {
  if (index < 0 || !payload) return null;
  const value = payload[index];
  return typeof value === 'string' ? value : null;
}
