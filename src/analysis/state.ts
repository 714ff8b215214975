// What several analyses need to know at each event, kept in one place and
// updated before they see it: who runs on each CPU, thread -> process and
// names, each process's file descriptors, and each thread's syscall in
// flight (so an exit knows its entry, its start time and its arguments).

import type { FieldValue } from '../ctf/field-decoder.js';
import { EventClassInfo, intAt, textAt } from './event-class-info.js';
import type { Connection } from './model.js';
import { UNREAD_PATH } from '../backends/ftrace/user-arguments.js';
import { NO_ADDRESS } from '../backends/ftrace/lttng-statedump.js';

export type FileKind = 'file' | 'socket' | 'pipe' | 'anon' | 'unknown';

/** A connection while the trace is read: the report's Connection, with its times relative and its process by pid only. */
export type ConnectionState = Omit<Connection, 'process' | 'openedNs' | 'closedNs'> & { openedNs: number | null };

/**
 * An open file description: what an fd points to. dup and fork share it, so
 * a path learnt late (a statedump at the end) names every earlier use too.
 */
export class OpenFile {
  refs = 0;
  reads = 0;
  writes = 0;
  readBytes = 0;
  writeBytes = 0;
  /** Processes that did I/O on it. */
  readonly pids = new Set<number>();
  connection: ConnectionState | null = null;
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

export function kindOfPath(path: string): FileKind {
  if (path.startsWith('socket:')) return 'socket';
  if (path.startsWith('pipe:')) return 'pipe';
  if (path.startsWith('anon_inode:')) return 'anon';
  return 'file';
}

export interface Thread {
  tid: number;
  pid: number | null;
  name: string;
  pending: Pending | null;
}

export interface Process {
  pid: number;
  parentPid: number | null;
  names: string[];
  execs: Array<{ timeNs: number; filename: string }>;
  forkedNs: number | null;
  exitedNs: number | null;
  tids: Set<number>;
  fds: Map<number, OpenFile>;
}

export interface SyscallRef {
  name: string;
  id: number;
  /** The exit's effect when the exit event does not say which syscall it ends (old LTTng exit_syscall). */
  unnamedExit: ExitAction | null | undefined;
}

/** A syscall in flight on a thread: its entry's time and the arguments its exit needs. */
export interface Pending {
  syscall: SyscallRef;
  startNs: number;
  a: number;
  b: number;
  path: string | null;
  peer: PeerAddress | null;
}

export interface PeerAddress {
  family: string | null;
  address: string | null;
}

/** The event being handled: one reused object, filled by the state before the analyses see it. */
export class EventView {
  timeNs = 0;
  cpu = 0;
  tid = 0;
  thread!: Thread;
  payload: FieldValue[] | null = null;
  info!: EventClassInfo;
  /** For a syscall exit: its entry, when the trace has it. */
  entry: Pending | null = null;
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
    this.syscall = null;
    this.childReturn = false;
    this.readFile = null;
    this.writeFile = null;
    this.readBytes = 0;
    this.writeBytes = 0;
    this.connectedFile = null;
  }
}

type EntryExtract = (payload: FieldValue[] | null, pending: Pending) => void;
type ExitAction = (view: EventView, state: TraceState) => void;
type EventAction = (view: EventView, state: TraceState) => void;

/** What the state does with events of one class, bound once. */
export interface StatePlan {
  entryExtract: EntryExtract | null;
  exitAction: ExitAction | null;
  action: EventAction | null;
}

const CLONE_FILES = 0x400;
const CLONE_THREAD = 0x10000;
const F_DUPFD = 0;
const F_DUPFD_CLOEXEC = 1030;
const EINPROGRESS = 115;
const AT_FDCWD = -100;
const FAMILIES: Record<number, string> = { 1: 'unix', 2: 'inet', 10: 'inet6', 16: 'netlink', 17: 'packet' };

const READS = new Set(['read', 'pread64', 'readv', 'preadv', 'preadv2', 'recvfrom', 'recvmsg', 'recv']);
const WRITES = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2', 'sendto', 'sendmsg', 'send']);
/** Syscalls that move bytes from one fd to another: (in, out) argument names. */
const TRANSFERS: Record<string, [string[], string[]]> = {
  sendfile: [['in_fd'], ['out_fd']],
  sendfile64: [['in_fd'], ['out_fd']],
  splice: [['fd_in'], ['fd_out']],
  tee: [['fdin', 'fd_in'], ['fdout', 'fd_out']],
  copy_file_range: [['fd_in'], ['fd_out']],
};
const OPENS = new Set(['open', 'openat', 'openat2', 'creat', 'open_by_handle_at']);
const ANON_FDS: Record<string, string> = {
  eventfd: 'anon_inode:[eventfd]',
  eventfd2: 'anon_inode:[eventfd]',
  epoll_create: 'anon_inode:[eventpoll]',
  epoll_create1: 'anon_inode:[eventpoll]',
  timerfd_create: 'anon_inode:[timerfd]',
  signalfd: 'anon_inode:[signalfd]',
  signalfd4: 'anon_inode:[signalfd]',
  inotify_init: 'anon_inode:inotify',
  inotify_init1: 'anon_inode:inotify',
  perf_event_open: 'anon_inode:[perf_event]',
  userfaultfd: 'anon_inode:[userfaultfd]',
  pidfd_open: 'anon_inode:[pidfd]',
  io_uring_setup: 'anon_inode:[io_uring]',
  bpf: 'anon_inode:bpf',
  memfd_create: 'memfd:',
};
const CHILD_RETURNS = new Set(['clone', 'clone3', 'fork', 'vfork']);
/** Syscalls that end the thread: their entry never gets an exit. */
export const NO_RETURN = new Set(['exit', 'exit_group']);

function stripCompat(name: string): string {
  return name.startsWith('compat_') ? name.slice(7) : name;
}

function formatPeer(payload: FieldValue[] | null, info: EventClassInfo, portField: string): PeerAddress | null {
  const familyIndex = info.field('family');
  if (familyIndex < 0 || !payload) return null;
  const familyNumber = intAt(payload, familyIndex);
  const family = FAMILIES[familyNumber] ?? (Number.isFinite(familyNumber) ? `family ${familyNumber}` : null);
  const port = intAt(payload, info.field(portField));
  const v4 = payload[info.field('v4addr')];
  const v6 = payload[info.field('v6addr')];
  let address: string | null = null;
  if (familyNumber === 2 && Array.isArray(v4) && v4.length === 4) address = `${v4.join('.')}:${port}`;
  if (familyNumber === 10 && Array.isArray(v6) && v6.length === 16) {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((Number(v6[i]) << 8) | Number(v6[i + 1])).toString(16));
    address = `[${words.join(':')}]:${port}`;
  }
  return { family, address };
}

export class TraceState {
  readonly threads = new Map<number, Thread>();
  readonly processes = new Map<number, Process>();
  readonly syscalls = new Map<string, SyscallRef>();
  /** tid running on each CPU, from sched_switch; absent before the CPU's first switch. */
  readonly currentTid = new Map<number, number>();
  /** clone flags of tasks created but not yet forked (task_newtask comes before sched_process_fork). */
  private readonly cloneFlags = new Map<number, number>();
  private readonly releaseListeners: Array<(file: OpenFile, timeNs: number) => void> = [];
  unmatchedEntries = 0;
  unmatchedExits = 0;
  /** Entries replaced by another entry on the same thread before their exit. */
  entriesWithoutExit = 0;
  statedumpFiles = 0;
  now = 0;
  /** Set while the end of the trace releases what is still open: those files were not closed. */
  ending = false;

  onRelease(listener: (file: OpenFile, timeNs: number) => void): void {
    this.releaseListeners.push(listener);
  }

  syscall(name: string): SyscallRef {
    let ref = this.syscalls.get(name);
    if (!ref) {
      ref = { name, id: this.syscalls.size, unnamedExit: undefined };
      this.syscalls.set(name, ref);
    }
    return ref;
  }

  thread(tid: number): Thread {
    let thread = this.threads.get(tid);
    if (!thread) {
      thread = { tid, pid: null, name: '', pending: null };
      this.threads.set(tid, thread);
    }
    return thread;
  }

  /** The process of a thread; a thread whose group is unknown stands for its own process. */
  processOf(thread: Thread): Process {
    return this.process(thread.pid ?? thread.tid, thread);
  }

  process(pid: number, thread: Thread | null = null): Process {
    let process = this.processes.get(pid);
    if (!process) {
      process = { pid, parentPid: null, names: [], execs: [], forkedNs: null, exitedNs: null, tids: new Set(), fds: new Map() };
      this.processes.set(pid, process);
    }
    if (thread && thread.tid >= 0 && !process.tids.has(thread.tid)) process.tids.add(thread.tid);
    return process;
  }

  /** A process's names are its main thread's, in order (exec and rename change them). */
  setThreadName(thread: Thread, name: string): void {
    if (!name || thread.name === name) return;
    thread.name = name;
    if (thread.tid <= 0 || (thread.pid !== null && thread.pid !== thread.tid)) return;
    const names = this.processOf(thread).names;
    if (!names.includes(name)) names.push(name);
  }

  setThreadPid(thread: Thread, pid: number): void {
    if (thread.pid === pid) return;
    thread.pid = pid;
    const process = this.process(pid, thread);
    if (thread.tid === pid && thread.name && !process.names.includes(thread.name)) process.names.push(thread.name);
  }

  // --- file descriptors ---------------------------------------------------

  private setFd(process: Process, fd: number, file: OpenFile): void {
    const old = process.fds.get(fd);
    if (old === file) return;
    file.refs++;
    process.fds.set(fd, file);
    if (old) this.unref(old);
  }

  private closeFd(process: Process, fd: number): void {
    const old = process.fds.get(fd);
    if (!old) return;
    process.fds.delete(fd);
    this.unref(old);
  }

  private unref(file: OpenFile): void {
    if (--file.refs === 0) for (const listener of this.releaseListeners) listener(file, this.now);
  }

  /** What fd refers to in the thread's process; an fd we never saw opened gets an unnamed file, named later if a statedump knows it. */
  fileOf(thread: Thread, fd: number): OpenFile | null {
    if (!Number.isInteger(fd) || fd < 0) return null;
    const process = this.processOf(thread);
    let file = process.fds.get(fd);
    if (!file) {
      file = new OpenFile(null, 'unknown');
      this.setFd(process, fd, file);
    }
    return file;
  }

  /** Releases every open file (end of the trace), so their figures are counted. */
  releaseAll(): void {
    this.ending = true;
    for (const process of this.processes.values()) {
      for (const fd of [...process.fds.keys()]) this.closeFd(process, fd);
    }
  }

  // --- binding ------------------------------------------------------------

  plan(info: EventClassInfo): StatePlan {
    if (info.role === 'entry') return { entryExtract: this.entryExtract(info), exitAction: null, action: null };
    if (info.role === 'exit') return { entryExtract: null, exitAction: info.syscall === null ? null : exitActionFor(info.syscall, info), action: null };
    return { entryExtract: null, exitAction: null, action: this.eventAction(info) };
  }

  private entryExtract(info: EventClassInfo): EntryExtract | null {
    const name = stripCompat(info.syscall!);
    const fd = info.firstField('fd', 'fildes', 'oldfd');
    if (READS.has(name) || WRITES.has(name) || name === 'close' || name === 'dup' || name === 'accept' || name === 'accept4') {
      return (payload, p) => (p.a = intAt(payload, fd));
    }
    const transfer = TRANSFERS[name];
    if (transfer) {
      const input = info.firstField(...transfer[0]);
      const output = info.firstField(...transfer[1]);
      return (payload, p) => {
        p.a = intAt(payload, input);
        p.b = intAt(payload, output);
      };
    }
    if (name === 'dup2' || name === 'dup3') {
      const oldfd = info.field('oldfd');
      const newfd = info.field('newfd');
      return (payload, p) => {
        p.a = intAt(payload, oldfd);
        p.b = intAt(payload, newfd);
      };
    }
    if (name === 'fcntl' || name === 'fcntl64') {
      const cmd = info.field('cmd');
      return (payload, p) => {
        p.a = intAt(payload, fd);
        p.b = intAt(payload, cmd);
      };
    }
    if (OPENS.has(name)) {
      const filename = info.firstField('filename', 'pathname');
      const dfd = info.field('dfd');
      return (payload, p) => {
        const text = textAt(payload, filename);
        const path = text === UNREAD_PATH ? null : text;
        const dir = intAt(payload, dfd);
        // A path relative to a directory fd other than the cwd cannot be made absolute here.
        p.path = path && (path.startsWith('/') || dfd < 0 || dir === AT_FDCWD) ? path : null;
      };
    }
    if (name === 'connect') {
      return (payload, p) => {
        p.a = intAt(payload, fd);
        p.peer = formatPeer(payload, info, 'dport');
      };
    }
    if (name === 'socket') {
      const family = info.field('family');
      return (payload, p) => (p.b = intAt(payload, family));
    }
    return null;
  }

  /** Sets up the view for a syscall entry: the thread's pending syscall. */
  enterSyscall(view: EventView, plan: StatePlan): void {
    const thread = view.thread;
    const syscall = this.syscall(view.info.syscall!);
    view.syscall = syscall;
    if (thread.pending) {
      if (!NO_RETURN.has(thread.pending.syscall.name)) this.entriesWithoutExit++;
    }
    const pending: Pending = { syscall, startNs: view.timeNs, a: NaN, b: NaN, path: null, peer: null };
    plan.entryExtract?.(view.payload, pending);
    thread.pending = pending;
  }

  /** Matches a syscall exit to its thread's entry and applies its effect on fds. */
  exitSyscall(view: EventView, plan: StatePlan, retIndex: number): void {
    const thread = view.thread;
    const pending = thread.pending;
    const named = view.info.syscall;
    view.ret = intAt(view.payload, retIndex);
    if (pending && (named === null || pending.syscall.name === named)) {
      view.entry = pending;
      view.syscall = pending.syscall;
      thread.pending = null;
      let action = plan.exitAction;
      if (named === null) {
        if (pending.syscall.unnamedExit === undefined) pending.syscall.unnamedExit = exitActionFor(pending.syscall.name, null);
        action = pending.syscall.unnamedExit;
      }
      action?.(view, this);
      return;
    }
    view.syscall = named === null ? null : this.syscall(named);
    if (named !== null && CHILD_RETURNS.has(stripCompat(named)) && view.ret === 0) {
      view.childReturn = true;
      return;
    }
    this.unmatchedExits++;
  }

  /** End of trace: syscalls still in flight. */
  countUnmatchedEntries(): void {
    for (const thread of this.threads.values()) {
      if (thread.pending && !NO_RETURN.has(thread.pending.syscall.name)) this.unmatchedEntries++;
    }
    this.unmatchedEntries += this.entriesWithoutExit;
  }

  // Effects of syscall exits, called by the exit actions.

  opened(view: EventView, file: OpenFile): void {
    if (view.ret < 0) return;
    this.setFd(this.processOf(view.thread), view.ret, file);
  }

  duplicated(view: EventView, fromFd: number, toFd: number): void {
    const from = this.fileOf(view.thread, fromFd);
    if (!from || toFd < 0) return;
    this.setFd(this.processOf(view.thread), toFd, from);
  }

  closed(view: EventView, fd: number): void {
    this.closeFd(this.processOf(view.thread), fd);
  }

  // --- non-syscall events ---------------------------------------------------

  private eventAction(info: EventClassInfo): EventAction | null {
    switch (info.name) {
      case 'sched_switch': {
        const nextTid = info.field('next_tid');
        const nextComm = info.field('next_comm');
        return (view, state) => {
          const tid = intAt(view.payload, nextTid);
          state.currentTid.set(view.cpu, tid);
          const name = textAt(view.payload, nextComm);
          if (name && tid > 0) {
            const thread = state.thread(tid);
            if (!thread.name) state.setThreadName(thread, name);
          }
        };
      }
      case 'task_newtask': {
        const tid = info.field('tid');
        const flags = info.field('clone_flags');
        const comm = info.field('comm');
        return (view, state) => {
          const child = intAt(view.payload, tid);
          state.cloneFlags.set(child, intAt(view.payload, flags));
          state.setThreadName(state.thread(child), textAt(view.payload, comm) ?? '');
        };
      }
      case 'task_rename': {
        const tid = info.field('tid');
        const comm = info.field('newcomm');
        return (view, state) => {
          const thread = tid >= 0 ? state.thread(intAt(view.payload, tid)) : view.thread;
          state.setThreadName(thread, textAt(view.payload, comm) ?? '');
        };
      }
      case 'sched_process_fork':
        return this.forkAction(info);
      case 'sched_process_exec': {
        const filename = info.field('filename');
        const tid = info.field('tid');
        return (view, state) => {
          const thread = tid >= 0 ? state.thread(intAt(view.payload, tid)) : view.thread;
          const path = textAt(view.payload, filename) ?? '';
          state.processOf(thread).execs.push({ timeNs: view.timeNs, filename: path });
          state.setThreadName(thread, path.slice(path.lastIndexOf('/') + 1).slice(0, 15));
        };
      }
      case 'sched_process_exit': {
        const tid = info.field('tid');
        const groupDead = info.field('group_dead');
        return (view, state) => {
          const thread = state.thread(tid >= 0 ? intAt(view.payload, tid) : view.tid);
          const process = state.processOf(thread);
          const lastThread = groupDead >= 0 ? intAt(view.payload, groupDead) === 1 : thread.tid === process.pid;
          if (!lastThread) return;
          process.exitedNs = view.timeNs;
          for (const fd of [...process.fds.keys()]) state.closeFd(process, fd);
        };
      }
      case 'lttng_statedump_process_state': {
        const tid = info.field('tid');
        const pid = info.field('pid');
        const ppid = info.field('ppid');
        const name = info.field('name');
        return (view, state) => {
          const thread = state.thread(intAt(view.payload, tid));
          state.setThreadPid(thread, intAt(view.payload, pid));
          state.setThreadName(thread, textAt(view.payload, name) ?? '');
          const process = state.processOf(thread);
          const parent = intAt(view.payload, ppid);
          if (process.parentPid === null && parent > 0) process.parentPid = parent;
        };
      }
      case 'lttng_statedump_file_descriptor': {
        const pid = info.field('pid');
        const fd = info.field('fd');
        const filename = info.field('filename');
        return (view, state) => {
          const path = textAt(view.payload, filename);
          const number = intAt(view.payload, fd);
          if (!path || number < 0) return;
          state.statedumpFiles++;
          const process = state.process(intAt(view.payload, pid));
          const known = process.fds.get(number);
          if (known && known.path === null) known.name(path);
          else if (!known || known.path !== path) state.setFd(process, number, new OpenFile(path, kindOfPath(path)));
        };
      }
      case 'lttng_statedump_socket': {
        const pid = info.field('pid');
        const fd = info.field('fd');
        const protocol = info.field('protocol');
        const local = info.field('local');
        const peer = info.field('peer');
        return (view, state) => {
          const file = state.processes.get(intAt(view.payload, pid))?.fds.get(intAt(view.payload, fd));
          if (!file) return;
          file.kind = 'socket';
          file.socket = {
            protocol: textAt(view.payload, protocol) ?? '',
            local: address(textAt(view.payload, local)),
            peer: address(textAt(view.payload, peer)),
          };
        };
      }
      default:
        return null;
    }
  }

  private forkAction(info: EventClassInfo): EventAction {
    const parentTid = info.field('parent_tid');
    const parentPid = info.field('parent_pid');
    const childTid = info.field('child_tid');
    const childPid = info.field('child_pid');
    const childComm = info.field('child_comm');
    return (view, state) => {
      const parent = state.thread(intAt(view.payload, parentTid));
      if (parentPid >= 0) state.setThreadPid(parent, intAt(view.payload, parentPid));
      const childTidValue = intAt(view.payload, childTid);
      const child = state.thread(childTidValue);
      const flags = state.cloneFlags.get(childTidValue);
      state.cloneFlags.delete(childTidValue);
      const parentProcess = state.processOf(parent);
      let pid: number | null = childPid >= 0 ? intAt(view.payload, childPid) : null;
      if (pid === null && flags !== undefined) pid = flags & CLONE_THREAD ? parentProcess.pid : childTidValue;
      // Without child_pid or clone flags, a fork's child is taken for a new process; the event context corrects it.
      pid ??= childTidValue;
      state.setThreadPid(child, pid);
      state.setThreadName(child, textAt(view.payload, childComm) ?? parent.name);
      if (pid === parentProcess.pid) return;
      const process = state.process(pid, child);
      process.parentPid = parentProcess.pid;
      process.forkedNs = view.timeNs;
      if (flags !== undefined && flags & CLONE_FILES) process.fds = parentProcess.fds;
      else for (const [fd, file] of parentProcess.fds) state.setFd(process, fd, file);
    };
  }
}

function exitActionFor(syscallName: string, info: EventClassInfo | null): ExitAction | null {
  const name = stripCompat(syscallName);
  if (READS.has(name)) {
    return (view, state) => {
      if (view.ret < 0) return;
      view.readFile = state.fileOf(view.thread, view.entry!.a);
      view.readBytes = view.ret;
    };
  }
  if (WRITES.has(name)) {
    return (view, state) => {
      if (view.ret < 0) return;
      view.writeFile = state.fileOf(view.thread, view.entry!.a);
      view.writeBytes = view.ret;
    };
  }
  if (TRANSFERS[name]) {
    return (view, state) => {
      if (view.ret < 0) return;
      view.readFile = state.fileOf(view.thread, view.entry!.a);
      view.readBytes = view.ret;
      view.writeFile = state.fileOf(view.thread, view.entry!.b);
      view.writeBytes = view.ret;
    };
  }
  if (OPENS.has(name)) return (view, state) => state.opened(view, new OpenFile(view.entry!.path, view.entry!.path ? 'file' : 'unknown'));
  const anon = ANON_FDS[name];
  if (anon) return (view, state) => state.opened(view, new OpenFile(anon, 'anon'));
  switch (name) {
    case 'close':
      return (view, state) => {
        if (view.ret === 0) state.closed(view, view.entry!.a);
      };
    case 'dup':
      return (view, state) => {
        if (view.ret >= 0) state.duplicated(view, view.entry!.a, view.ret);
      };
    case 'dup2':
    case 'dup3':
      return (view, state) => {
        if (view.ret >= 0 && view.entry!.a !== view.ret) state.duplicated(view, view.entry!.a, view.ret);
      };
    case 'fcntl':
    case 'fcntl64':
      return (view, state) => {
        const cmd = view.entry!.b;
        if (view.ret >= 0 && (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)) state.duplicated(view, view.entry!.a, view.ret);
      };
    case 'socket':
      return (view, state) => {
        if (view.ret >= 0) state.opened(view, new OpenFile(null, 'socket'));
      };
    case 'accept':
    case 'accept4': {
      return (view, state) => {
        if (view.ret < 0) return;
        const file = new OpenFile(null, 'socket');
        state.opened(view, file);
        const peer = info ? formatPeer(view.payload, info, 'sport') : null;
        file.connection = newConnection(view, state, view.ret, 'accepted', peer);
        view.connectedFile = file;
      };
    }
    case 'connect':
      return (view, state) => {
        if (view.ret < 0 && view.ret !== -EINPROGRESS) return;
        const file = state.fileOf(view.thread, view.entry!.a);
        if (!file) return;
        if (file.kind === 'unknown') file.kind = 'socket';
        file.connection = newConnection(view, state, view.entry!.a, 'connected', view.entry!.peer);
        view.connectedFile = file;
      };
    default:
      return null;
  }
}

function newConnection(view: EventView, state: TraceState, fd: number, direction: 'accepted' | 'connected', peer: PeerAddress | null): ConnectionState {
  return {
    pid: state.processOf(view.thread).pid,
    fd,
    direction,
    family: peer?.family ?? null,
    local: null,
    peer: peer?.address ?? null,
    sentBytes: 0,
    receivedBytes: 0,
    openedNs: view.timeNs,
  };
}

/** A statedump socket address; `*` (and "", in older traces of ours) is none. */
function address(text: string | null): string | null {
  return text && text !== NO_ADDRESS ? text : null;
}
