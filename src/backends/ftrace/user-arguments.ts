// The kernel's syscall tracepoints record a path argument as the user-space
// pointer, not the text: `openat` with `filename = 0x7ffd...`. LTTng copies the
// string; so do we, with bpftrace reading it at the same tracepoint, and the
// converter putting it back into the event as a string field. This file is the
// format of that side recording: what is read, how bpftrace prints it, how the
// converter finds the line that belongs to an event.

import { readFileSync } from 'node:fs';

/** Syscalls whose path argument we copy, and the argument's name in the kernel's format file. */
export const PATH_ARGUMENTS: ReadonlyMap<string, string> = new Map([
  ['open', 'filename'],
  ['openat', 'filename'],
  ['openat2', 'filename'],
  ['creat', 'pathname'],
]);

export const SYSCALL_PATHS_FILE = 'syscall-paths.txt';
/** bpftrace's longest string (BPFTRACE_STRLEN's limit in 0.17): longer paths are cut. */
export const PATH_BYTES = 200;
/**
 * The path of a call bpftrace did not read: its record is missing, or the
 * string was not paged in (a BPF program cannot take a page fault), which
 * bpftrace shows as an empty string. Not empty, so no reader takes it for a
 * path ("" is one's name for the current directory in some APIs).
 */
export const UNREAD_PATH = '(not read)';
/** Printed once every probe is attached. */
export const READY_LINE = 'benchmark-tracer: attached';

/**
 * The bpftrace program. With `followFrom`, only that process's descendants
 * (forked after the program attached) are read, as set_event_pid + event-fork
 * do for the tracefs instance; without it, every process but `exclude`.
 */
export function bpftraceProgram(syscalls: string[], scope: { followFrom: number } | { exclude: number }): string {
  const lines = [`BEGIN { printf("${READY_LINE}\\n"); }`];
  let filter: string;
  if ('followFrom' in scope) {
    lines.push(
      `tracepoint:sched:sched_process_fork /args->parent_pid == ${scope.followFrom} || @followed[args->parent_pid]/ { @followed[args->child_pid] = 1; }`,
      'tracepoint:sched:sched_process_exit /@followed[tid]/ { delete(@followed[tid]); }',
    );
    filter = '@followed[tid]';
  } else {
    filter = `pid != ${scope.exclude}`;
  }
  for (const name of syscalls) {
    const argument = PATH_ARGUMENTS.get(name);
    if (!argument) throw new Error(`internal: no path argument known for ${name}`);
    // One line per call: monotonic ns, tid, syscall, then the path to the end of the line.
    lines.push(`tracepoint:syscalls:sys_enter_${name} /${filter}/ { printf("%llu %d ${name} %s\\n", nsecs, tid, str(args->${argument})); }`);
  }
  lines.push('END { clear(@followed); }');
  return `${lines.join('\n')}\n`;
}

interface PathRecord {
  timeNs: bigint;
  syscall: string;
  path: string;
}

/** What bpftrace read, per thread, in call order; matched to the trace's entry events by the converter. */
export class SyscallPaths {
  records = 0;
  matched = 0;
  /** Matched, but bpftrace could not read the string. */
  unread = 0;
  /** bpftrace's own count of lines it could not deliver. */
  lost = 0;
  private readonly byTid = new Map<number, PathRecord[]>();
  private readonly next = new Map<number, number>();

  static read(file: string): SyscallPaths {
    const paths = new SyscallPaths();
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      return paths;
    }
    let last: PathRecord | null = null;
    for (const line of text.split('\n')) {
      const record = /^(\d+) (\d+) ([a-z0-9_]+) (.*)$/.exec(line);
      if (record && PATH_ARGUMENTS.has(record[3]!)) {
        last = { timeNs: BigInt(record[1]!), syscall: record[3]!, path: record[4]! };
        const tid = Number(record[2]);
        const list = paths.byTid.get(tid);
        if (list) list.push(last);
        else paths.byTid.set(tid, [last]);
        paths.records++;
        continue;
      }
      const lost = /^Lost (\d+) events/.exec(line);
      if (lost) paths.lost += Number(lost[1]);
      else if (last && line !== '' && !line.startsWith('Attaching ') && line !== READY_LINE) last.path += `\n${line}`; // a path with a newline in it
    }
    return paths;
  }

  /**
   * The path of `syscall`'s call by `tid` whose entry event is at `timeNs`:
   * the thread's next unmatched record of that syscall within the window.
   * Both sides fire at the same tracepoint, microseconds apart; the window
   * only has to absorb a page fault while bpftrace reads the string.
   */
  take(tid: number, syscall: string, timeNs: bigint): string | null {
    const list = this.byTid.get(tid);
    if (!list) return null;
    let i = this.next.get(tid) ?? 0;
    // Records too old for this event belong to calls the trace does not have (lost, or before tracing started).
    while (i < list.length && list[i]!.timeNs < timeNs - MATCH_WINDOW_NS) i++;
    this.next.set(tid, i);
    const candidate = list[i];
    if (!candidate || candidate.syscall !== syscall || candidate.timeNs > timeNs + MATCH_WINDOW_NS) return null;
    this.next.set(tid, i + 1);
    this.matched++;
    if (candidate.path === '') this.unread++;
    return candidate.path;
  }
}

const MATCH_WINDOW_NS = 2_000_000n;
