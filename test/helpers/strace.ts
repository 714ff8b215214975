// strace as the independent count of a command's syscalls, and the check
// that a trace closes every syscall it opens.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunMetadata } from '../../src/metadata/run-metadata.js';
import { babeltraceEvents, onlyRun, requireTool, runCli, tempOutputDir, type TextEvent } from './cli.js';

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

/**
 * Records `dd if=/dev/zero of=/dev/null bs=4096 count=BLOCKS` through the CLI
 * (with extraArgs: a backend) and checks what every recorder owes: a clean
 * run with nothing lost; babeltrace2 reading exactly metadata.json's events
 * with no warning; dd's reads and writes as strace -f -c counts them, each
 * entry closed by its exit; trace_output.txt the whole text. The caller
 * removes `output`.
 */
export async function recordDdAgainstStrace(blocks: number, extraArgs: string[] = []): Promise<{ output: string; dir: string; metadata: RunMetadata }> {
  const command = `dd if=/dev/zero of=/dev/null bs=4096 count=${blocks}`;
  const expected = straceCounts(command);
  assert.ok((expected.get('read') ?? 0) >= blocks);
  const output = tempOutputDir();
  const result = await runCli(['--custom', command, '--runs-dir', output, ...extraArgs]);
  assert.equal(result.code, 0, result.stderr);
  const { dir, metadata } = onlyRun(output);
  assert.equal(metadata.success, true, metadata.error ?? '');
  assert.equal(metadata.return_code, 0);
  assert.equal(metadata.trace?.events_lost_total, 0);

  const text = await babeltraceEvents(join(dir, 'kernel'));
  assert.equal(text.code, 0);
  assert.equal(text.stderr, '', 'babeltrace2 printed warnings');
  assert.equal(text.lines, metadata.trace?.events_total, 'babeltrace2 printed as many events as metadata.json reports');
  const ofDd = (name: string) => text.events.filter((e) => e.name === name && e.procname === 'dd').length;
  assert.equal(ofDd('syscall_entry_read'), expected.get('read'));
  assert.equal(ofDd('syscall_entry_write'), expected.get('write'));
  assertEntriesClosed(text.events, 'dd');

  // trace_output.txt is babeltrace2's own text of kernel/.
  const saved = readFileSync(join(dir, 'trace_output.txt'), 'utf8').split('\n').filter(Boolean);
  assert.equal(saved.length, text.lines, 'trace_output.txt is the whole trace');
  return { output, dir, metadata };
}
