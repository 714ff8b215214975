// Redis end to end: a private redis-server under redis-benchmark, traced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { requireTool } from './helpers/cli.js';
import { freePort } from '../src/util/ports.js';

test('redis: benchmark figures, server syscalls on its socket, nothing left; another Redis keeps running', async () => {
  requireTool('redis-server', 'redis-server');
  requireTool('redis-benchmark', 'redis-tools');

  // An unrelated Redis, standing for the machine's own: it must not be touched.
  const otherPort = await freePort();
  const otherDir = mkdtempSync(join(tmpdir(), 'bt-other-redis-'));
  const other = spawn('redis-server', ['--port', String(otherPort), '--bind', '127.0.0.1', '--dir', otherDir, '--save', ''], { stdio: 'ignore' });
  try {
    const ping = () => spawnSync('redis-cli', ['-p', String(otherPort), 'ping'], { encoding: 'utf8' }).stdout.trim();
    for (let i = 0; i < 100 && ping() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ping(), 'PONG');

    const before = snapshotLeftovers();
    const { metadata, events } = await runApp('redis', 4, [], (e) => e.name.startsWith('syscall_entry_'));

    const figures = metadata.benchmark?.figures ?? {};
    assert.ok((figures.set_rps ?? 0) > 0 && (figures.get_rps ?? 0) > 0, `figures: ${JSON.stringify(figures)}`);
    assert.ok((metadata.benchmark?.iterations ?? 0) >= 1);
    assert.match(metadata.app.version ?? '', /^\d+\.\d+/);
    assert.deepEqual(
      metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
      [['PING', 0], ['SET', 0], ['GET', 0], ['DEL', 0]],
    );

    // Only a working server accepts connections and answers on them.
    const server = metadata.scope.root_pids[0]!;
    const ofServer = events.filter((e) => e.pid === server && e.procname === 'redis-server');
    const count = (name: string) => ofServer.filter((e) => e.name === name).length;
    assert.ok(count('syscall_entry_accept') + count('syscall_entry_accept4') >= 50, 'accepts the 50 benchmark clients');
    assert.ok(count('syscall_entry_read') > 1000, 'reads requests');
    assert.ok(count('syscall_entry_write') > 1000, 'writes replies');
    assert.ok(count('syscall_entry_epoll_wait') > 0);
    // The client may show up as the other side of a context switch or wakeup, never with syscalls.
    const ofClient = events.filter((e) => e.procname === 'redis-benchmark');
    assert.deepEqual([...new Set(ofClient.map((e) => e.name))], [], 'the benchmark client is not traced');

    assertNothingLeftBehind(before, metadata);
    assert.equal(ping(), 'PONG', 'the other Redis still answers');
  } finally {
    other.kill('SIGTERM');
    await new Promise((r) => other.once('exit', r));
    rmSync(otherDir, { recursive: true, force: true });
  }
});
