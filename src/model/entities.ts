// What the trace model is made of: threads, processes, their open files, and
// a thread's syscall in flight. Plain objects, changed only by the tracker.

import type { SocketConnection } from './socket-connection.js';
import type { ExitEffect } from './syscall-effects.js';

export type FileKind = 'file' | 'socket' | 'pipe' | 'anon' | 'unknown';

export type { SocketConnection } from './socket-connection.js';

/**
 * An open file description: what an fd points to. dup and fork share it, so
 * a path learnt late (a statedump at the end) names every earlier use too.
 * Its I/O figures are kept here, where the fd leads, and folded by the
 * analyses when its last fd closes.
 */
export class OpenFile {
  refs = 0;
  reads = 0;
  writes = 0;
  readBytes = 0;
  writeBytes = 0;
  /** Processes that did I/O on it. */
  readonly pids = new Set<number>();
  connection: SocketConnection | null = null;
  /** What a statedump's socket table says of it (our lttng_statedump_socket). */
  socket: { protocol: string; local: string | null; peer: string | null } | null = null;

  constructor(
    public path: string | null,
    public kind: FileKind,
  ) {}

  name(path: string): void {
    this.path = path;
    if (this.kind === 'unknown' || this.kind === 'file') this.kind = kindOfPath(path);
  }
}

/** The kind of a /proc/PID/fd link's target. */
export function kindOfPath(path: string): FileKind {
  if (path.startsWith('socket:')) return 'socket';
  if (path.startsWith('pipe:')) return 'pipe';
  if (path.startsWith('anon_inode:')) return 'anon';
  return 'file';
}

/** A thread; tid -1 - N stands for the unknown thread of CPU N (events before its first sched_switch, in a trace without a tid context). */
export interface Thread {
  tid: number;
  /** Dense, in order of first appearance: analyses keep per-thread figures in arrays by it. */
  index: number;
  /** Its thread group; null while the trace has not said. */
  pid: number | null;
  name: string;
  /** Its syscall in flight, or null. */
  pending: Pending | null;
  /** The object `pending` reuses from one syscall to the next (no allocation per syscall). */
  call: Pending | null;
}

export interface Process {
  pid: number;
  parentPid: number | null;
  /** The main thread's names, in order (exec and rename change them). */
  names: string[];
  execs: Array<{ timeNs: number; filename: string }>;
  forkedNs: number | null;
  exitedNs: number | null;
  tids: Set<number>;
  fds: Map<number, OpenFile>;
}

/** One syscall name, numbered in order of appearance so that per-syscall tables can be arrays. */
export interface SyscallRef {
  name: string;
  id: number;
  /** The exit's effect when the exit event does not say which syscall it ends (old LTTng exit_syscall), bound on first use. */
  unnamedExit: ExitEffect | null | undefined;
}

/** A syscall in flight on a thread: its entry's time and the arguments its exit needs. Valid until the thread's next syscall entry. */
export interface Pending {
  syscall: SyscallRef;
  startNs: number;
  /** The fd (or first fd) argument; NaN when the syscall has none. */
  a: number;
  /** A second argument the exit needs: the other fd, fcntl's cmd, socket's family. */
  b: number;
  path: string | null;
  peer: PeerAddress | null;
  /** The entry's arguments as an exporter shows them (the Perfetto export's slice args); null for the analyses. */
  args: Record<string, unknown> | null;
}

export interface PeerAddress {
  family: string | null;
  address: string | null;
}
