// Shared by the application end-to-end tests: run a profile through the CLI,
// read the trace back with babeltrace2, check that nothing was left behind.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { babeltraceEvents, ftraceDetails, onlyRun, runCli, tempOutputDir, type TextEvent } from './cli.js';
import type { RunMetadata } from '../../src/metadata/run-metadata.js';
import { findLiveInstance, type LiveInstance } from './intruder.js';
import { ROOT, assertMachineHas } from './machine.js';

export interface LeftoverSnapshot {
  tmpEntries: Set<string>;
}

/** What exists before a run, so the test can tell what the run left (other runs may be going on). */
export function snapshotLeftovers(): LeftoverSnapshot {
  return { tmpEntries: new Set(readdirSync(tmpdir()).filter((e) => e.startsWith('benchmark-tracer-'))) };
}

function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Gone.
    }
  }
  return found;
}

/** No temp dir, tracefs instance or process of the run remains. */
export function assertNothingLeftBehind(before: LeftoverSnapshot, metadata: RunMetadata): void {
  const app = `benchmark-tracer-${metadata.application}-`;
  const newDirs = readdirSync(tmpdir()).filter((e) => e.startsWith(app) && !before.tmpEntries.has(e));
  assert.deepEqual(newDirs, [], 'temp dirs left behind');
  assertBackendGone(metadata);
  for (const pid of metadata.scope.root_pids) {
    assert.throws(() => process.kill(pid, 0), `the server (pid ${pid}) is still alive`);
  }
  const dir = metadata.app.config.dir;
  if (typeof dir === 'string') {
    assert.equal(existsSync(dir), false, `the instance dir ${dir} is still there`);
    assert.deepEqual(processesMentioning(dir), [], 'processes of the instance are still running');
  }
}

/** The tracefs instance, or the LTTng session and the session daemon the run started, are gone. */
export function assertBackendGone(metadata: RunMetadata): void {
  if (metadata.backend?.name === 'lttng') {
    const { session, sessiond } = metadata.backend.details;
    assert.match(session, /^benchmark-tracer-/);
    assert.ok(sessiond, 'metadata.json names the session daemon');
    if (sessiond.started_by_run) assert.throws(() => process.kill(sessiond.pid, 0), `the session daemon the run started (${sessiond.pid}) is still alive`);
    else assert.doesNotMatch(spawnSync('lttng', ['list'], { encoding: 'utf8' }).stdout, new RegExp(session), 'the lttng session is left behind');
    return;
  }
  const instance = ftraceDetails(metadata).instance;
  assert.equal(typeof instance, 'string');
  assert.equal(existsSync(join('/sys/kernel/tracing/instances', instance as string)), false, 'tracefs instance left behind');
}

export interface AppRun {
  metadata: RunMetadata;
  events: TextEvent[];
  stderr: string;
}

/**
 * Runs `benchmark-tracer APP --duration S`; checks it succeeded and babeltrace2
 * reads its trace cleanly; returns the events `keep` wants.
 */
export async function runApp(
  app: string,
  durationSeconds: number,
  extraArgs: string[] = [],
  keep: (e: TextEvent) => boolean = () => true,
  /** Runs while the run goes on, once its instance exists (the intruder checks). */
  during?: (live: LiveInstance, runEnded: () => boolean) => Promise<void>,
): Promise<AppRun> {
  assertMachineHas(ROOT);
  const output = tempOutputDir();
  const before = snapshotLeftovers().tmpEntries;
  let ended = false;
  let cliPid = 0;
  const running = runCli([app, '--duration', String(durationSeconds), '--runs-dir', output, ...extraArgs], {
    timeoutMs: 600_000,
    onSpawn: (pid) => (cliPid = pid),
  }).finally(() => {
    ended = true;
  });
  const watching = during
    ? findLiveInstance(app, before, cliPid, () => ended).then((live) => {
        assert.ok(live, `the ${app} run ended before its instance could be seen`);
        return during(live, () => ended);
      })
    : Promise.resolve();
  // The run is waited for whatever the checks found, so nothing is left running.
  const [result, checked] = await Promise.all([running, watching.then(() => null, (error: unknown) => error)]);
  const { dir, metadata } = onlyRun(output);
  if (checked) throw checked;
  assert.equal(result.code, 0, `${app} run failed: ${result.stderr}\n${metadata.error}`);
  assert.equal(metadata.success, true);
  assert.equal(metadata.application, app);
  const text = await babeltraceEvents(join(dir, 'kernel'), keep);
  assert.equal(text.code, 0);
  assert.equal(text.stderr, '', 'babeltrace2 printed warnings');
  assert.equal(text.lines, metadata.trace?.events_total);
  rmSync(output, { recursive: true, force: true });
  return { metadata, events: text.events, stderr: result.stderr };
}

/** True when nothing listens on 127.0.0.1:port any more. */
export function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
