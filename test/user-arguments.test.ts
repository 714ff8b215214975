// The side recording of syscall user-space arguments: bpftrace's program and
// lines, and how each finds its event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpftraceProgram, parseSocketAddress, READY_LINE, readSideOf, UserArguments } from '../src/backends/ftrace/user-arguments.js';
import { encodeSocketAddress } from '../src/backends/ftrace/event-classes.js';

function pathsOf(text: string): UserArguments {
  const dir = mkdtempSync(join(tmpdir(), 'bt-paths-'));
  try {
    writeFileSync(join(dir, 'paths.txt'), text);
    return UserArguments.read(join(dir, 'paths.txt'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records are matched per thread, in order, within the window', () => {
  const paths = pathsOf(
    [
      'Attaching 6 probes...',
      READY_LINE,
      '1000000 7 openat 1 /etc/ld.so.cache',
      '1000100 8 openat 1 /other/thread',
      '5000000 7 openat 3 /a file with spaces',
      '9000000 7 creat 4 /new',
      'line two of it',
      'Lost 3 events',
      '',
    ].join('\n'),
  );
  assert.equal(paths.records, 4);
  assert.equal(paths.lost, 3);
  assert.equal(paths.take(7, 'openat', 1_000_050n), '/etc/ld.so.cache');
  // bpftrace lost lines: a call without a line of its own has no path, and the next line stays for its own event.
  assert.equal(paths.take(7, 'openat', 2_500_000n), null);
  assert.equal(paths.take(7, 'openat', 5_000_010n), '/a file with spaces');
  assert.equal(paths.take(7, 'creat', 9_000_001n), '/new\nline two of it');
  assert.equal(paths.take(8, 'openat', 1_000_000n), '/other/thread');
  assert.equal(paths.take(9, 'openat', 1_000_000n), null);
  assert.equal(paths.matched, 4);
  assert.equal(paths.repeated, 0);
});

test('a path call without a line has the path of the thread\'s line before it, by call number', () => {
  const paths = pathsOf(
    [
      '1000000 7 openat 1 /etc/nginx.conf',
      // Call 3 opened /index.html too; call 4 opened /other 10 µs after call 3, well within the window.
      '2000000 7 openat 2 /index.html',
      '2020000 7 openat 4 /other',
      '2030000 7 openat 5 ',
      '',
    ].join('\n'),
  );
  assert.equal(paths.records, 4);
  assert.equal(paths.take(7, 'openat', 1_000_100n), '/etc/nginx.conf');
  assert.equal(paths.take(7, 'openat', 2_000_100n), '/index.html');
  assert.equal(paths.take(7, 'openat', 2_010_000n), '/index.html', 'call 3 has no line: the line of call 4 is not its own');
  assert.equal(paths.take(7, 'openat', 2_019_800n), '/other', 'call 4 takes its line');
  assert.equal(paths.take(7, 'creat', 2_030_100n), '', 'an unread path is told apart');
  assert.equal(paths.take(7, 'openat', 5_000_000n), '', 'and repeated as it is');
  assert.equal(paths.matched, 6);
  assert.equal(paths.repeated, 2);
  assert.equal(paths.unread, 2);
});

test('a path line whose call number is ahead is still its call\'s own when it is microseconds away (the trace lost calls)', () => {
  const paths = pathsOf('1000000 7 openat 1 /a\n2000000 7 openat 5 /b\n');
  assert.equal(paths.take(7, 'openat', 1_000_010n), '/a');
  assert.equal(paths.take(7, 'openat', 2_000_300n), '/b', 'calls 2 to 4 are not in the trace');
  assert.equal(paths.take(7, 'openat', 3_000_000n), '/b');
});

test('a path line passed over (its event not in the trace) is still the thread\'s path after it', () => {
  const paths = pathsOf('1000000 7 openat 1 /before-tracing\n');
  assert.equal(paths.take(7, 'openat', 90_000_000n), '/before-tracing');
  assert.equal(paths.repeated, 1);
});

test('records older than the window are skipped (their events were lost or came before tracing)', () => {
  const paths = pathsOf('1000000 7 openat 1 /old\n90000000 7 openat 9 /new\n');
  assert.equal(paths.take(7, 'openat', 90_000_500n), '/new');
  assert.equal(paths.matched, 1);
});

test('the bpftrace program follows the processes the tracer announces, or excludes the tracer system-wide', () => {
  const tree = bpftraceProgram(['openat', 'creat'], { announcedBy: 42 }, 'tracepoint');
  assert.match(tree, /^tracepoint:signal:signal_generate \/pid == 42 && args->sig == 18\/ \{ @followed\[args->pid\] = 1; \}$/m, 'a process we announce with SIGCONT');
  assert.match(tree, /sched_process_fork \/@followed\[args->parent_pid\]\/ \{ @followed\[args->child_pid\] = 1; \}/, 'and what it forks');
  assert.match(tree, /sys_enter_openat \/@followed\[tid\]\/ .*str\(args->filename\).*if \(\$path != @lastpath\[tid\]\)/);
  assert.match(tree, /sched_process_exit \/@followed\[tid\]\/ \{ delete\(@followed\[tid\]\); delete\(@calls\[tid\]\); delete\(@lastpath\[tid\]\); \}/);
  assert.match(bpftraceProgram(['open'], { exclude: 42 }, 'tracepoint'), /sched_process_exit \{ delete\(@calls\[tid\]\); delete\(@lastpath\[tid\]\); \}/);
  assert.match(tree, /sys_enter_creat \/@followed\[tid\]\/ .*str\(args->pathname\)/);
  assert.match(bpftraceProgram(['open'], { exclude: 42 }, 'tracepoint'), /sys_enter_open \/pid != 42\//);
  assert.throws(() => bpftraceProgram(['read'], { exclude: 1 }), /no user argument/);
  assert.doesNotMatch(tree, /@peer/, 'no map it does not use');
});

test('socket addresses at the tracepoints: connect at its entry, accept at its exit through the pointer kept at its entry', () => {
  const program = bpftraceProgram(['connect', 'accept4'], { announcedBy: 42 }, 'tracepoint');
  assert.match(program, /sys_enter_connect \/@followed\[tid\]\/ \{ @connects\[tid\] = @connects\[tid\] \+ 1; \$family = \(\(struct sockaddr \*\)args->uservaddr\)->sa_family;/);
  assert.match(program, /sys_enter_accept4 \/@followed\[tid\]\/ \{ @peer\[tid\] = \(uint64\)args->upeer_sockaddr; @calling\[tid\] = 1; \}/);
  // Every call gets a line, also a failed one or one without an address buffer, with the thread's call number.
  assert.match(program, /sys_exit_accept4 \/@calling\[tid\]\/ .*if \(args->ret >= 0 && \$at != 0\) \{.*\} else \{ printf\("%llu %d accept4 %d 0\\n", nsecs, tid, @accepts\[tid\]\); \} \}/);
  assert.match(program, /END \{ clear\(@followed\); clear\(@peer\); clear\(@calling\); clear\(@connects\); clear\(@accepts\); \}/);
});

test('at the exits: one probe per syscall, its arguments from the registers it saved, checked against its number', () => {
  const program = bpftraceProgram(['openat', 'creat', 'connect', 'accept4'], { announcedBy: 42 }, 'exit');
  assert.doesNotMatch(program, /sys_enter_/, 'no probe on sys_enter: tracefs\'s stays the only one');
  assert.match(program, /^BEGIN \{ printf\("benchmark-tracer: read at exit\\nbenchmark-tracer: attached\\n"\); \}/);
  const probe = (name: string) => program.split('\n').find((line) => line.startsWith(`tracepoint:syscalls:sys_exit_${name} `)) ?? '';
  for (const name of ['openat', 'creat', 'connect', 'accept4']) {
    assert.match(probe(name), /\$regs = \(struct pt_regs \*\)\(\(uint64\)curtask->stack \+ 16384 - 168\);.*\$valid = \(int64\)\$regs->orig_ax == args->__syscall_nr;/, name);
  }
  // x86_64's argument registers: the path is openat's second argument, creat's first; the addresses are the second.
  assert.match(probe('openat'), /\$at = \$valid \? \$regs->si : 0; @calls\[tid\] = @calls\[tid\] \+ 1; \$path = str\(uptr\(\$at\)\);/);
  assert.match(probe('creat'), /\$at = \$valid \? \$regs->di : 0;/);
  assert.match(probe('connect'), /\$at = \$valid \? \$regs->si : 0; @connects\[tid\] = @connects\[tid\] \+ 1; \$family = \(\(struct sockaddr \*\)uptr\(\$at\)\)->sa_family;/);
  assert.match(probe('accept4'), /@accepts\[tid\] = @accepts\[tid\] \+ 1; if \(args->ret >= 0 && \$at != 0\)/);
  assert.match(program, /sched_process_exit \/@followed\[tid\]\/ \{ delete\(@followed\[tid\]\); delete\(@calls\[tid\]\); delete\(@lastpath\[tid\]\); delete\(@connects\[tid\]\); delete\(@accepts\[tid\]\); \}/);
  assert.equal(readSideOf('x64'), 'exit');
  assert.equal(readSideOf('arm64'), 'tracepoint');
});

test('read at the exits, a record comes after its entry event, however long the call took', () => {
  const found = pathsOf(
    [
      'benchmark-tracer: read at exit',
      READY_LINE,
      '1050000 7 openat 1 /etc/nginx.conf',
      '2000500 7 openat 2 /index.html',
      // Call 3 opened /index.html too: no line. Call 4 blocked for 1.5 ms.
      '3500000 7 openat 4 /other',
      // The clocks disagree by a few µs: a record a little before its event is still its own.
      '3699997 7 openat 6 /last',
      // A connect that blocked for 4 ms, then one right after it.
      '5000000 7 connect 1 2 41352 16777343',
      '5000900 7 connect 2 1',
      // accept's peer is read at its exit, as its event.
      '6000100 7 accept4 1 2 41352 16777343',
      '',
    ].join('\n'),
  );
  assert.equal(found.side, 'exit');
  assert.equal(found.take(7, 'openat', 1_000_000n), '/etc/nginx.conf');
  assert.equal(found.take(7, 'openat', 2_000_000n), '/index.html');
  assert.equal(found.take(7, 'openat', 2_010_000n), '/index.html', 'call 3 has no line: the line of call 4 is not its own');
  assert.equal(found.take(7, 'openat', 2_020_000n), '/other', 'call 4 takes its line, 1.5 ms later');
  assert.equal(found.take(7, 'openat', 3_600_000n), '/other', 'call 5 has no line');
  assert.equal(found.take(7, 'openat', 3_700_000n), '/last');
  assert.equal(found.take(7, 'connect', 1_000_000n), '2 41352 16777343');
  assert.equal(found.take(7, 'connect', 5_000_500n), '1', 'the first call\'s record, older than this entry, is not taken twice');
  assert.equal(found.take(7, 'accept4', 6_000_050n), '2 41352 16777343');
  assert.equal(found.matched, 9);
  assert.equal(found.repeated, 2);
});

test('read at the exits, the records of calls the trace does not have are passed over', () => {
  const found = pathsOf(['benchmark-tracer: read at exit', '1200000 7 connect 1 1', '2200000 7 connect 2 2 1 1', '3200000 7 connect 3 10', ''].join('\n'));
  assert.equal(found.take(7, 'connect', 1_000_000n), '1');
  // Call 2's entry event was lost.
  assert.equal(found.take(7, 'connect', 3_000_000n), '10');
  assert.equal(found.matched, 2);
});

test('a tid used again starts its counts again: the new thread\'s records are its own', () => {
  const found = pathsOf(['benchmark-tracer: read at exit', '1000100 7 openat 1 /a', '2000100 7 openat 2 /b', '50000100 7 openat 1 /c', ''].join('\n'));
  assert.equal(found.take(7, 'openat', 1_000_000n), '/a');
  assert.equal(found.take(7, 'openat', 2_000_000n), '/b');
  assert.equal(found.take(7, 'openat', 50_000_000n), '/c');
});

test('lines printed out of order (a thread that moved between CPUs) are matched in time order', () => {
  const found = pathsOf(['benchmark-tracer: read at exit', '2000100 7 openat 2 /b', '1000100 7 openat 1 /a', ''].join('\n'));
  assert.equal(found.take(7, 'openat', 1_000_000n), '/a');
  assert.equal(found.take(7, 'openat', 2_000_000n), '/b');
});

test('socket addresses as bpftrace prints them become lttng-modules\' fields', () => {
  // sin_port and sin_addr read as little-endian numbers from network-order memory.
  assert.deepEqual(parseSocketAddress('2 41352 16777343'), { family: 2, port: 34977, v4: [127, 0, 0, 1], v6: [] });
  assert.deepEqual(parseSocketAddress('10 37079 ::1'), { family: 10, port: 55184, v4: [], v6: [0, 0, 0, 0, 0, 0, 0, 1] });
  assert.deepEqual(parseSocketAddress('10 20480 ::ffff:10.1.2.3'), { family: 10, port: 80, v4: [], v6: [0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203] });
  assert.deepEqual(parseSocketAddress('10 20480 fe80::1:2'), { family: 10, port: 80, v4: [], v6: [0xfe80, 0, 0, 0, 0, 0, 1, 2] });
  assert.deepEqual(parseSocketAddress('1'), { family: 1, port: 0, v4: [], v6: [] });
  assert.equal(parseSocketAddress('x'), null);
  // family int32, port u16, then each sequence's u32 length and elements, little-endian.
  assert.deepEqual([...encodeSocketAddress({ family: 2, port: 0x1234, v4: [127, 0, 0, 1], v6: [] })], [2, 0, 0, 0, 0x34, 0x12, 4, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...encodeSocketAddress({ family: 10, port: 1, v4: [], v6: [0xfe80, 0, 0, 0, 0, 0, 0, 1] })].slice(10, 16), [8, 0, 0, 0, 0x80, 0xfe]);
});
