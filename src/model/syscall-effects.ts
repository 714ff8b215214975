// What a syscall does to the model: which arguments its entry must keep for
// its exit (the fd, the path, the peer), and what its exit changes (an fd
// opened, duplicated or closed; bytes read or written through a file; a
// connection made). One function per syscall name, bound once per event
// class, so an event runs only its own syscall's code.

import type { FieldValue } from '../ctf/field-decoder.js';
import { intAt, textAt, type EventClassInfo } from './event-class-info.js';
import { OpenFile, type PeerAddress, type Pending, type SocketConnection } from './entities.js';
import type { EventView } from './event-view.js';
import { nativeSyscall, UNREAD_PATH } from './lttng-names.js';
import type { SystemTracker } from './tracker.js';

export type EntryExtract = (payload: FieldValue[] | null, pending: Pending) => void;
export type ExitEffect = (view: EventView, tracker: SystemTracker) => void;

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
/** Syscalls whose exit in the child (ret 0) has no entry there. */
export const CHILD_RETURNS = new Set(['clone', 'clone3', 'fork', 'vfork']);
/** Syscalls that end the thread: their entry never gets an exit. */
export const NO_RETURN = new Set(['exit', 'exit_group']);

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

/** What a syscall's entry keeps for its exit, read from the entry's payload; null when the exit needs nothing. */
export function entryExtractFor(info: EventClassInfo): EntryExtract | null {
  const name = nativeSyscall(info.syscall!);
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

/**
 * What a syscall's exit changes, given its entry (view.entry). `info` is the
 * exit's class, null for old LTTng's unnamed exit_syscall (then fields only
 * the exit has, accept's peer, are not read).
 */
export function exitEffectFor(syscallName: string, info: EventClassInfo | null): ExitEffect | null {
  const name = nativeSyscall(syscallName);
  if (READS.has(name)) {
    return (view, tracker) => {
      if (view.ret < 0) return;
      view.readFile = tracker.fileOf(view.thread, view.entry!.a);
      view.readBytes = view.ret;
    };
  }
  if (WRITES.has(name)) {
    return (view, tracker) => {
      if (view.ret < 0) return;
      view.writeFile = tracker.fileOf(view.thread, view.entry!.a);
      view.writeBytes = view.ret;
    };
  }
  if (TRANSFERS[name]) {
    return (view, tracker) => {
      if (view.ret < 0) return;
      view.readFile = tracker.fileOf(view.thread, view.entry!.a);
      view.readBytes = view.ret;
      view.writeFile = tracker.fileOf(view.thread, view.entry!.b);
      view.writeBytes = view.ret;
    };
  }
  if (OPENS.has(name)) return (view, tracker) => tracker.opened(view, new OpenFile(view.entry!.path, view.entry!.path ? 'file' : 'unknown'));
  const anon = ANON_FDS[name];
  if (anon) return (view, tracker) => tracker.opened(view, new OpenFile(anon, 'anon'));
  switch (name) {
    case 'close':
      return (view, tracker) => {
        if (view.ret === 0) tracker.closed(view, view.entry!.a);
      };
    case 'dup':
      return (view, tracker) => {
        if (view.ret >= 0) tracker.duplicated(view, view.entry!.a, view.ret);
      };
    case 'dup2':
    case 'dup3':
      return (view, tracker) => {
        if (view.ret >= 0 && view.entry!.a !== view.ret) tracker.duplicated(view, view.entry!.a, view.ret);
      };
    case 'fcntl':
    case 'fcntl64':
      return (view, tracker) => {
        const cmd = view.entry!.b;
        if (view.ret >= 0 && (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)) tracker.duplicated(view, view.entry!.a, view.ret);
      };
    case 'socket':
      return (view, tracker) => {
        if (view.ret >= 0) tracker.opened(view, new OpenFile(null, 'socket'));
      };
    case 'accept':
    case 'accept4': {
      return (view, tracker) => {
        if (view.ret < 0) return;
        const file = new OpenFile(null, 'socket');
        tracker.opened(view, file);
        const peer = info ? formatPeer(view.payload, info, 'sport') : null;
        file.connection = newConnection(view, tracker, view.ret, 'accepted', peer);
        view.connectedFile = file;
      };
    }
    case 'connect':
      return (view, tracker) => {
        if (view.ret < 0 && view.ret !== -EINPROGRESS) return;
        const file = tracker.fileOf(view.thread, view.entry!.a);
        if (!file) return;
        if (file.kind === 'unknown') file.kind = 'socket';
        file.connection = newConnection(view, tracker, view.entry!.a, 'connected', view.entry!.peer);
        view.connectedFile = file;
      };
    default:
      return null;
  }
}

function newConnection(view: EventView, tracker: SystemTracker, fd: number, direction: 'accepted' | 'connected', peer: PeerAddress | null): SocketConnection {
  return {
    pid: tracker.processOf(view.thread).pid,
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
