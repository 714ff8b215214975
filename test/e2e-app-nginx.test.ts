// Nginx end to end: a private nginx master with two workers under wrk, traced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertIntrudersRefused, webServerPlan, type LiveInstance } from './helpers/intruder.js';
import { assertNginxServed } from './helpers/app-checks.js';
import { systemPathsState, WEB_SERVER_EVENTS } from './helpers/web-server-checks.js';
import { parseWrkOutput } from '../src/apps/web-server.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

const SYSTEM_PATHS = ['/var/log/nginx', '/var/lib/nginx', '/run/nginx.pid', '/var/www', '/etc/nginx'];
const systemDirsState = () => systemPathsState(SYSTEM_PATHS);

test('wrk report parser', () => {
  const report = [
    'Running 4s test @ http://127.0.0.1:44227/',
    '  2 threads and 50 connections',
    '  Thread Stats   Avg      Stdev     Max   +/- Stdev',
    '    Latency   880.00us    1.17ms    1.20s    80.49%',
    '    Req/Sec    15.73k     1.01k   17.94k    76.25%',
    '  Latency Distribution',
    '     50%    1.12ms',
    '     99%  512.00us',
    '  125957 requests in 4.03s, 99.70MB read',
    '  Socket errors: connect 0, read 2, write 0, timeout 7',
    '  Non-2xx or 3xx responses: 12',
    'Requests/sec:  31239.49',
    'Transfer/sec:     24.73MB',
  ].join('\n');
  assert.deepEqual(parseWrkOutput(report), {
    latency_avg_ms: 0.88,
    latency_stdev_ms: 1.17,
    latency_max_ms: 1200,
    latency_p50_ms: 1.12,
    latency_p99_ms: 0.512,
    requests: 125957,
    duration_seconds: 4.03,
    bytes_read: Math.round(99.7 * 1024 ** 2),
    requests_per_second: 31239.49,
    transfer_bytes_per_second: Math.round(24.73 * 1024 ** 2),
    socket_errors_connect: 0,
    socket_errors_read: 2,
    socket_errors_write: 0,
    socket_errors_timeout: 7,
    non_2xx_3xx_responses: 12,
  });
  const clean = parseWrkOutput(report.replace(/^.*(Socket errors|Non-2xx).*$/gm, ''));
  assert.equal(clean.socket_errors_timeout, 0, 'wrk leaves out zero counts');
  assert.equal(clean.non_2xx_3xx_responses, 0);
  assert.deepEqual(parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), {});
});

testNeeding(ROOT, tool('nginx', 'nginx'), tool('wrk', 'wrk'))('nginx: wrk figures, two workers forked by the master accept and send, 127.0.0.1 only, nothing left; system dirs untouched', async () => {

  const systemBefore = systemDirsState();
  const before = snapshotLeftovers();
  const seen: { live?: LiveInstance } = {};
  const { metadata, events } = await runApp('nginx', 5, ['--events', WEB_SERVER_EVENTS], undefined, (live, ended) => {
    seen.live = live;
    return assertIntrudersRefused(live, ended, true, webServerPlan);
  });
  assert.deepEqual(seen.live!.listening, [`127.0.0.1:${metadata.app.config.port}`], 'listens on 127.0.0.1 only');

  const workers = assertNginxServed(metadata, events);

  assertNothingLeftBehind(before, metadata);
  // Workers show "nginx: worker process" as their command line: the generic check cannot see them.
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), `nginx worker ${pid} is still alive`);
  assert.deepEqual(systemDirsState(), systemBefore, "the system's nginx dirs changed");
});
