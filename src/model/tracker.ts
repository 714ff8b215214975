// The one model of the traced system that the analyses and the exporters
// share, updated event by event before they see the event: who runs on each
// CPU, thread -> process and names, the process tree, each process's file
// descriptors, and each thread's syscall in flight (so an exit knows its
// entry, its start time and its arguments).

import { intAt, textAt, type EventClassInfo } from './event-class-info.js';
import { kindOfPath, OpenFile, type Pending, type Process, type SyscallRef, type Thread } from './entities.js';
import type { EventView } from './event-view.js';
import { NO_ADDRESS } from './lttng-names.js';
import { CHILD_RETURNS, entryExtractFor, exitEffectFor, NO_RETURN, type EntryExtract, type ExitEffect } from './syscall-effects.js';
import { nativeSyscall } from './lttng-names.js';

type EventAction = (view: EventView, tracker: SystemTracker) => void;

/** What the tracker does with events of one class, bound once. */
export interface TrackerPlan {
  entryExtract: EntryExtract | null;
  exitEffect: ExitEffect | null;
  action: EventAction | null;
}

const CLONE_FILES = 0x400;
const CLONE_THREAD = 0x10000;

export class SystemTracker {
  readonly threads = new Map<number, Thread>();
  readonly processes = new Map<number, Process>();
  readonly syscalls = new Map<string, SyscallRef>();
  /** tid running on each CPU, from sched_switch; absent before the CPU's first switch. */
  readonly currentTid = new Map<number, number>();
  /** clone flags of tasks created but not yet forked (task_newtask comes before sched_process_fork). */
  private readonly cloneFlags = new Map<number, number>();
  private readonly releaseListeners: Array<(file: OpenFile, timeNs: number) => void> = [];
  /** A copy of the entry a new entry replaced (view.replacedEntry), valid until the next event. */
  private readonly replaced: Pending = newPending();
  unmatchedEntries = 0;
  unmatchedExits = 0;
  /** Entries replaced by another entry on the same thread before their exit. */
  entriesWithoutExit = 0;
  statedumpFiles = 0;
  now = 0;
  /** Set while the end of the trace releases what is still open: those files were not closed. */
  ending = false;

  /** Called when a file's last fd goes (close, exit, the end of the trace): its figures are final. */
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
      thread = { tid, index: this.threads.size, pid: null, name: '', pending: null, call: null };
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

  // Effects of syscall exits (syscall-effects.ts).

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

  // --- syscalls -----------------------------------------------------------

  plan(info: EventClassInfo): TrackerPlan {
    if (info.role === 'entry') return { entryExtract: entryExtractFor(info), exitEffect: null, action: null };
    if (info.role === 'exit') return { entryExtract: null, exitEffect: info.syscall === null ? null : exitEffectFor(info.syscall, info), action: null };
    return { entryExtract: null, exitEffect: null, action: eventAction(info) };
  }

  /** A syscall entry: the thread's syscall in flight (an earlier one without exit is in view.replacedEntry). */
  enterSyscall(view: EventView, plan: TrackerPlan): void {
    const thread = view.thread;
    const syscall = this.syscall(view.info.syscall!);
    view.syscall = syscall;
    const replaced = thread.pending;
    if (replaced) {
      view.replacedEntry = copyPending(replaced, this.replaced);
      if (!NO_RETURN.has(replaced.syscall.name)) this.entriesWithoutExit++;
    }
    const call = (thread.call ??= newPending());
    call.syscall = syscall;
    call.startNs = view.timeNs;
    call.a = NaN;
    call.b = NaN;
    call.path = null;
    call.peer = null;
    call.args = null;
    plan.entryExtract?.(view.payload, call);
    thread.pending = call;
  }

  /** Matches a syscall exit to its thread's entry and applies its effect. */
  exitSyscall(view: EventView, plan: TrackerPlan, retIndex: number): void {
    const thread = view.thread;
    const pending = thread.pending;
    const named = view.info.syscall;
    view.ret = intAt(view.payload, retIndex);
    if (pending && (named === null || pending.syscall.name === named)) {
      view.entry = pending;
      view.syscall = pending.syscall;
      thread.pending = null;
      let effect = plan.exitEffect;
      if (named === null) {
        if (pending.syscall.unnamedExit === undefined) pending.syscall.unnamedExit = exitEffectFor(pending.syscall.name, null);
        effect = pending.syscall.unnamedExit;
      }
      effect?.(view, this);
      return;
    }
    view.syscall = named === null ? null : this.syscall(named);
    if (named !== null && CHILD_RETURNS.has(nativeSyscall(named)) && view.ret === 0) {
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

  // --- non-syscall events: the scheduler, the process tree, statedumps ----

  forked(view: EventView, parentTid: number, parentPid: number | null, childTid: number, childPid: number | null, childComm: string | null): void {
    const parent = this.thread(parentTid);
    if (parentPid !== null) this.setThreadPid(parent, parentPid);
    const child = this.thread(childTid);
    const flags = this.cloneFlags.get(childTid);
    this.cloneFlags.delete(childTid);
    const parentProcess = this.processOf(parent);
    let pid = childPid;
    if (pid === null && flags !== undefined) pid = flags & CLONE_THREAD ? parentProcess.pid : childTid;
    // Without child_pid or clone flags, a fork's child is taken for a new process; the event context corrects it.
    pid ??= childTid;
    this.setThreadPid(child, pid);
    this.setThreadName(child, childComm ?? parent.name);
    if (pid === parentProcess.pid) return;
    const process = this.process(pid, child);
    process.parentPid = parentProcess.pid;
    process.forkedNs = view.timeNs;
    if (flags !== undefined && flags & CLONE_FILES) process.fds = parentProcess.fds;
    else for (const [fd, file] of parentProcess.fds) this.setFd(process, fd, file);
  }

  newTask(tid: number, cloneFlags: number, comm: string): void {
    this.cloneFlags.set(tid, cloneFlags);
    this.setThreadName(this.thread(tid), comm);
  }

  /** A process's last thread exited: its fds go. */
  processExited(thread: Thread, groupDead: boolean | null, timeNs: number): void {
    const process = this.processOf(thread);
    const lastThread = groupDead ?? thread.tid === process.pid;
    if (!lastThread) return;
    process.exitedNs = timeNs;
    for (const fd of [...process.fds.keys()]) this.closeFd(process, fd);
  }

  /** lttng_statedump_file_descriptor: names an fd we saw without its path, or records one opened before the trace. */
  statedumpFd(pid: number, fd: number, path: string): void {
    this.statedumpFiles++;
    const process = this.process(pid);
    const known = process.fds.get(fd);
    if (known && known.path === null) known.name(path);
    else if (!known || known.path !== path) this.setFd(process, fd, new OpenFile(path, kindOfPath(path)));
  }
}

const NO_SYSCALL: SyscallRef = { name: '', id: -1, unnamedExit: null };

function newPending(): Pending {
  return { syscall: NO_SYSCALL, startNs: 0, a: NaN, b: NaN, path: null, peer: null, args: null };
}

function copyPending(from: Pending, to: Pending): Pending {
  to.syscall = from.syscall;
  to.startNs = from.startNs;
  to.a = from.a;
  to.b = from.b;
  to.path = from.path;
  to.peer = from.peer;
  to.args = from.args;
  return to;
}

/** A statedump socket address; `*` (and "", in older traces of ours) is none. */
function address(text: string | null): string | null {
  return text && text !== NO_ADDRESS ? text : null;
}

function eventAction(info: EventClassInfo): EventAction | null {
  switch (info.name) {
    case 'sched_switch': {
      const nextTid = info.field('next_tid');
      const nextComm = info.field('next_comm');
      return (view, tracker) => {
        const tid = intAt(view.payload, nextTid);
        tracker.currentTid.set(view.cpu, tid);
        const name = textAt(view.payload, nextComm);
        // The switch names the task as it is now (an exec the trace has no event for shows here).
        if (name && tid > 0) tracker.setThreadName(tracker.thread(tid), name);
      };
    }
    case 'task_newtask': {
      const tid = info.field('tid');
      const flags = info.field('clone_flags');
      const comm = info.field('comm');
      return (view, tracker) => tracker.newTask(intAt(view.payload, tid), intAt(view.payload, flags), textAt(view.payload, comm) ?? '');
    }
    case 'task_rename': {
      const tid = info.field('tid');
      const comm = info.field('newcomm');
      return (view, tracker) => {
        const thread = tid >= 0 ? tracker.thread(intAt(view.payload, tid)) : view.thread;
        tracker.setThreadName(thread, textAt(view.payload, comm) ?? '');
      };
    }
    case 'sched_process_fork': {
      const parentTid = info.field('parent_tid');
      const parentPid = info.field('parent_pid');
      const childTid = info.field('child_tid');
      const childPid = info.field('child_pid');
      const childComm = info.field('child_comm');
      return (view, tracker) =>
        tracker.forked(
          view,
          intAt(view.payload, parentTid),
          parentPid >= 0 ? intAt(view.payload, parentPid) : null,
          intAt(view.payload, childTid),
          childPid >= 0 ? intAt(view.payload, childPid) : null,
          textAt(view.payload, childComm),
        );
    }
    case 'sched_process_exec': {
      const filename = info.field('filename');
      const tid = info.field('tid');
      return (view, tracker) => {
        const thread = tid >= 0 ? tracker.thread(intAt(view.payload, tid)) : view.thread;
        const path = textAt(view.payload, filename) ?? '';
        tracker.processOf(thread).execs.push({ timeNs: view.timeNs, filename: path });
        tracker.setThreadName(thread, path.slice(path.lastIndexOf('/') + 1).slice(0, 15));
      };
    }
    case 'sched_process_exit': {
      const tid = info.field('tid');
      const groupDead = info.field('group_dead');
      return (view, tracker) => {
        const thread = tracker.thread(tid >= 0 ? intAt(view.payload, tid) : view.tid);
        tracker.processExited(thread, groupDead >= 0 ? intAt(view.payload, groupDead) === 1 : null, view.timeNs);
      };
    }
    case 'lttng_statedump_process_state': {
      const tid = info.field('tid');
      const pid = info.field('pid');
      const ppid = info.field('ppid');
      const name = info.field('name');
      return (view, tracker) => {
        const thread = tracker.thread(intAt(view.payload, tid));
        tracker.setThreadPid(thread, intAt(view.payload, pid));
        tracker.setThreadName(thread, textAt(view.payload, name) ?? '');
        const process = tracker.processOf(thread);
        const parent = intAt(view.payload, ppid);
        if (process.parentPid === null && parent > 0) process.parentPid = parent;
      };
    }
    case 'lttng_statedump_file_descriptor': {
      const pid = info.field('pid');
      const fd = info.field('fd');
      const filename = info.field('filename');
      return (view, tracker) => {
        const path = textAt(view.payload, filename);
        const number = intAt(view.payload, fd);
        if (path && number >= 0) tracker.statedumpFd(intAt(view.payload, pid), number, path);
      };
    }
    case 'lttng_statedump_socket': {
      const pid = info.field('pid');
      const fd = info.field('fd');
      const protocol = info.field('protocol');
      const local = info.field('local');
      const peer = info.field('peer');
      return (view, tracker) => {
        const file = tracker.processes.get(intAt(view.payload, pid))?.fds.get(intAt(view.payload, fd));
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
