// Apache end to end: a private apache2 (mpm_event) under ab -k, traced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertIntrudersRefused, webServerPlan, type LiveInstance } from './helpers/intruder.js';
import { assertWorkersServe, systemPathsState, WEB_SERVER_EVENTS } from './helpers/web-server-checks.js';
import { parseAbOutput } from '../src/apps/web-server.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

const SYSTEM_PATHS = ['/var/log/apache2', '/var/lib/apache2', '/run/apache2', '/var/www', '/etc/apache2'];
const systemDirsState = () => systemPathsState(SYSTEM_PATHS);

test('ab report parser', () => {
  const report = [
    'Complete requests:      87085',
    'Failed requests:        25',
    '   (Connect: 0, Receive: 0, Length: 24, Exceptions: 1)',
    'Non-2xx responses:      3',
    'Keep-Alive requests:    86227',
    'Requests per second:    21761.16 [#/sec] (mean)',
    'Time per request:       2.298 [ms] (mean)',
    'Time per request:       0.046 [ms] (mean, across all concurrent requests)',
    'Transfer rate:          18650.20 [Kbytes/sec] received',
    'Percentage of the requests served within a certain time (ms)',
    '  50%      2',
    '  99%      8',
    ' 100%     16 (longest request)',
  ].join('\n');
  assert.deepEqual(parseAbOutput(report), {
    complete_requests: 87085,
    failed_requests: 25,
    non_2xx_responses: 3,
    keep_alive_requests: 86227,
    requests_per_second: 21761.16,
    time_per_request_ms: 2.298,
    transfer_rate_kbytes_per_second: 18650.2,
    latency_p50_ms: 2,
    latency_p99_ms: 8,
    latency_max_ms: 16,
  });
  assert.equal(parseAbOutput('Complete requests: 10\nFailed requests: 0\n').non_2xx_responses, 0, 'ab leaves out a zero count');
});

testNeeding(ROOT, tool('apache2', 'apache2'), tool('ab', 'apache2-utils'))('apache: ab figures, workers forked by the master accept and send, 127.0.0.1 only, nothing left; system dirs untouched', async () => {

  const systemBefore = systemDirsState();
  const before = snapshotLeftovers();
  const seen: { live?: LiveInstance } = {};
  const { metadata, events } = await runApp('apache', 5, ['--events', WEB_SERVER_EVENTS], undefined, (live, ended) => {
    seen.live = live;
    return assertIntrudersRefused(live, ended, true, webServerPlan);
  });
  assert.deepEqual(seen.live!.listening, [`127.0.0.1:${metadata.app.config.port}`], 'listens on 127.0.0.1 only');

  const figures = metadata.benchmark?.figures ?? {};
  assert.match(metadata.benchmark?.command ?? '', /\/ab -t \d+ .*-c 50 -k http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok((figures.requests_per_second ?? 0) > 0, `figures: ${JSON.stringify(figures)}`);
  assert.ok((figures.complete_requests ?? 0) > 0);
  assert.ok((figures.transfer_rate_kbytes_per_second ?? 0) > 0);
  assert.ok((figures.latency_max_ms ?? 0) > 0 && figures.latency_p50_ms !== undefined, 'latency percentiles parsed');
  assert.equal(figures.failed_requests, 0, 'no failed requests');
  assert.equal(figures.non_2xx_responses, 0, 'no non-2xx responses');
  assert.match(metadata.app.version ?? '', /^2\.\d+\.\d+$/);
  assert.deepEqual(
    metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
    [['GET page', 0], ['GET static file', 0]],
  );
  assert.deepEqual(metadata.commands.filter((c) => c.role === 'stop').map((c) => [c.return_code, c.stopped_at_deadline]), [[0, false]]);
  assert.equal(metadata.return_code, 0, 'graceful-stop ended the server cleanly');

  const workers = assertWorkersServe(events, metadata.scope.root_pids[0]!, { procname: 'apache2', requests: figures.complete_requests!, minWorkers: 2 });

  assertNothingLeftBehind(before, metadata);
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), `apache2 worker ${pid} is still alive`);
  assert.deepEqual(systemDirsState(), systemBefore, "the system's apache2 dirs changed");
});
