// Two runs at once: a short one starts while a long one records, ends (its
// clean-up, and the next run's reaping of dead runs, included) and the long
// one goes on recording to its own end. Different applications, the same
// application twice, and two --userspace runs sharing the session daemon the
// short one started. Neither removes the other's instance, tracefs
// instance, daemon or files.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { babeltraceEvents, ftraceDetails, onlyRun, runCli, tempOutputDir } from './helpers/cli.js';
import { assertNothingLeftBehind, snapshotLeftovers } from './helpers/app-run.js';
import { runningRootSessiond } from '../src/backends/lttng/sessiond.js';
import { freePort } from '../src/util/ports.js';
import { isAlive } from '../src/util/procfs.js';
import type { RunMetadata } from '../src/metadata/run-metadata.js';
import { dirname, join } from 'node:path';
import { ROOT, assertMachineHas, testNeeding, tool } from './helpers/machine.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock ns of a trace time (monotonic ns) of this run. */
const wallNs = (metadata: RunMetadata, monotonicNs: string | null | undefined) =>
  BigInt(monotonicNs ?? '0') + BigInt(metadata.clock.realtime_offset_ns ?? '0');
const endNs = (metadata: RunMetadata) => BigInt(Date.parse(metadata.end_time!)) * 1_000_000n;

interface Finished {
  metadata: RunMetadata;
  dir: string;
}

async function run(args: string[]): Promise<Finished> {
  const output = tempOutputDir();
  const result = await runCli([...args, '--runs-dir', output], { timeoutMs: 300_000 });
  const { dir, metadata } = onlyRun(output);
  assert.equal(result.code, 0, `${args.join(' ')} failed: ${result.stderr}\n${metadata.error}`);
  assert.equal(metadata.success, true);
  const read = await babeltraceEvents(join(dir, 'kernel'), () => false);
  assert.equal(read.code, 0, read.stderr);
  assert.equal(read.lines, metadata.trace?.events_total);
  return { metadata, dir };
}

/** The long run starts, the short one 1.5 s later; the long one records past the short one's end. */
async function overlap(long: string[], short: string[]): Promise<[Finished, Finished]> {
  assertMachineHas(ROOT);
  const first = run(long);
  await sleep(1500);
  const [a, b] = await Promise.all([first, run(short)]);
  assert.ok(endNs(b.metadata) < endNs(a.metadata), 'the short run ended first');
  assert.ok(
    wallNs(a.metadata, a.metadata.trace?.last_timestamp_ns) > endNs(b.metadata),
    'the long run recorded on after the short one had ended and cleaned up',
  );
  assert.notEqual(ftraceDetails(a.metadata).instance, ftraceDetails(b.metadata).instance);
  return [a, b];
}

testNeeding(ROOT, tool('redis-server', 'redis-server'), tool('pgbench', 'postgresql'))('concurrent runs: redis and postgresql at once, both whole, nothing left', async () => {
  const before = snapshotLeftovers();
  const [a, b] = await overlap(['redis', '--duration', '8'], ['postgresql', '--duration', '2']);
  assertNothingLeftBehind(before, a.metadata);
  assertNothingLeftBehind(before, b.metadata);
  for (const x of [a, b]) rmSync(dirname(x.dir), { recursive: true, force: true });
});

testNeeding(ROOT, tool('redis-server', 'redis-server'))('concurrent runs: redis twice at once, two private instances, both whole, nothing left', async () => {
  const before = snapshotLeftovers();
  const [a, b] = await overlap(['redis', '--duration', '8'], ['redis', '--duration', '2']);
  assert.notEqual(a.metadata.app.config.dir, b.metadata.app.config.dir);
  assertNothingLeftBehind(before, a.metadata);
  assertNothingLeftBehind(before, b.metadata);
  for (const x of [a, b]) rmSync(dirname(x.dir), { recursive: true, force: true });
});

testNeeding(ROOT, tool('redis-server', 'redis-server'), tool('lttng-sessiond', 'lttng-tools'))('concurrent --userspace runs: the daemon the first started serves the second to its end, then goes', async () => {
  const daemonBefore = runningRootSessiond();
  const custom = async (seconds: number) => {
    const port = await freePort();
    return [
      '--custom', `exec redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no`,
      '--workload', `redis-benchmark -p ${port} -n 1000000 -c 2 -t set,get -q`,
      '--events', 'sched:sched_switch,syscalls:sys_enter_read,syscalls:sys_exit_read',
      '--userspace', 'libc', '--duration', String(seconds),
    ];
  };
  // The short run goes first, so that it starts the daemon the long one then uses.
  const short = run(await custom(3));
  await sleep(1000);
  const long = run(await custom(8));
  const [b, a] = await Promise.all([short, long]);
  const [ustA, ustB] = [a.metadata.userspace!, b.metadata.userspace!];
  assert.equal(ustA.error, null);
  assert.equal(ustB.error, null);
  assert.equal(ustA.sessiond?.pid, ustB.sessiond?.pid, 'one daemon for both');
  if (daemonBefore === null) {
    assert.equal(ustB.sessiond?.started_by_run, true, 'the short run started the daemon');
    assert.equal(ustA.sessiond?.started_by_benchmark_tracer, true);
    assert.equal(isAlive(ustA.sessiond!.pid), false, 'the last run to end stopped it');
  } else {
    assert.equal(isAlive(daemonBefore), true, "the machine's own daemon is left alone");
  }
  assert.ok(endNs(b.metadata) < endNs(a.metadata), 'the short run ended first');
  assert.ok(wallNs(a.metadata, ustA.last_timestamp_ns) > endNs(b.metadata), 'the long run kept its userspace session after the short one ended');
  for (const x of [a, b]) rmSync(dirname(x.dir), { recursive: true, force: true });
});
