// Redis end to end: a private redis-server under redis-benchmark, traced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertRedisServed } from './helpers/app-checks.js';
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

    assertRedisServed(metadata, events);

    assertNothingLeftBehind(before, metadata);
    assert.equal(ping(), 'PONG', 'the other Redis still answers');
  } finally {
    other.kill('SIGTERM');
    await new Promise((r) => other.once('exit', r));
    rmSync(otherDir, { recursive: true, force: true });
  }
});
