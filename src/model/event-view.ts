// The event being handled: one reused object, filled by the tracker before
// the analyses or an exporter see it. What it holds is valid until the next
// event.

import type { FieldValue } from '../ctf/field-decoder.js';
import type { EventClassInfo } from './event-class-info.js';
import type { OpenFile, Pending, SyscallRef, Thread } from './entities.js';

export class EventView {
  /** ns from the trace's origin. */
  timeNs = 0;
  cpu = 0;
  tid = 0;
  thread!: Thread;
  payload: FieldValue[] | null = null;
  info!: EventClassInfo;
  /** For a syscall exit: its entry, when the trace has it. */
  entry: Pending | null = null;
  /** For a syscall entry: the thread's earlier entry that never got its exit (lost, or a syscall that does not return). */
  replacedEntry: Pending | null = null;
  /** For a syscall entry or exit: which syscall (an exit_syscall without its entry: null). */
  syscall: SyscallRef | null = null;
  ret = 0;
  /** Set on the exit of a clone/fork in the child, which has no entry. */
  childReturn = false;
  readFile: OpenFile | null = null;
  readBytes = 0;
  writeFile: OpenFile | null = null;
  writeBytes = 0;
  /** A socket that accept or connect just made (or connect just used). */
  connectedFile: OpenFile | null = null;

  reset(): void {
    this.entry = null;
    this.replacedEntry = null;
    this.syscall = null;
    this.childReturn = false;
    this.readFile = null;
    this.writeFile = null;
    this.readBytes = 0;
    this.writeBytes = 0;
    this.connectedFile = null;
  }
}
