// LTTng-style statedump events, synthesized from the capture's /proc
// snapshot, so that tools written for LTTng kernel traces learn the
// threads and files that existed before the first event.
//
// Fields mirror lttng-modules' instrumentation/events/lttng-statedump.h as
// of 2.11 (the version of the traces in our corpus), plus the
// file_table_address of later versions. What /proc does not tell is given
// its "unknown" value: vtid = tid and ns_level 0 (no pid namespace known),
// mode LTTNG_MODE_UNKNOWN. file_table_address has no kernel address to
// carry here: it is the process id, which links a process to its files
// just the same.
//
// lttng_statedump_socket is ours, not LTTng's: for a file descriptor whose
// filename is "socket:[inode]" and whose inode the kernel's socket tables
// (/proc/<pid>/net/*) list, it follows that fd's file_descriptor event with
// the protocol, state, local and peer addresses, so analyses can name a
// socket's peer. LTTng tools ignore an event class they do not know.

import type { Statedump, StatedumpFd, StatedumpTask } from './capture-files.js';
import { socketInode, type SocketEndpoint } from '../../util/proc-net.js';
import type { CtfStreamWriter } from '../../ctf/stream-writer.js';
import { ctfString, int32, textArray, type CtfEventClass, type CtfType } from '../../ctf/tsdl.js';
import { EVENT_CONTEXT_BYTES, writeEventContext } from './event-classes.js';
import { COMM_BYTES, type Task } from './task-table.js';
import { NO_ADDRESS } from '../../model/lttng-names.js';

export const STATEDUMP_EVENT_NAMES = [
  'lttng_statedump_start',
  'lttng_statedump_process_state',
  'lttng_statedump_file_descriptor',
  'lttng_statedump_end',
  'lttng_statedump_socket',
] as const;

/** Statedump events written per dump, by class (in STATEDUMP_EVENT_NAMES order). */
export function statedumpEventCounts(dump: Statedump): number[] {
  return [1, dump.tasks.length, dump.fds.length, 1, dump.fds.filter((f) => f.socket).length];
}

const hex64: CtfType = { kind: 'integer', size: 64, signed: false, base: 16 };

/** lttng-statedump-impl.c: enum lttng_thread_type, lttng_execution_mode, lttng_execution_submode, lttng_process_status. */
const USER_THREAD = 0;
const KERNEL_THREAD = 1;
const MODE_UNKNOWN = 5;
const SUBMODE_NONE = 0;
const STATUS_BY_STATE: Record<string, number> = { R: 2, S: 5, D: 5, I: 5, Z: 4, X: 7 };
const STATUS_UNNAMED = 0;
const KTHREADD_PID = 2;

export function statedumpEventClasses(firstId: number): CtfEventClass[] {
  const [start, processState, fileDescriptor, end, socket] = STATEDUMP_EVENT_NAMES;
  return [
    { id: firstId, name: start, fields: [] },
    {
      id: firstId + 1,
      name: processState,
      fields: [
        ...['tid', 'vtid', 'pid', 'vpid', 'ppid', 'vppid'].map((name) => ({ name, type: int32 })),
        { name: 'name', type: textArray(COMM_BYTES) },
        ...['type', 'mode', 'submode', 'status', 'ns_level'].map((name) => ({ name, type: int32 })),
        { name: 'file_table_address', type: hex64 },
      ],
    },
    {
      id: firstId + 2,
      name: fileDescriptor,
      fields: [
        { name: 'file_table_address', type: hex64 },
        { name: 'pid', type: int32 },
        { name: 'fd', type: int32 },
        { name: 'flags', type: { kind: 'integer', size: 32, signed: false, base: 8 } },
        { name: 'fmode', type: { kind: 'integer', size: 32, signed: false, base: 16 } },
        { name: 'filename', type: ctfString },
      ],
    },
    { id: firstId + 3, name: end, fields: [] },
    {
      id: firstId + 4,
      name: socket,
      fields: [
        { name: 'pid', type: int32 },
        { name: 'fd', type: int32 },
        { name: 'inode', type: { kind: 'integer', size: 64, signed: false } },
        ...['protocol', 'state', 'local', 'peer'].map((name) => ({ name, type: ctfString })),
      ],
    },
  ];
}

/**
 * Writes the statedump at `atNs` (from the writer's time origin), as events
 * of the classes from `firstId` on; `context` is the task shown as their writer.
 */
export function writeStatedump(writer: CtfStreamWriter, firstId: number, dump: Statedump, context: Task, atNs: number): void {
  const encoder = new TextEncoder();
  let at = writer.beginEvent(firstId, atNs, EVENT_CONTEXT_BYTES);
  writer.endEvent(writeEventContext(writer.view, at, context, 0));

  for (const task of dump.tasks) {
    at = writer.beginEvent(firstId + 1, atNs, EVENT_CONTEXT_BYTES + 6 * 4 + COMM_BYTES + 5 * 4 + 8);
    const view = writer.view;
    at = writeEventContext(view, at, context, 0);
    for (const value of [task.tid, task.tid, task.pid, task.pid, task.ppid, task.ppid]) {
      view.setInt32(at, value, true);
      at += 4;
    }
    const name = encoder.encode(task.name).subarray(0, COMM_BYTES - 1);
    writer.bytes.fill(0, at, at + COMM_BYTES);
    writer.bytes.set(name, at);
    at += COMM_BYTES;
    for (const value of [threadType(task), MODE_UNKNOWN, SUBMODE_NONE, STATUS_BY_STATE[task.state ?? ''] ?? STATUS_UNNAMED, 0]) {
      view.setInt32(at, value, true);
      at += 4;
    }
    view.setBigUint64(at, BigInt(task.pid), true);
    writer.endEvent(at + 8);
  }

  for (const file of dump.fds) {
    const path = withoutNul(encoder.encode(file.path));
    at = writer.beginEvent(firstId + 2, atNs, EVENT_CONTEXT_BYTES + 8 + 4 * 4 + path.length + 1);
    const view = writer.view;
    at = writeEventContext(view, at, context, 0);
    view.setBigUint64(at, BigInt(file.pid), true);
    view.setInt32(at + 8, file.pid, true);
    view.setInt32(at + 12, file.fd, true);
    view.setUint32(at + 16, file.flags ?? 0, true);
    view.setUint32(at + 20, file.flags === undefined ? 0 : fmodeOf(file.flags), true);
    writer.endEvent(writeCString(writer.bytes, at + 24, path));
    if (file.socket) writeSocket(writer, firstId + 4, atNs, context, file, file.socket);
  }

  at = writer.beginEvent(firstId + 3, atNs, EVENT_CONTEXT_BYTES);
  writer.endEvent(writeEventContext(writer.view, at, context, 0));
}

function writeSocket(writer: CtfStreamWriter, id: number, atNs: number, context: Task, file: StatedumpFd, socket: SocketEndpoint): void {
  const encoder = new TextEncoder();
  // No empty strings: babeltrace2 2.0 prints an earlier event's text for an empty string field.
  const texts = [socket.protocol, socket.state, socket.local || NO_ADDRESS, socket.peer || NO_ADDRESS].map((text) => withoutNul(encoder.encode(text)));
  let at = writer.beginEvent(id, atNs, EVENT_CONTEXT_BYTES + 4 + 4 + 8 + texts.reduce((n, t) => n + t.length + 1, 0));
  const view = writer.view;
  at = writeEventContext(view, at, context, 0);
  view.setInt32(at, file.pid, true);
  view.setInt32(at + 4, file.fd, true);
  view.setBigUint64(at + 8, BigInt(socketInode(file.path) ?? 0), true);
  at += 16;
  for (const text of texts) at = writeCString(writer.bytes, at, text);
  writer.endEvent(at);
}

/** A CTF string ends at its first NUL: anything after one would be lost anyway. */
function withoutNul(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

function writeCString(bytes: Uint8Array, at: number, text: Uint8Array): number {
  bytes.set(text, at);
  bytes[at + text.length] = 0;
  return at + text.length + 1;
}

function threadType(task: StatedumpTask): number {
  // Kernel threads are kthreadd and its children (LTTng tests p->mm, which /proc does not show).
  return task.pid === KTHREADD_PID || task.ppid === KTHREADD_PID ? KERNEL_THREAD : USER_THREAD;
}

/** FMODE_READ / FMODE_WRITE from the O_ACCMODE bits of the open flags. */
function fmodeOf(flags: number): number {
  const access = flags & 3;
  return access === 0 ? 0x1 : access === 1 ? 0x2 : 0x3;
}
