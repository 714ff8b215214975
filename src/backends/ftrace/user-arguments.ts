// The kernel's syscall tracepoints record a user-space argument as its
// pointer: `openat` with `filename = 0x7ffd...`, `connect` with
// `uservaddr = 0x7ffd...`. LTTng copies what they point to; so do we, with
// bpftrace reading it at the same tracepoints, and the converter putting it
// into the event as LTTng's fields. This file is the format of that side
// recording: what is read, how bpftrace prints it, and how the converter finds
// the line that belongs to an event.

import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';

/** Syscalls whose path argument we copy into the entry event, and the argument's name in the kernel's format file. */
export const PATH_ARGUMENTS: ReadonlyMap<string, string> = new Map([
  ['open', 'filename'],
  ['openat', 'filename'],
  ['openat2', 'filename'],
  ['creat', 'pathname'],
]);

/**
 * Syscalls whose socket address we copy, as lttng-modules records them:
 * connect's destination in its entry (`dport`), accept's peer in its exit
 * (`sport`), each with `family`, `v4addr` and `v6addr`.
 */
export const ADDRESS_ARGUMENTS: ReadonlyMap<string, { side: 'entry' | 'exit'; port: 'dport' | 'sport' }> = new Map([
  ['connect', { side: 'entry', port: 'dport' }],
  ['accept', { side: 'exit', port: 'sport' }],
  ['accept4', { side: 'exit', port: 'sport' }],
]);

export const USER_ARGUMENTS_FILE = 'user-arguments.txt';
/** bpftrace's longest string (BPFTRACE_STRLEN's limit in 0.17): longer paths are cut. */
export const PATH_BYTES = 200;
/** Printed once every probe is attached. */
export const READY_LINE = 'benchmark-tracer: attached';
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The bpftrace program. With `followFrom`, only that process's descendants
 * (forked after the program attached) are read, as set_event_pid + event-fork
 * do for the tracefs instance; without it, every process but `exclude`.
 * A line is monotonic ns, tid, syscall, then the value. Paths print only when
 * they differ from the thread's previous one, with the thread's call number
 * before them: every line costs a wakeup of bpftrace (an IPI on a VM) and its
 * formatting, which made a server that opens the same file per request (nginx)
 * three times slower; the converter gives a call without a line the path of
 * the thread's line before it.
 */
export function bpftraceProgram(syscalls: string[], scope: { followFrom: number } | { exclude: number }): string {
  const lines = [`BEGIN { printf("${READY_LINE}\\n"); }`];
  let filter: string;
  // A tid that comes back must not inherit a dead thread's call count and path.
  const forgetPath = syscalls.some((name) => PATH_ARGUMENTS.has(name)) ? ' delete(@calls[tid]); delete(@lastpath[tid]);' : '';
  if ('followFrom' in scope) {
    lines.push(
      `tracepoint:sched:sched_process_fork /args->parent_pid == ${scope.followFrom} || @followed[args->parent_pid]/ { @followed[args->child_pid] = 1; }`,
      `tracepoint:sched:sched_process_exit /@followed[tid]/ { delete(@followed[tid]);${forgetPath} }`,
    );
    filter = '@followed[tid]';
  } else {
    filter = `pid != ${scope.exclude}`;
    if (forgetPath) lines.push(`tracepoint:sched:sched_process_exit {${forgetPath} }`);
  }
  for (const name of syscalls) {
    const path = PATH_ARGUMENTS.get(name);
    const address = ADDRESS_ARGUMENTS.get(name);
    if (path) {
      lines.push(
        `tracepoint:syscalls:sys_enter_${name} /${filter}/ { @calls[tid] = @calls[tid] + 1; $path = str(args->${path}); ` +
          `if ($path != @lastpath[tid]) { @lastpath[tid] = $path; printf("%llu %d ${name} %d %s\\n", nsecs, tid, @calls[tid], $path); } }`,
      );
    } else if (address?.side === 'entry') {
      lines.push(`tracepoint:syscalls:sys_enter_${name} /${filter}/ { ${printAddress(name, 'args->uservaddr')} }`);
    } else if (address) {
      // The peer is written during the call: keep the pointer (maybe NULL), read it at the exit.
      // A line for every call, failed ones too (family 0): the converter pairs lines and events in order.
      lines.push(
        `tracepoint:syscalls:sys_enter_${name} /${filter}/ { @peer[tid] = (uint64)args->upeer_sockaddr; @calling[tid] = 1; }`,
        `tracepoint:syscalls:sys_exit_${name} /@calling[tid]/ { $at = @peer[tid]; delete(@peer[tid]); delete(@calling[tid]); ` +
          `if (args->ret >= 0 && $at != 0) { ${printAddress(name, 'uptr($at)')} } else { printf("%llu %d ${name} 0\\n", nsecs, tid); } }`,
      );
    } else {
      throw new Error(`internal: no user argument known for ${name}`);
    }
  }
  // Maps left at the end would be printed into the output.
  const maps = ['followed', 'peer', 'calling', 'calls', 'lastpath'].filter((map) => lines.some((line) => line.includes(`@${map}[`)));
  if (maps.length) lines.push(`END { ${maps.map((map) => `clear(@${map});`).join(' ')} }`);
  return `${lines.join('\n')}\n`;
}

/** Family, then port and address as sockaddr holds them (network order), or just the family. */
function printAddress(name: string, pointer: string): string {
  const head = `printf("%llu %d ${name} `;
  return (
    `$family = ((struct sockaddr *)${pointer})->sa_family; ` +
    `if ($family == ${AF_INET}) { ${head}${AF_INET} %u %u\\n", nsecs, tid, ((struct sockaddr_in *)${pointer})->sin_port, ((struct sockaddr_in *)${pointer})->sin_addr.s_addr); } ` +
    `else if ($family == ${AF_INET6}) { ${head}${AF_INET6} %u %s\\n", nsecs, tid, ((struct sockaddr_in6 *)${pointer})->sin6_port, ntop(${AF_INET6}, ((struct sockaddr_in6 *)${pointer})->sin6_addr.in6_u.u6_addr8)); } ` +
    `else { ${head}%d\\n", nsecs, tid, $family); }`
  );
}

/** A socket address as lttng-modules records it: the port in host order, the address's bytes / 16-bit words. */
export interface SocketAddress {
  family: number;
  port: number;
  v4: number[];
  v6: number[];
}

interface ArgumentRecord {
  timeNs: bigint;
  syscall: string;
  value: string;
  /** Paths: the thread's call number (its path calls counted by bpftrace, printed or not). */
  call: number;
}

/** A thread's records of one kind (paths, or socket addresses), in call order, and how far the events got. */
interface RecordCursor {
  records: ArgumentRecord[];
  next: number;
  /** Paths: the record that holds the thread's current path, and the path events seen since it. */
  current: ArgumentRecord | null;
  eventsSinceCurrent: number;
}

/** What bpftrace read, per thread, in call order; matched to the trace's events by the converter. */
export class UserArguments {
  records = 0;
  matched = 0;
  /** Of the matched: calls with no line of their own, the same path as the thread's call before. */
  repeated = 0;
  /** Matched, but bpftrace could not read the string. */
  unread = 0;
  /** bpftrace's own count of lines it could not deliver. */
  lost = 0;
  private readonly paths = new Map<number, RecordCursor>();
  private readonly addresses = new Map<number, RecordCursor>();

  static read(file: string): UserArguments {
    const found = new UserArguments();
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      return found;
    }
    let last: ArgumentRecord | null = null;
    for (const line of text.split('\n')) {
      const record = /^(\d+) (\d+) ([a-z0-9_]+) (.*)$/.exec(line);
      const isPath = record !== null && PATH_ARGUMENTS.has(record[3]!);
      if (record && (isPath || ADDRESS_ARGUMENTS.has(record[3]!))) {
        // A path line is "<call> <path>"; the path may be empty (not read) or hold spaces.
        const call = isPath ? /^(\d+) ?/.exec(record[4]!) : null;
        if (isPath && !call) continue;
        last = { timeNs: BigInt(record[1]!), syscall: record[3]!, value: call ? record[4]!.slice(call[0].length) : record[4]!, call: call ? Number(call[1]) : 0 };
        const byTid = isPath ? found.paths : found.addresses;
        const tid = Number(record[2]);
        const cursor = byTid.get(tid);
        if (cursor) cursor.records.push(last);
        else byTid.set(tid, { records: [last], next: 0, current: null, eventsSinceCurrent: 0 });
        found.records++;
        continue;
      }
      const lost = /^Lost (\d+) events/.exec(line);
      if (lost) found.lost += Number(lost[1]);
      else if (last && line !== '' && !line.startsWith('Attaching ') && line !== READY_LINE) last.value += `\n${line}`; // a path with a newline in it
    }
    return found;
  }

  /**
   * The value read for `syscall`'s call by `tid` whose event is at `timeNs`.
   * Both sides fire at the same tracepoint, microseconds apart (more when the
   * thread is preempted between the two probes, which 6.x's faultable syscall
   * tracepoints allow); a socket address is the thread's next unmatched record
   * of that syscall within the window, a path is found by takePath.
   */
  take(tid: number, syscall: string, timeNs: bigint): string | null {
    if (PATH_ARGUMENTS.has(syscall)) return this.takePath(tid, timeNs);
    const cursor = this.addresses.get(tid);
    if (!cursor) return null;
    const candidate = this.nextInWindow(cursor, timeNs);
    if (!candidate || candidate.syscall !== syscall) return null;
    cursor.next++;
    return this.found(candidate.value);
  }

  /**
   * A path call has its own line when its path differs from the thread's
   * previous one. Its line is the next one in the window whose call number is
   * the one expected after the current line; a line further ahead in the
   * count belongs to a later call, unless it is within microseconds (the count
   * is off: the trace lost the events of calls bpftrace saw). A call with no
   * line has the current line's path, unless bpftrace lost lines.
   */
  private takePath(tid: number, timeNs: bigint): string | null {
    const cursor = this.paths.get(tid);
    if (!cursor) return null;
    const candidate = this.nextInWindow(cursor, timeNs);
    const current = cursor.current;
    const expected = current ? current.call + cursor.eventsSinceCurrent + 1 : null;
    const own =
      candidate !== null &&
      (expected === null || candidate.call <= expected || abs(candidate.timeNs - timeNs) < SAME_CALL_NS);
    if (own) {
      cursor.next++;
      cursor.current = candidate;
      cursor.eventsSinceCurrent = 0;
      return this.found(candidate.value);
    }
    if (!current || this.lost > 0) return null;
    cursor.eventsSinceCurrent++;
    this.repeated++;
    return this.found(current.value);
  }

  /** The cursor's next record if it is within the window of `timeNs`; older ones are passed over. */
  private nextInWindow(cursor: RecordCursor, timeNs: bigint): ArgumentRecord | null {
    const { records } = cursor;
    // Records too old for this event belong to calls the trace does not have (lost, or before tracing started);
    // a path passed over is still the thread's path from then on.
    while (cursor.next < records.length && records[cursor.next]!.timeNs < timeNs - MATCH_WINDOW_NS) {
      cursor.current = records[cursor.next++]!;
      cursor.eventsSinceCurrent = 0;
    }
    const candidate = records[cursor.next];
    return candidate && candidate.timeNs <= timeNs + MATCH_WINDOW_NS ? candidate : null;
  }

  private found(value: string): string {
    this.matched++;
    if (value === '') this.unread++;
    return value;
  }
}

const MATCH_WINDOW_NS = 2_000_000n;
/** bpftrace's line and the trace's event of one call are both taken at the same tracepoint: well within this. */
const SAME_CALL_NS = 2_000n;

const abs = (n: bigint) => (n < 0n ? -n : n);

/** Parses bpftrace's "<family> [<port> <address>]" (port and IPv4 address as read from memory, little-endian). */
export function parseSocketAddress(value: string): SocketAddress | null {
  const [familyText, portText, addressText] = value.split(' ');
  const family = Number(familyText);
  if (!Number.isInteger(family)) return null;
  const none: SocketAddress = { family, port: 0, v4: [], v6: [] };
  if (portText === undefined || addressText === undefined) return none;
  const raw = Number(portText);
  const port = ((raw & 0xff) << 8) | ((raw >> 8) & 0xff);
  if (family === AF_INET) {
    const word = Number(addressText);
    return { family, port, v4: [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24], v6: [] };
  }
  if (family === AF_INET6 && isIPv6(addressText)) return { family, port, v4: [], v6: ipv6Words(addressText) };
  return none;
}

function ipv6Words(text: string): number[] {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two words.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = dotted
    ? text.slice(0, dotted.index) + `${((+dotted[1]! << 8) | +dotted[2]!).toString(16)}:${((+dotted[3]! << 8) | +dotted[4]!).toString(16)}`
    : text;
  const [head = '', tail] = hex.split('::');
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
