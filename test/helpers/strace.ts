// strace as the independent count of a command's syscalls, and the check
// that a trace closes every syscall it opens.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, type TextEvent } from './cli.js';

/** strace's own count of each syscall of a command (strace -f -c). */
export function straceCounts(command: string): Map<string, number> {
  requireTool('strace', 'strace');
  const dir = mkdtempSync(join(tmpdir(), 'bt-strace-'));
  const out = join(dir, 'counts.txt');
  const result = spawnSync('strace', ['-f', '-c', '-o', out, ...command.split(' ')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const counts = new Map<string, number>();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (cols.length >= 5 && /^\d+$/.test(cols[3]!)) counts.set(cols[cols.length - 1]!, Number(cols[3]));
  }
  rmSync(dir, { recursive: true, force: true });
  return counts;
}

/** Every syscall entry of procname's threads is closed by its exit on the same thread, but the exits that never return. */
export function assertEntriesClosed(events: TextEvent[], procname: string): void {
  const open = new Map<number, string>();
  for (const e of events.filter((x) => x.procname === procname)) {
    const entry = /^syscall_entry_(.+)$/.exec(e.name);
    const exit = /^syscall_exit_(.+)$/.exec(e.name);
    if (entry) {
      assert.equal(open.get(e.tid), undefined, `${procname}: entry ${e.name} while ${open.get(e.tid)} is open`);
      open.set(e.tid, entry[1]!);
    } else if (exit && open.has(e.tid)) {
      assert.equal(exit[1], open.get(e.tid));
      open.delete(e.tid);
    }
  }
  assert.deepEqual([...open.values()].filter((s) => s !== 'exit_group' && s !== 'exit'), [], `${procname}: syscalls left open`);
}
