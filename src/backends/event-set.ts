// What a run records, named once for every backend. Items are kernel
// tracepoints as "system:event" (globs allowed), or an LTTng-style name
// (syscall_entry_read, sched_switch) that is mapped back to the tracepoint.

import { UserError } from '../util/errors.js';
import { closeMatches } from '../util/suggest.js';

export interface Tracepoint {
  system: string;
  name: string;
}

export const tracepointId = (t: Tracepoint): string => `${t.system}:${t.name}`;

/** "system:name" -> the tracepoint. */
export function parseTracepoint(id: string): Tracepoint {
  const [system, name] = id.split(':');
  return { system: system!, name: name! };
}

/** The syscalls among these tracepoints, by bare name (openat for sys_enter_openat and sys_exit_openat), each once. */
export function syscallNamesOf(events: Iterable<Tracepoint>): string[] {
  const names = new Set<string>();
  for (const event of events) {
    const syscall = event.system === 'syscalls' ? /^sys_(?:enter|exit)_(.+)$/.exec(event.name) : null;
    if (syscall) names.add(syscall[1]!);
  }
  return [...names];
}

const SCHEDULING = [
  'sched:sched_switch',
  'sched:sched_wakeup',
  'sched:sched_waking',
  'sched:sched_migrate_task',
  'sched:sched_process_fork',
  'sched:sched_process_exec',
  'sched:sched_process_exit',
  'sched:sched_process_free',
];

/** Syscalls of the original utility: files, network, processes. */
const ORIGINAL_SYSCALLS = [
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'read', 'write', 'pread64', 'pwrite64',
  'readv', 'writev', 'preadv', 'pwritev', 'lseek', 'fsync', 'fdatasync', 'sendfile64', 'dup', 'dup2', 'dup3',
  'newstat', 'newfstat', 'newlstat', 'newfstatat', 'statx', 'unlink', 'unlinkat', 'rename', 'renameat2',
  'mkdir', 'mkdirat', 'fcntl', 'ioctl', 'pipe2', 'socket', 'socketpair', 'bind', 'listen', 'accept',
  'accept4', 'connect', 'shutdown', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg',
  'setsockopt', 'getsockopt', 'getsockname', 'getpeername', 'poll', 'ppoll', 'select', 'pselect6',
  'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'clone', 'clone3', 'fork',
  'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tgkill', 'mmap',
  'munmap', 'brk', 'futex', 'nanosleep', 'clock_nanosleep',
];

export const NAMED_EVENT_SETS: Record<string, { description: string; items: string[] }> = {
  default: {
    description:
      'every syscall entry and exit; scheduling and process lifetime; irq and softirq; block requests; network devices',
    items: [
      'syscalls:*',
      ...SCHEDULING,
      'irq:irq_handler_entry',
      'irq:irq_handler_exit',
      'irq:softirq_entry',
      'irq:softirq_exit',
      'block:block_rq_issue',
      'block:block_rq_complete',
      'net:net_dev_xmit',
      'net:netif_receive_skb',
    ],
  },
  original: {
    description: "the original utility's set: file, network and process syscalls plus scheduling",
    items: [
      ...ORIGINAL_SYSCALLS.flatMap((s) => [`syscalls:sys_enter_${s}`, `syscalls:sys_exit_${s}`]),
      'sched:sched_switch',
      'sched:sched_wakeup',
      'sched:sched_process_fork',
      'sched:sched_process_exec',
      'sched:sched_process_exit',
    ],
  },
  all: { description: 'every tracepoint of the kernel', items: ['*:*'] },
};

/**
 * Recorded in every run whatever the set: the converter needs them to name
 * every thread (tgid from clone flags, comm after exec or rename). All rare.
 */
export const BOOKKEEPING_EVENTS = [
  'task:task_newtask',
  'task:task_rename',
  'sched:sched_process_fork',
  'sched:sched_process_exec',
];

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${escaped}$`);
}

/** Maps a name as LTTng writes it to the tracepoint it comes from. */
function fromLttngName(item: string): string {
  const syscall = /^syscall_(entry|exit)_(.+)$/.exec(item);
  if (syscall) return `syscalls:sys_${syscall[1] === 'entry' ? 'enter' : 'exit'}_${syscall[2]}`;
  return item;
}

/**
 * Resolves an --events value against the tracepoints this kernel has.
 * Optional names of a named set that this kernel lacks are skipped (a set
 * names syscalls of every architecture); a name the user typed must exist.
 */
export function resolveEventSet(spec: string, available: Tracepoint[]): { set: Tracepoint[]; skipped: string[] } {
  const byId = new Map(available.map((t) => [tracepointId(t), t]));
  const byName = new Map<string, Tracepoint[]>();
  for (const t of available) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);

  const chosen = new Map<string, Tracepoint>();
  const skipped: string[] = [];
  const add = (t: Tracepoint) => chosen.set(tracepointId(t), t);

  const resolveItem = (raw: string, fromNamedSet: boolean) => {
    const item = fromLttngName(raw);
    if (item.includes(':')) {
      if (/[*?]/.test(item)) {
        const pattern = globToRegExp(item);
        const matches = available.filter((t) => pattern.test(tracepointId(t)));
        if (matches.length === 0 && !fromNamedSet) throw unknownEvent(raw, byId.keys(), item);
        matches.forEach(add);
        return;
      }
      const found = byId.get(item);
      if (found) add(found);
      else if (fromNamedSet) skipped.push(item);
      else throw unknownEvent(raw, byId.keys(), item);
      return;
    }
    const bySystem = available.filter((t) => t.system === item);
    if (bySystem.length > 0) return bySystem.forEach(add);
    const found = byName.get(item);
    if (!found) throw unknownEvent(raw, [...byName.keys(), ...new Set(available.map((t) => t.system))]);
    if (found.length > 1) {
      throw new UserError(`event "${raw}" is ambiguous: ${found.map(tracepointId).join(', ')}; name one of them`);
    }
    add(found[0]!);
  };

  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UserError('--events is empty: give a set name (default, original, all) or event names');
  for (const item of items) {
    const named = NAMED_EVENT_SETS[item];
    if (named) named.items.forEach((i) => resolveItem(i, true));
    else resolveItem(item, false);
  }
  return { set: [...chosen.values()], skipped };
}

function unknownEvent(item: string, candidates: Iterable<string>, matchOn = item): UserError {
  const close = closeMatches(matchOn, candidates);
  const hint = close.length ? `; did you mean ${close.join(', ')}?` : '; `benchmark-tracer --list-events` lists them';
  return new UserError(`unknown event "${item}"${hint}`);
}

/** Parses the kernel's available_events ("system:event" lines). */
export function parseAvailableEvents(text: string): Tracepoint[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [system, name] = line.split(':');
      return { system: system!, name: name! };
    });
}
