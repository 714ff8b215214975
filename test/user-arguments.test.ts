// The side recording of syscall path arguments: bpftrace's lines, and how
// each finds its entry event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpftraceProgram, READY_LINE, SyscallPaths } from '../src/backends/ftrace/syscall-paths.js';

function pathsOf(text: string): SyscallPaths {
  const dir = mkdtempSync(join(tmpdir(), 'bt-paths-'));
  try {
    writeFileSync(join(dir, 'paths.txt'), text);
    return SyscallPaths.read(join(dir, 'paths.txt'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records are matched per thread, in order, within the window', () => {
  const paths = pathsOf(
    [
      'Attaching 6 probes...',
      READY_LINE,
      '1000000 7 openat /etc/ld.so.cache',
      '1000100 8 openat /other/thread',
      '5000000 7 openat /a file with spaces',
      '9000000 7 creat /new',
      'line two of it',
      'Lost 3 events',
      '',
    ].join('\n'),
  );
  assert.equal(paths.records, 4);
  assert.equal(paths.lost, 3);
  assert.equal(paths.take(7, 'openat', 1_000_050n), '/etc/ld.so.cache');
  // The entry of a call bpftrace did not see: nothing, and the next record stays for its own event.
  assert.equal(paths.take(7, 'openat', 2_500_000n), null);
  assert.equal(paths.take(7, 'openat', 5_000_010n), '/a file with spaces');
  assert.equal(paths.take(7, 'openat', 9_000_000n), null, 'a record of another syscall is not taken');
  assert.equal(paths.take(7, 'creat', 9_000_001n), '/new\nline two of it');
  assert.equal(paths.take(8, 'openat', 1_000_000n), '/other/thread');
  assert.equal(paths.take(9, 'openat', 1_000_000n), null);
  assert.equal(paths.matched, 4);
});

test('records older than the window are skipped (their events were lost or came before tracing)', () => {
  const paths = pathsOf('1000000 7 openat /old\n90000000 7 openat /new\n');
  assert.equal(paths.take(7, 'openat', 90_000_500n), '/new');
  assert.equal(paths.matched, 1);
});

test('the bpftrace program follows the tracer\'s children, or excludes the tracer system-wide', () => {
  const tree = bpftraceProgram(['openat', 'creat'], { followFrom: 42 });
  assert.match(tree, /sched_process_fork \/args->parent_pid == 42 \|\| @followed\[args->parent_pid\]\//);
  assert.match(tree, /sys_enter_openat \/@followed\[tid\]\/ .*str\(args->filename\)/);
  assert.match(tree, /sys_enter_creat \/@followed\[tid\]\/ .*str\(args->pathname\)/);
  assert.match(bpftraceProgram(['open'], { exclude: 42 }), /sys_enter_open \/pid != 42\//);
  assert.throws(() => bpftraceProgram(['read'], { exclude: 1 }), /no path argument/);
});
