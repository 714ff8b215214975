// The kernel's syscall tracepoints record a user-space argument as its
// pointer: `openat` with `filename = 0x7ffd...`, `connect` with
// `uservaddr = 0x7ffd...`. LTTng copies what they point to; so do we, with
// bpftrace reading it as the syscall runs (ReadSide), and the converter putting it
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
/** Printed first by the program that reads at the syscalls' exits. */
const EXIT_SIDE_LINE = 'benchmark-tracer: read at exit';
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * Where the program reads the arguments.
 *  - `exit`: every value at the syscall's exit, from the registers the
 *    syscall saved at the top of the task's kernel stack (x86_64). The
 *    sys_enter tracepoint then has one probe, tracefs's, which the kernel
 *    calls directly; a second probe makes it loop over indirect calls (with
 *    retpolines, ~23 ns per syscall of every process on the machine, traced
 *    or not). The strings are paged in by then, too: the kernel just read them.
 *  - `tracepoint`: at the tracepoints that hold them (entry; accept's peer at
 *    its exit through the pointer kept at its entry). Elsewhere.
 */
export type ReadSide = 'exit' | 'tracepoint';

export function readSideOf(arch: string = process.arch): ReadSide {
  return arch === 'x64' ? 'exit' : 'tracepoint';
}

/**
 * The registers a syscall saved: struct pt_regs at the top of its 16 KiB
 * kernel stack, 16 bytes lower with FRED. Checked against the syscall's
 * number before any use (an argument read elsewhere is unread, never wrong).
 */
const SAVED_REGISTERS =
  '$regs = (struct pt_regs *)((uint64)curtask->stack + 16384 - 168); ' +
  'if ((int64)$regs->orig_ax != args->__syscall_nr) { $regs = (struct pt_regs *)((uint64)curtask->stack + 16384 - 184); } ' +
  '$valid = (int64)$regs->orig_ax == args->__syscall_nr;';

/** The register (x86_64 syscall convention) of each copied argument. */
const ARGUMENT_REGISTER: ReadonlyMap<string, string> = new Map([
  ['open', 'di'],
  ['creat', 'di'],
  ['openat', 'si'],
  ['openat2', 'si'],
  ['connect', 'si'],
  ['accept', 'si'],
  ['accept4', 'si'],
]);

/** Whose arguments are read: the processes `announcedBy` follows (and their descendants), or all but `exclude`'s. */
export type ArgumentScope = { announcedBy: number } | { exclude: number };

/** The announcement: harmless to a process that is not stopped (its default action is none). */
const SIGCONT = 18;

/** The three kinds of argument; each is numbered per thread, as a count of its calls. */
type ArgumentKind = 'path' | 'connect' | 'accept';
const COUNTER: Record<ArgumentKind, string> = { path: '@calls', connect: '@connects', accept: '@accepts' };

function kindOf(syscall: string): ArgumentKind | null {
  if (PATH_ARGUMENTS.has(syscall)) return 'path';
  const address = ADDRESS_ARGUMENTS.get(syscall);
  if (!address) return null;
  return address.side === 'entry' ? 'connect' : 'accept';
}

/**
 * The bpftrace program. With `announcedBy`, it reads the processes that
 * process announces (a SIGCONT to a process held at its gate, before it runs:
 * see UserArgumentRecorder.follow) and their descendants, the processes
 * set_event_pid + event-fork give the tracefs instance, and not the untraced
 * benchmark clients; without it, every process but `exclude`.
 * A line is monotonic ns, tid, syscall, the thread's call number of that kind
 * (paths, connects, accepts), then the value. Paths print only when they
 * differ from the thread's previous one: every line costs a wakeup of
 * bpftrace (an IPI on a VM) and its formatting, which made a server that
 * opens the same file per request (nginx) three times slower; the converter
 * gives a call without a line the path of the thread's line before it, by
 * call number.
 */
export function bpftraceProgram(syscalls: string[], scope: ArgumentScope, side: ReadSide = readSideOf()): string {
  const lines = side === 'exit' ? [`BEGIN { printf("${EXIT_SIDE_LINE}\\n${READY_LINE}\\n"); }`] : [`BEGIN { printf("${READY_LINE}\\n"); }`];
  const kinds = new Set(syscalls.map((name) => kindOf(name) ?? fail(name)));
  // A tid that comes back must not inherit a dead thread's counts and path.
  const forget = [...kinds]
    .flatMap((kind) => [COUNTER[kind], ...(kind === 'path' ? ['@lastpath'] : [])])
    .map((map) => ` delete(${map}[tid]);`)
    .join('');
  let filter: string;
  if ('announcedBy' in scope) {
    lines.push(
      `tracepoint:signal:signal_generate /pid == ${scope.announcedBy} && args->sig == ${SIGCONT}/ { @followed[args->pid] = 1; }`,
      `tracepoint:sched:sched_process_fork /@followed[args->parent_pid]/ { @followed[args->child_pid] = 1; }`,
      `tracepoint:sched:sched_process_exit /@followed[tid]/ { delete(@followed[tid]);${forget} }`,
    );
    filter = '@followed[tid]';
  } else {
    filter = `pid != ${scope.exclude}`;
    lines.push(`tracepoint:sched:sched_process_exit {${forget} }`);
  }
  for (const name of syscalls) {
    const kind = kindOf(name)!;
    const count = `${COUNTER[kind]}[tid] = ${COUNTER[kind]}[tid] + 1;`;
    const head = `"%llu %d ${name} %d `;
    const at = (body: string) => `nsecs, tid, ${COUNTER[kind]}[tid]${body}`;
    if (side === 'exit') {
      const argument = `$at = $valid ? $regs->${ARGUMENT_REGISTER.get(name)!} : 0;`;
      const probe = `tracepoint:syscalls:sys_exit_${name} /${filter}/ { ${SAVED_REGISTERS} ${argument} ${count} `;
      if (kind === 'path') lines.push(`${probe}${printPathIfNew(name, 'uptr($at)')} }`);
      else if (kind === 'connect') lines.push(`${probe}${printAddress(head, at, 'uptr($at)')} }`);
      else lines.push(`${probe}${printPeer(head, at)} }`);
      continue;
    }
    const path = PATH_ARGUMENTS.get(name);
    if (path) {
      lines.push(`tracepoint:syscalls:sys_enter_${name} /${filter}/ { ${count} ${printPathIfNew(name, `args->${path}`)} }`);
    } else if (kind === 'connect') {
      lines.push(`tracepoint:syscalls:sys_enter_${name} /${filter}/ { ${count} ${printAddress(head, at, 'args->uservaddr')} }`);
    } else {
      // The peer is written during the call: keep the pointer (maybe NULL), read it at the exit.
      lines.push(
        `tracepoint:syscalls:sys_enter_${name} /${filter}/ { @peer[tid] = (uint64)args->upeer_sockaddr; @calling[tid] = 1; }`,
        `tracepoint:syscalls:sys_exit_${name} /@calling[tid]/ { $at = @peer[tid]; delete(@peer[tid]); delete(@calling[tid]); ${count} ${printPeer(head, at)} }`,
      );
    }
  }
  // Maps left at the end would be printed into the output.
  const maps = ['followed', 'peer', 'calling', 'calls', 'connects', 'accepts', 'lastpath'].filter((map) => lines.some((line) => line.includes(`@${map}[`)));
  if (maps.length) lines.push(`END { ${maps.map((map) => `clear(@${map});`).join(' ')} }`);
  return `${lines.join('\n')}\n`;
}

function fail(name: string): never {
  throw new Error(`internal: no user argument known for ${name}`);
}

function printPathIfNew(name: string, pointer: string): string {
  return `$path = str(${pointer}); if ($path != @lastpath[tid]) { @lastpath[tid] = $path; printf("%llu %d ${name} %d %s\\n", nsecs, tid, @calls[tid], $path); }`;
}

/** accept's peer, or family 0 for a failed call or one without an address buffer: every call has its line. */
function printPeer(head: string, at: (body: string) => string): string {
  return `if (args->ret >= 0 && $at != 0) { ${printAddress(head, at, 'uptr($at)')} } else { printf(${head}0\\n", ${at('')}); }`;
}

/** Family, then port and address as sockaddr holds them (network order), or just the family. */
function printAddress(head: string, at: (body: string) => string, pointer: string): string {
  return (
    `$family = ((struct sockaddr *)${pointer})->sa_family; ` +
    `if ($family == ${AF_INET}) { printf(${head}${AF_INET} %u %u\\n", ${at(`, ((struct sockaddr_in *)${pointer})->sin_port, ((struct sockaddr_in *)${pointer})->sin_addr.s_addr`)}); } ` +
    `else if ($family == ${AF_INET6}) { printf(${head}${AF_INET6} %u %s\\n", ${at(`, ((struct sockaddr_in6 *)${pointer})->sin6_port, ntop(${AF_INET6}, ((struct sockaddr_in6 *)${pointer})->sin6_addr.in6_u.u6_addr8)`)}); } ` +
    `else { printf(${head}%d\\n", ${at(', $family')}); }`
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
  /** The thread's call number of this kind, as bpftrace counted (paths: printed or not). */
  call: number;
  /** Counts restart when a tid is reused: from a lower number on, the records are another thread's. */
  generation: number;
  value: string;
}

/** A thread's records of one kind, in time order, and how far the trace's events got. */
interface RecordCursor {
  records: ArgumentRecord[];
  next: number;
  /** The record of the thread's latest call as the trace has it; its path is the one of calls without a line. */
  current: ArgumentRecord | null;
  /** That call's number, counted on over the calls without a line. */
  lastCall: number;
}

/** What bpftrace read, per thread and kind, in call order; matched to the trace's events by the converter. */
export class UserArguments {
  records = 0;
  matched = 0;
  /** Of the matched: calls with no line of their own, the same path as the thread's call before. */
  repeated = 0;
  /** Matched, but bpftrace could not read the string. */
  unread = 0;
  /** bpftrace's own count of lines it could not deliver. */
  lost = 0;
  /** Where the program read; at `exit`, paths and connect's address come after the entry events that get them. */
  side: ReadSide = 'tracepoint';
  private readonly cursors: Record<ArgumentKind, Map<number, RecordCursor>> = { path: new Map(), connect: new Map(), accept: new Map() };

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
      // "<ns> <tid> <syscall> <call> <value>": a path may be empty (not read) or hold spaces.
      const record = /^(\d+) (\d+) ([a-z0-9_]+) (\d+)(?: (.*))?$/.exec(line);
      const kind = record && kindOf(record[3]!);
      if (record && kind) {
        last = { timeNs: BigInt(record[1]!), syscall: record[3]!, call: Number(record[4]), generation: 0, value: record[5] ?? '' };
        const byTid = found.cursors[kind];
        const tid = Number(record[2]);
        const cursor = byTid.get(tid);
        if (cursor) cursor.records.push(last);
        else byTid.set(tid, { records: [last], next: 0, current: null, lastCall: 0 });
        found.records++;
        continue;
      }
      const lost = /^Lost (\d+) events/.exec(line);
      if (lost) found.lost += Number(lost[1]);
      else if (line === EXIT_SIDE_LINE) found.side = 'exit';
      else if (last && line !== '' && !line.startsWith('Attaching ') && line !== READY_LINE) last.value += `\n${line}`; // a path with a newline in it
    }
    for (const byTid of Object.values(found.cursors)) {
      for (const { records } of byTid.values()) {
        // bpftrace prints each CPU's buffer in turn: a thread that moved between CPUs has its lines out of order.
        records.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
        for (let i = 1; i < records.length; i++) records[i]!.generation = records[i - 1]!.generation + (records[i]!.call <= records[i - 1]!.call ? 1 : 0);
      }
    }
    return found;
  }

  /**
   * The value read for `syscall`'s call by `tid` whose event is at `timeNs`
   * (paths and connect's address: the entry event; accept's peer: the exit).
   * By call number: the thread's next record is this call's when its number
   * is the one after the thread's last call. A path call without a line of
   * its own has the path of the line before it (bpftrace printed only a
   * change); a record numbered further ahead belongs to a later call, unless
   * the trace is missing calls: a record taken at the same tracepoint within
   * microseconds, or, read at the exit, the next address (every connect has
   * its line). Records older than the event belong to calls the trace does
   * not have (lost, or before tracing started); the path passed over is still
   * the thread's path from then on.
   */
  take(tid: number, syscall: string, timeNs: bigint): string | null {
    const kind = kindOf(syscall);
    const cursor = kind && this.cursors[kind].get(tid);
    if (!kind || !cursor) return null;
    const readAtExit = this.side === 'exit' && kind !== 'accept';
    const { records } = cursor;
    const oldest = timeNs - (readAtExit ? CLOCK_SLACK_NS : MATCH_WINDOW_NS);
    while (cursor.next < records.length) {
      const record = records[cursor.next]!;
      const counted = cursor.current !== null && record.generation === cursor.current.generation && record.call <= cursor.lastCall;
      if (!counted && record.timeNs >= oldest) break;
      cursor.current = record;
      cursor.lastCall = record.call;
      cursor.next++;
    }
    const candidate = records[cursor.next];
    const current = cursor.current;
    if (candidate && (readAtExit || candidate.timeNs <= timeNs + MATCH_WINDOW_NS) && (kind === 'path' || candidate.syscall === syscall)) {
      const sameThread = current !== null && candidate.generation === current.generation;
      const own =
        !sameThread ||
        candidate.call <= cursor.lastCall + 1 ||
        (readAtExit ? kind !== 'path' && this.lost === 0 : abs(candidate.timeNs - timeNs) < SAME_CALL_NS);
      if (own) {
        cursor.next++;
        cursor.current = candidate;
        cursor.lastCall = candidate.call;
        return this.found(candidate.value);
      }
    }
    if (kind !== 'path' || !current || this.lost > 0) return null;
    cursor.lastCall++;
    this.repeated++;
    return this.found(current.value);
  }

  private found(value: string): string {
    this.matched++;
    if (value === '') this.unread++;
    return value;
  }
}

/** A record this much older than its event belongs to an earlier call (read at the same tracepoint). */
const MATCH_WINDOW_NS = 2_000_000n;
/** Read at the exit, a record older than the entry event is an earlier call's, but for the two clocks' error. */
const CLOCK_SLACK_NS = 10_000n;
/** bpftrace's line and the trace's event of one call taken at the same tracepoint: well within this. */
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
