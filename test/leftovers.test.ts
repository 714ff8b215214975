// The lease and its reaper on real processes and directories: what a dead
// run left goes; a live run's lease, and a process whose pid no longer names
// what was written down, are left alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapDeadRuns } from '../src/util/leftovers.js';
import { isAlive, readStat } from '../src/util/procfs.js';

function sleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
  return new Promise((resolve) => child.once('spawn', () => resolve(child)));
}

/** A pid that was alive and is gone now: a dead owner. */
async function deadPid(): Promise<{ pid: number; startTicks: number }> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const startTicks = readStat(child.pid!)?.startTicks ?? 1;
  await new Promise((resolve) => child.once('exit', resolve));
  return { pid: child.pid!, startTicks };
}

function writeLease(dir: string, owner: { pid: number; startTicks: number }, leftovers: unknown[]): string {
  const path = join(dir, `${owner.pid}-${owner.startTicks}.json`);
  writeFileSync(path, JSON.stringify({ owner, leftovers }));
  return path;
}

test('a dead run\'s processes and directories are removed; a live run\'s lease and a reused pid are not', async () => {
  const leases = mkdtempSync(join(tmpdir(), 'bt-leases-'));
  const victims: ChildProcess[] = [];
  try {
    const left = await sleeper();
    const stranger = await sleeper();
    const liveRunsChild = await sleeper();
    victims.push(left, stranger, liveRunsChild);
    const leftDir = mkdtempSync(join(tmpdir(), 'bt-left-'));
    mkdirSync(join(leftDir, 'inside'));
    const ticks = (c: ChildProcess) => readStat(c.pid!)!.startTicks;

    const dead = await deadPid();
    const deadLease = writeLease(leases, dead, [
      { kind: 'process', pid: left.pid, startTicks: ticks(left), what: 'sleep 300' },
      // The same pid written with another start time: the kernel gave the pid to someone else since.
      { kind: 'process', pid: stranger.pid, startTicks: ticks(stranger) + 1, what: 'reused' },
      { kind: 'directory', path: leftDir },
    ]);
    const self = { pid: process.pid, startTicks: readStat(process.pid)!.startTicks };
    const liveLease = writeLease(leases, self, [{ kind: 'process', pid: liveRunsChild.pid, startTicks: ticks(liveRunsChild), what: 'ours' }]);

    const reports = reapDeadRuns(leases);

    assert.equal(reports.length, 1, reports.join('\n'));
    assert.match(reports[0]!, new RegExp(`pid ${dead.pid}\\).*stopped 1 of its processes, removed 1 directories`));
    await new Promise((resolve) => left.once('exit', resolve));
    assert.equal(isAlive(left.pid!), false, 'the dead run\'s process is stopped');
    assert.equal(existsSync(leftDir), false, 'its directory is removed');
    assert.equal(existsSync(deadLease), false, 'its lease is gone');
    assert.equal(isAlive(stranger.pid!), true, 'a pid whose start time differs is someone else\'s');
    assert.equal(isAlive(liveRunsChild.pid!), true, 'a live run\'s processes are its own');
    assert.deepEqual(readdirSync(leases), [liveLease.split('/').pop()]);
  } finally {
    for (const child of victims) child.kill('SIGKILL');
    rmSync(leases, { recursive: true, force: true });
  }
});
