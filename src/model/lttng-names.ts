// The naming conventions of LTTng kernel traces, in one place for the
// recorder (which writes them), the analyses and the exporters (which read
// them): syscall event names across lttng-modules versions, and the markers
// our recorder writes where a value is unknown.

export type SyscallRole = 'entry' | 'exit' | null;

/** lttng-modules 2.6 and later: syscall_entry_X / syscall_exit_X (compat_syscall_* for 32-bit tasks on 64-bit kernels). */
const ENTRY_PREFIX = 'syscall_entry_';
const EXIT_PREFIX = 'syscall_exit_';
/** lttng-modules before 2.6: sys_X entries and one exit_syscall for every syscall. */
export const OLD_UNNAMED_EXIT = 'exit_syscall';

export function syscallEntryEventName(syscall: string): string {
  return `${ENTRY_PREFIX}${syscall}`;
}

export function syscallExitEventName(syscall: string): string {
  return `${EXIT_PREFIX}${syscall}`;
}

/** LTTng's name for a kernel tracepoint (tracefs system and name): syscall_entry_X / syscall_exit_X for the syscalls; others keep theirs. */
export function lttngEventName(system: string, name: string): string {
  const syscall = system === 'syscalls' ? /^sys_(enter|exit)_(.+)$/.exec(name) : null;
  if (syscall) return syscall[1] === 'enter' ? syscallEntryEventName(syscall[2]!) : syscallExitEventName(syscall[2]!);
  return name;
}

/**
 * LTTng's name for a tracepoint's field: in sched_* and task_* events a
 * thread id is a tid (`pid` -> `tid`, `prev_pid` -> `prev_tid`), as
 * lttng-modules names it; the tracker reads them by these names.
 */
export function lttngFieldName(eventName: string, field: string): string {
  if (!/^(sched|task)_/.test(eventName)) return field;
  if (field === 'pid') return 'tid';
  return field.replace(/_pid$/, '_tid');
}

/** The syscall meaning of an event name, across LTTng versions; `syscall` is null for old LTTng's unnamed exit. */
export function syscallOfEventName(name: string): { role: SyscallRole; syscall: string | null } {
  let m = /^(compat_)?syscall_(entry|exit)_(.+)$/.exec(name);
  if (m) return { role: m[2] as 'entry' | 'exit', syscall: (m[1] ?? '') + m[3]! };
  m = /^sys_(.+)$/.exec(name);
  if (m) return { role: 'entry', syscall: m[1]! };
  if (name === OLD_UNNAMED_EXIT) return { role: 'exit', syscall: null };
  return { role: null, syscall: null };
}

/** The syscall of a name without its compat_ prefix: compat_read behaves as read. */
export function nativeSyscall(name: string): string {
  return name.startsWith('compat_') ? name.slice(7) : name;
}

export const STATEDUMP_PREFIX = 'lttng_statedump_';

/**
 * Where the recorder could not read a path argument (no bpftrace line for the
 * call, or the string was not paged in: a BPF program cannot take a page
 * fault). Not a path: "" names the current directory in some APIs.
 */
export const UNREAD_PATH = '(not read)';

/** The address of an unnamed or unconnected socket in lttng_statedump_socket, as ss(8) prints it. */
export const NO_ADDRESS = '*';
