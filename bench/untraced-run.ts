// An application profile run without the tool: the same private instance,
// server command and benchmark as `benchmark-tracer APP`, started directly
// (or under strace/perf trace), so a benchmark can put the two side by side.

import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppInstance, AppProfile } from '../src/apps/profile.js';

export interface UntracedResult {
  /** The benchmark's figures, averaged over its iterations as a traced run does. */
  figures: Record<string, number>;
  iterations: number;
}

function launch(command: string, prefix: string[], env: NodeJS.ProcessEnv, cwd?: string): ChildProcess {
  const argv = [...prefix, 'sh', '-c', command];
  // Its own process group, so stopping it reaches every process a wrapper or the server started.
  return spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env, cwd });
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, stdout, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function stopGroup(child: ChildProcess, done: Promise<unknown>): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const ended = await Promise.race([done.then(() => true), sleep(5000).then(() => false)]);
  if (!ended) signalGroup('SIGKILL');
  await done;
}

/** Runs one client command of the instance to its end, or until `deadline` (then stopped, no figures). */
async function runClient(instance: AppInstance, command: string, deadline: number | null): Promise<Finished & { cut: boolean }> {
  const child = launch(command, instance.launchPrefix ?? [], { ...process.env, ...instance.clientEnv });
  const done = collect(child);
  if (deadline === null) return { ...(await done), cut: false };
  const ended = await Promise.race([done.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
  if (!ended) await stopGroup(child, done);
  return { ...(await done), cut: !ended };
}

/**
 * Provisions `profile`, starts its server under `wrapper` (e.g. strace -f; [] for none), waits
 * until it answers and runs its benchmark for `seconds` as a traced run would; then stops and
 * removes everything.
 */
export async function runUntraced(profile: AppProfile, seconds: number, wrapper: string[]): Promise<UntracedResult> {
  const instance = await profile.provision({ durationSeconds: seconds });
  let server: ChildProcess | null = null;
  let serverDone: Promise<Finished> | null = null;
  try {
    if (!instance.benchmark || !instance.readyCommand) throw new Error(`${profile.name} has no benchmark or ready command`);
    server = launch(instance.server.command, [...(instance.launchPrefix ?? []), ...wrapper], instance.server.env ?? process.env, instance.server.cwd);
    serverDone = collect(server);
    const readyBy = Date.now() + instance.readyTimeoutSeconds * 1000;
    while ((await runClient(instance, instance.readyCommand, null)).code !== 0) {
      if (Date.now() > readyBy) throw new Error(`${profile.name} did not answer within ${instance.readyTimeoutSeconds} s: ${(await Promise.race([serverDone, sleep(0)]))?.stderr ?? ''}`);
      await sleep(100);
    }
    const benchmark = instance.benchmark;
    const deadline = Date.now() + seconds * 1000;
    const runs: Array<Record<string, number>> = [];
    do {
      const result = await runClient(instance, benchmark.command, benchmark.repeatUntilDeadline ? deadline : null);
      if (result.cut) break;
      if (result.code !== 0) throw new Error(`${benchmark.label} failed (exit ${result.code}): ${result.stderr.trim().split('\n')[0]}`);
      const figures = benchmark.parse(result.stdout);
      if (Object.keys(figures).length) runs.push(figures);
    } while (benchmark.repeatUntilDeadline && Date.now() < deadline);
    if (runs.length === 0) throw new Error(`${benchmark.label} gave no figures within ${seconds} s`);
    return { figures: average(runs), iterations: runs.length };
  } finally {
    if (instance.stopCommand && serverDone) await runClient(instance, instance.stopCommand, Date.now() + 5000);
    if (server && serverDone) await stopGroup(server, serverDone);
    instance.cleanup();
  }
}

function average(runs: Array<Record<string, number>>): Record<string, number> {
  const keys = new Set(runs.flatMap((run) => Object.keys(run)));
  return Object.fromEntries([...keys].map((key) => {
    const values = runs.map((run) => run[key]).filter((v): v is number => v !== undefined);
    return [key, values.reduce((a, b) => a + b, 0) / values.length];
  }));
}
