// Signals at every phase of a run: SIGINT, SIGTERM and SIGKILL sent to the
// tool while it provisions the server, waits for it, runs the workload,
// converts the capture to CTF and writes the text. After a SIGINT or SIGTERM
// the run has cleaned up by the time the tool exits and leaves a readable
// trace that says it was interrupted; after a SIGKILL (no clean-up possible)
// the next run's start removes what the killed one left. A server of the same
// kind that was running before answers, unchanged, throughout.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { babeltraceEvents, CLI, runCli, tempOutputDir } from './helpers/cli.js';
import { processesUsing } from './helpers/intruder.js';
import { requirePrograms } from '../src/apps/catalog.js';
import { serviceUser } from '../src/apps/service-user.js';
import { freePort } from '../src/util/ports.js';
import { isUnder, mountPoints, readStat, treeAndGroup } from '../src/util/procfs.js';
import { readRunMetadata, type RunMetadata } from '../src/metadata/run-metadata.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

type Phase = 'provisioning' | 'readiness' | 'workload' | 'ctf' | 'text';
const PHASES: Phase[] = ['provisioning', 'readiness', 'workload', 'ctf', 'text'];
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
const TRACEFS_INSTANCES = '/sys/kernel/tracing/instances';
const EXIT_INTERRUPTED = 130;

interface AppCase {
  app: string;
  /** A benchmark client's command line (not a smoke step's). */
  isWorkload: (cmdline: string) => boolean;
}

const APPS: AppCase[] = [
  { app: 'redis', isWorkload: (c) => c.includes('redis-benchmark') },
  { app: 'postgresql', isWorkload: (c) => c.includes('pgbench') && !c.includes(' -i ') },
  { app: 'docker', isWorkload: (c) => c.includes('lap create') },
];

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything of the tool's that a run may leave: its processes (with start times), instance dirs, tracefs instances. */
class Watcher {
  readonly processes = new Map<number, { ticks: number; cmdline: string }>();
  readonly instanceDirs = new Set<string>();

  constructor(
    private readonly cli: ChildProcess,
    private readonly app: string,
    private readonly tmpBefore: Set<string>,
  ) {}

  /** Adds what is there now; returns the phase the run is visibly in. */
  look(output: string, isWorkload: (c: string) => boolean): Set<Phase> {
    const seen = new Set<Phase>();
    const pid = this.cli.pid!;
    const { descendants } = treeAndGroup(pid);
    for (const p of descendants) {
      const ticks = readStat(p)?.startTicks;
      if (ticks !== undefined && !this.processes.has(p)) this.processes.set(p, { ticks, cmdline: cmdline(p) });
    }
    for (const e of entries(tmpdir())) if (e.startsWith(`benchmark-tracer-${this.app}-`) && !this.tmpBefore.has(e)) this.instanceDirs.add(join(tmpdir(), e));
    if (this.instanceDirs.size > 0) seen.add('provisioning');
    const children = descendants.filter((p) => readStat(p)?.ppid === pid);
    const users = new Set([...this.instanceDirs].flatMap((d) => processesUsing(d)));
    const server = children.find((p) => readStat(p)?.pgrp === p && users.has(p));
    if (server !== undefined) seen.add('readiness');
    if (descendants.some((p) => isWorkload(cmdline(p)))) seen.add('workload');
    const run = entries(output).find((e) => e.startsWith(`${this.app}_`));
    if (run) {
      const dir = join(output, run);
      if (existsSync(join(dir, 'kernel')) && existsSync(join(dir, 'ftrace-capture')) && !existsSync(join(dir, 'trace_output.txt'))) seen.add('ctf');
      if (existsSync(join(dir, 'trace_output.txt'))) seen.add('text');
    }
    return seen;
  }

  /** What is still there of what was seen: processes (same pid and start time), instance dirs, mounts, tracefs instances, cgroups. */
  leftovers(): string[] {
    const left: string[] = [];
    for (const [pid, { ticks, cmdline: line }] of this.processes) {
      const stat = readStat(pid);
      if (stat && stat.startTicks === ticks && stat.state !== 'Z') left.push(`process ${pid}: ${line}`);
    }
    for (const dir of this.instanceDirs) if (existsSync(dir)) left.push(`directory ${dir}`);
    for (const m of mountPoints()) if ([...this.instanceDirs].some((d) => isUnder(m.point, d))) left.push(`mount ${m.point}`);
    for (const e of entries(TRACEFS_INSTANCES)) if (e.startsWith(`benchmark-tracer-${this.cli.pid}-`)) left.push(`tracefs instance ${e}`);
    for (const dir of this.instanceDirs) {
      const name = dir.split('/').pop()!;
      for (const hierarchy of mountPoints().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2')) {
        if (existsSync(join(hierarchy.point, name))) left.push(`cgroup ${join(hierarchy.point, name)}`);
      }
    }
    return left;
  }
}

function loopDevices(): string {
  return spawnSync('losetup', ['-a'], { encoding: 'utf8' }).stdout ?? '';
}

/** A Redis or PostgreSQL of the machine's own, started before the faults; it must answer, unchanged, after them. */
async function otherService(app: string): Promise<{ check: () => string; stop: () => Promise<void> } | null> {
  const dir = mkdtempSync(join(tmpdir(), `bt-other-${app}-`));
  const port = await freePort();
  let server: ChildProcess;
  let check: () => string;
  if (app === 'redis') {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''], { stdio: 'ignore' });
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();
    for (let i = 0; i < 100 && cli('ping') !== 'PONG'; i++) await sleep(50);
    cli('SET', 'kept', 'untouched');
    const runId = /run_id:(\w+)/.exec(cli('INFO', 'server'))?.[1];
    check = () => `${cli('GET', 'kept')} ${/run_id:(\w+)/.exec(cli('INFO', 'server'))?.[1] === runId ? 'same server' : 'restarted'}`;
  } else if (app === 'postgresql') {
    const bin = dirname(realpathSync(requirePrograms('postgresql').postgres!));
    const user = serviceUser('postgres', 'postgresql');
    chownSync(dir, user.uid, user.gid);
    const [initdb, initdbArgs] = user.argv(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    assert.equal(spawnSync(initdb, initdbArgs, { cwd: dir, stdio: 'ignore' }).status, 0);
    const [postgres, postgresArgs] = user.argv(join(bin, 'postgres'), ['-D', join(dir, 'data'), '-k', dir, '-h', '127.0.0.1', '-p', String(port)]);
    server = spawn(postgres, postgresArgs, { cwd: dir, stdio: 'ignore' });
    const psql = (sql: string) =>
      spawnSync(join(bin, 'psql'), ['-X', '-A', '-t', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql], { encoding: 'utf8' }).stdout.trim();
    for (let i = 0; i < 100 && psql('SELECT 1') !== '1'; i++) await sleep(100);
    psql("CREATE TABLE kept (word text); INSERT INTO kept VALUES ('untouched')");
    const started = psql('SELECT pg_postmaster_start_time()');
    check = () => `${psql('SELECT word FROM kept')} ${psql('SELECT pg_postmaster_start_time()') === started ? 'same server' : 'restarted'}`;
  } else {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  assert.equal(check(), 'untouched same server', `the machine's own ${app} did not start`);
  return {
    check,
    stop: async () => {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a run, sends `signal` once it is visibly in `phase`; returns what happened. */
async function signalAtPhase(app: AppCase, phase: Phase, signal: NodeJS.Signals) {
  const output = tempOutputDir();
  const tmpBefore = new Set(entries(tmpdir()));
  const cli = spawn(process.execPath, [CLI, app.app, '--duration', '3', '--runs-dir', output], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  cli.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => cli.once('exit', (code, sig) => resolve({ code, signal: sig })));
  let done = false;
  void exited.then(() => (done = true));
  const watcher = new Watcher(cli, app.app, tmpBefore);
  let hit = false;
  while (!done) {
    if (watcher.look(output, app.isWorkload).has(phase)) {
      cli.kill(signal);
      hit = true;
      break;
    }
    await sleep(10);
  }
  // Keep noting what the run starts until it is gone.
  while (!done) {
    watcher.look(output, app.isWorkload);
    await sleep(20);
  }
  const status = await exited;
  return { output, status, stderr, watcher, hit };
}

function readMetadata(output: string, app: string): RunMetadata | null {
  const run = entries(output).find((e) => e.startsWith(`${app}_`));
  if (!run || !existsSync(join(output, run, 'metadata.json'))) return null;
  return readRunMetadata(join(output, run));
}

for (const app of APPS) {
  testNeeding(ROOT, tool('babeltrace2', 'babeltrace2'))(`faults: ${app.app} signalled at every phase cleans up, keeps a readable trace, leaves the machine's own ${app.app} alone`, async (t) => {
    requirePrograms(app.app);
    const other = await otherService(app.app);
    const loopsBefore = loopDevices();
    try {
      for (const phase of PHASES) {
        for (const signal of SIGNALS) {
          await t.test(`${signal} during ${phase}`, async () => {
            const { output, status, stderr, watcher, hit } = await signalAtPhase(app, phase, signal);
            try {
              assert.ok(hit, `the run ended before it was seen in phase ${phase}: ${stderr}`);
              if (signal === 'SIGKILL') {
                assert.equal(status.signal, 'SIGKILL');
                const metadata = readMetadata(output, app.app);
                // A run killed after it made its directory says it did not finish.
                if (metadata) assert.match(metadata.error ?? '', /did not finish/);
                // The next run removes what the killed one left; it must succeed itself.
                const leftByKill = watcher.leftovers();
                const next = await runCli([app.app, '--duration', '1', '--runs-dir', output], { timeoutMs: 300_000 });
                assert.equal(next.code, 0, `the next run failed: ${next.stderr}`);
                // A directory does not go by itself (a process such as babeltrace2 may end on its own first).
                if (leftByKill.some((l) => l.startsWith('directory '))) assert.match(next.stderr, /died without cleaning up/, `the kill left ${leftByKill.join(', ')}`);
              } else {
                assert.equal(status.code, EXIT_INTERRUPTED, `exit status ${JSON.stringify(status)}: ${stderr}`);
                assert.doesNotMatch(stderr, /internal error|at .*\.js:\d+/, 'a stack trace or internal error');
                const metadata = readMetadata(output, app.app);
                if (phase === 'provisioning' && !metadata) {
                  assert.match(stderr, /interrupted \(SIG(INT|TERM)\) before the run started/);
                } else {
                  assert.ok(metadata, `no metadata.json: ${stderr}`);
                  assert.equal(metadata.success, false);
                  assert.match(metadata.interrupted ?? '', new RegExp(signal));
                  const run = join(output, entries(output).find((e) => e.startsWith(`${app.app}_`))!);
                  const read = await babeltraceEvents(join(run, 'kernel'), () => false);
                  assert.equal(read.code, 0, `the trace is not readable: ${read.stderr}`);
                  assert.equal(read.lines, metadata.trace?.events_total, 'the trace holds what metadata.json says');
                  if (phase === 'readiness' || phase === 'workload') {
                    assert.equal(metadata.text.file, 'trace_output.txt', 'an interrupted recording still gets its text');
                  } else {
                    assert.equal(metadata.text.file, null, 'the text, cut short, is not presented as written');
                    assert.equal(existsSync(join(run, 'trace_output.txt')), false);
                    assert.match(metadata.text.note ?? '', /not written/);
                  }
                }
              }
              assert.deepEqual(watcher.leftovers(), [], `left behind after ${signal} during ${phase}`);
              assert.equal(loopDevices(), loopsBefore, 'loop devices changed');
              if (other) assert.equal(other.check(), 'untouched same server', `the machine's own ${app.app} changed`);
            } finally {
              rmSync(output, { recursive: true, force: true });
            }
          });
        }
      }
    } finally {
      await other?.stop();
    }
  });
}
