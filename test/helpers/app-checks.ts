// What a traced Redis or nginx run must show, whichever tracer recorded it:
// shared by the tracefs end-to-end tests on the host and the LTTng ones in
// the guest (test/guest/).

import assert from 'node:assert/strict';
import type { RunMetadata } from '../../src/metadata/run-metadata.js';
import type { TextEvent } from './cli.js';
import { assertWorkersServe } from './web-server-checks.js';

/** The syscall entries (`keep` of runApp) show a Redis that served redis-benchmark, and only the server traced. */
export function assertRedisServed(metadata: RunMetadata, entries: TextEvent[]): void {
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
  const ofServer = entries.filter((e) => e.pid === server && e.procname === 'redis-server');
  const count = (name: string) => ofServer.filter((e) => e.name === name).length;
  assert.ok(count('syscall_entry_accept') + count('syscall_entry_accept4') >= 50, 'accepts the 50 benchmark clients');
  assert.ok(count('syscall_entry_read') > 1000, 'reads requests');
  assert.ok(count('syscall_entry_write') > 1000, 'writes replies');
  assert.ok(count('syscall_entry_epoll_wait') > 0);
  // The client may show up as the other side of a context switch or wakeup, never with syscalls.
  const ofClient = entries.filter((e) => e.procname === 'redis-benchmark');
  assert.deepEqual([...new Set(ofClient.map((e) => e.name))], [], 'the benchmark client is not traced');
}

/** wrk's figures are clean, the smoke and stop steps passed, and two workers served (see assertWorkersServe). Returns the workers. */
export function assertNginxServed(metadata: RunMetadata, events: TextEvent[]): number[] {
  const figures = metadata.benchmark?.figures ?? {};
  assert.match(metadata.benchmark?.command ?? '', /\/wrk -d \d+s -c 50 -t 2 --latency http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok((figures.requests_per_second ?? 0) > 0, `figures: ${JSON.stringify(figures)}`);
  assert.ok((figures.requests ?? 0) > 0);
  assert.ok((figures.transfer_bytes_per_second ?? 0) > 0);
  assert.ok((figures.latency_p50_ms ?? 0) > 0 && (figures.latency_p99_ms ?? 0) > 0, 'latency percentiles parsed');
  for (const kind of ['connect', 'read', 'write', 'timeout']) assert.equal(figures[`socket_errors_${kind}`], 0, `no ${kind} socket errors`);
  assert.equal(figures.non_2xx_3xx_responses, 0, 'no error responses');
  assert.match(metadata.app.version ?? '', /^1\.\d+\.\d+$/);
  assert.deepEqual(
    metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
    [['GET page', 0], ['GET static file', 0]],
  );
  assert.deepEqual(metadata.commands.filter((c) => c.role === 'stop').map((c) => [c.return_code, c.stopped_at_deadline]), [[0, false]]);
  assert.equal(metadata.return_code, 0, 'nginx -s quit ended the server cleanly');
  return assertWorkersServe(events, metadata.scope.root_pids[0]!, { procname: 'nginx', requests: figures.requests!, minWorkers: 2, exactWorkers: true });
}
