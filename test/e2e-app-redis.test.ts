// Redis end to end: a private redis-server under redis-benchmark, traced.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertRedisServed } from './helpers/app-checks.js';
import { assertIntrudersRefused, assertNamespaceGone, type LiveInstance } from './helpers/intruder.js';
import { freePort } from '../src/util/ports.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

testNeeding(ROOT, tool('redis-server', 'redis-server'), tool('redis-benchmark', 'redis-tools'))('redis: benchmark figures, server syscalls on its socket, no other user gets in, nothing left; another Redis keeps running', async () => {

  // An unrelated Redis, standing for the machine's own: it must not be touched.
  const otherPort = await freePort();
  const otherDir = mkdtempSync(join(tmpdir(), 'bt-other-redis-'));
  const other = spawn('redis-server', ['--port', String(otherPort), '--bind', '127.0.0.1', '--dir', otherDir, '--save', ''], { stdio: 'ignore' });
  try {
    const ping = () => spawnSync('redis-cli', ['-p', String(otherPort), 'ping'], { encoding: 'utf8' }).stdout.trim();
    for (let i = 0; i < 100 && ping() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ping(), 'PONG');

    const before = snapshotLeftovers();
    const seen: { live?: LiveInstance } = {};
    const { metadata, events } = await runApp('redis', 4, [], (e) => e.name.startsWith('syscall_entry_'), (instance, ended) => {
      seen.live = instance;
      return assertIntrudersRefused(instance, ended, true, (port) => ({
        control: { argv: ['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'] },
        attempts: [
          { what: 'redis-cli on 127.0.0.1 from the host', argv: ['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'] },
          { what: 'redis-cli on the unix socket', argv: ['redis-cli', '-s', join(instance.dir, 'redis.sock'), 'ping'] },
        ],
      }));
    });
    assert.deepEqual(seen.live!.listening, [`127.0.0.1:${metadata.app.config.port}`]);
    assert.match(metadata.app.access?.network ?? '', /private network namespace/);

    assertRedisServed(metadata, events);

    assertNothingLeftBehind(before, metadata);
    assertNamespaceGone(seen.live!);
    assert.equal(ping(), 'PONG', 'the other Redis still answers');
  } finally {
    other.kill('SIGTERM');
    await new Promise((r) => other.once('exit', r));
    rmSync(otherDir, { recursive: true, force: true });
  }
});
