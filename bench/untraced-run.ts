// An application profile run without the tool: the same private instance,
// server command and benchmark as `benchmark-tracer APP`, started directly
// (or under strace/perf trace), so a benchmark can put the two side by side.

import type { AppInstance, AppProfile } from '../src/apps/profile.js';
import { averageFigures } from '../src/session/run.js';
import { deadlineReached, GatedProcess, sleep } from '../src/session/target.js';
import { onEmergency } from '../src/util/emergency.js';

const STOP_GRACE_MS = 5000;

// Servers and clients run in process groups of their own: a Ctrl-C of the benchmark does not reach them.
const running = new Set<GatedProcess>();
onEmergency(() => running.forEach((process) => process.killNow()));

async function spawnTracked(...args: Parameters<typeof GatedProcess.spawn>): Promise<GatedProcess> {
  const started = await GatedProcess.spawn(...args);
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

export interface UntracedResult {
  /** The benchmark's figures, averaged over its iterations as a traced run does. */
  figures: Record<string, number>;
  iterations: number;
}

/** Runs one client command of the instance to its end, or until `deadline` (then stopped: `cut`). */
async function runClient(instance: AppInstance, command: string, deadline: number | null) {
  const client = await spawnTracked(command, { output: 'capture', env: { ...process.env, ...instance.clientEnv }, prefix: instance.launchPrefix });
  client.release();
  const ended = await Promise.race([client.exited.then(() => 'exited' as const), ...(deadline === null ? [] : [deadlineReached(deadline)])]);
  const status = ended === 'exited' ? await client.exited : await client.terminate(STOP_GRACE_MS);
  await client.outputSettled();
  return { code: status.code, stdout: client.stdout, stderr: client.stderr, cut: ended === 'deadline' };
}

/**
 * Provisions `profile`, starts its server under `wrapper` (e.g. strace -f; [] for none), waits
 * until it answers and runs its benchmark for `seconds` as a traced run would; then stops and
 * removes everything. `followServer` is given the server's pid before it runs its first instruction.
 */
export async function runUntraced(profile: AppProfile, seconds: number, wrapper: string[], followServer?: (pid: number) => void): Promise<UntracedResult> {
  const instance = await profile.provision({ durationSeconds: seconds });
  let server: GatedProcess | null = null;
  try {
    const { benchmark, readyCommand } = instance;
    if (!benchmark || !readyCommand) throw new Error(`${profile.name} has no benchmark or ready command`);
    server = await spawnTracked(instance.server.command, {
      output: 'capture',
      cwd: instance.server.cwd,
      env: instance.server.env,
      prefix: [...(instance.launchPrefix ?? []), ...wrapper],
    });
    followServer?.(server.pid);
    server.release();
    const readyBy = Date.now() + instance.readyTimeoutSeconds * 1000;
    while ((await runClient(instance, readyCommand, null)).code !== 0) {
      if (Date.now() > readyBy) throw new Error(`${profile.name} did not answer within ${instance.readyTimeoutSeconds} s: ${server.stderr.trim()}`);
      await sleep(100);
    }
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
    return { figures: averageFigures(runs), iterations: runs.length };
  } finally {
    if (server) {
      if (instance.stopCommand) await runClient(instance, instance.stopCommand, Date.now() + STOP_GRACE_MS);
      await server.terminate(STOP_GRACE_MS);
    }
    instance.cleanup();
  }
}
