// Shared by the apache and nginx end-to-end tests.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import type { TextEvent } from './cli.js';

// What those tests read, and no more: with every syscall, 5 s of ab or wrk
// makes ~650 MB of babeltrace2 text, slow to read back in a test.
export const WEB_SERVER_EVENTS = [
  'sched_process_fork',
  'sched_process_exit',
  ...['setuid', 'accept', 'accept4', 'writev', 'sendfile64'].flatMap((s) => [`syscall_entry_${s}`, `syscall_exit_${s}`]),
].join(',');

/** Names and mtimes of a system instance's files and dirs (and their entries): a run must change none. */
export function systemPathsState(paths: string[]): string[] {
  return paths.flatMap((path) => {
    try {
      const entries = statSync(path).isDirectory() ? readdirSync(path).map((entry) => `${path}/${entry}`) : [];
      return [path, ...entries].map((p) => `${p} ${statSync(p).mtimeMs}`);
    } catch {
      return [`${path} absent`];
    }
  });
}

const payloadNumber = (event: TextEvent, field: string) =>
  Number(new RegExp(`\\b${field} = (-?\\d+)`).exec(event.payload)?.[1]);

/**
 * The web server's workers as the trace shows them: forked by the master,
 * dropping to www-data, accepting the benchmark's connections (the master
 * accepts none), answering every request with writev + sendfile, the static
 * file included, and exiting at the stop. Returns the workers' pids.
 */
export function assertWorkersServe(
  events: TextEvent[],
  master: number,
  options: { procname: string; requests: number; minWorkers: number; exactWorkers?: boolean },
): number[] {
  const wwwData = Number(spawnSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).stdout.trim());
  const forked = events.filter((e) => e.name === 'sched_process_fork' && e.pid === master).map((e) => payloadNumber(e, 'child_tid'));
  const workers = forked.filter((child) => events.some((e) => e.pid === child && e.tid === child && e.procname === options.procname));
  const message = `worker processes forked by the master ${master}: ${workers.join(', ')}`;
  if (options.exactWorkers) assert.equal(workers.length, options.minWorkers, message);
  else assert.ok(workers.length >= options.minWorkers, message);
  const ofWorkers = events.filter((e) => workers.includes(e.pid) && e.procname === options.procname);
  const succeeded = (name: string, minimum: number) => ofWorkers.filter((e) => e.name === name && payloadNumber(e, 'ret') >= minimum).length;

  for (const worker of workers) {
    assert.ok(
      ofWorkers.some((e) => e.name === 'syscall_entry_setuid' && e.tid === worker && payloadNumber(e, 'uid') === wwwData),
      `worker ${worker} drops to www-data`,
    );
    assert.ok(ofWorkers.some((e) => e.name === 'sched_process_exit' && e.tid === worker), `worker ${worker} exits at the stop`);
  }
  assert.ok(succeeded('syscall_exit_accept4', 0) + succeeded('syscall_exit_accept', 0) >= 50, 'the workers accept the 50 benchmark connections');
  assert.equal(events.filter((e) => e.pid === master && /accept/.test(e.name)).length, 0, 'the master accepts nothing');
  assert.ok(succeeded('syscall_exit_writev', 1) >= options.requests, 'the workers write response headers');
  assert.ok(succeeded('syscall_exit_sendfile64', 1) >= options.requests, 'the workers send the page with sendfile');
  assert.ok(
    ofWorkers.some((e) => e.name === 'syscall_entry_sendfile64' && payloadNumber(e, 'count') === 64 * 1024),
    'a worker sends the 64 KiB static file',
  );
  return workers;
}
