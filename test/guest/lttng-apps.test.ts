// Redis and nginx end to end with LTTng's kernel tracer: the checks of their
// tracefs end-to-end tests (test/helpers/app-checks.ts), on a trace that
// lttng-modules wrote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNginxServed, assertRedisServed } from '../helpers/app-checks.js';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from '../helpers/app-run.js';
import { requireTool } from '../helpers/cli.js';
import { WEB_SERVER_EVENTS } from '../helpers/web-server-checks.js';
import { processesNamed, requireLttngKernelTracer } from './lttng-guest.js';

test('lttng, redis: benchmark figures, server syscalls on its socket, client not traced, nothing left', async () => {
  await requireLttngKernelTracer();
  requireTool('redis-server', 'redis-server');
  requireTool('redis-benchmark', 'redis-tools');
  const before = snapshotLeftovers();
  // Long enough for one redis-benchmark iteration (20,000 SET, then GET) under TCG emulation with every syscall traced.
  const { metadata, events } = await runApp('redis', 15, ['--backend', 'lttng'], (e) => e.name.startsWith('syscall_entry_'));
  assert.equal(metadata.backend?.name, 'lttng');
  assertRedisServed(metadata, events);
  assertNothingLeftBehind(before, metadata);
  assert.deepEqual(processesNamed('lttng-sessiond', 'lttng-consumerd'), []);
});

test('lttng, nginx: wrk figures, two workers forked by the master accept and send, nothing left', async () => {
  await requireLttngKernelTracer();
  requireTool('nginx', 'nginx');
  requireTool('wrk', 'wrk');
  const before = snapshotLeftovers();
  const { metadata, events } = await runApp('nginx', 6, ['--backend', 'lttng', '--events', WEB_SERVER_EVENTS]);
  assert.equal(metadata.backend?.name, 'lttng');
  const workers = assertNginxServed(metadata, events);
  assertNothingLeftBehind(before, metadata);
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), `nginx worker ${pid} is still alive`);
  assert.deepEqual(processesNamed('lttng-sessiond', 'lttng-consumerd'), []);
});
