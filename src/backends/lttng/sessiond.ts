// The LTTng session daemon of a run: a running root lttng-sessiond is used
// as it is; otherwise the run starts its own and, at the end, stops that one
// pid and nothing else. A daemon the run did not start is never signalled.

import { existsSync, readFileSync } from 'node:fs';
import { isAlive, readStat } from '../../util/procfs.js';
import { recordProcess } from '../../util/leftovers.js';
import { runCommand } from '../../util/run-command.js';
import { sleep } from '../../session/target.js';

export const ROOT_SESSIOND_PID_FILE = '/var/run/lttng/lttng-sessiond.pid';
const STOP_GRACE_MS = 10_000;

export interface SessiondInfo {
  pid: number;
  /** True: this run started it and will stop it. */
  startedByRun: boolean;
  /** Forgets it as a leftover of the run (once stopped). */
  forgetLeftover?: () => void;
}

/** The running root session daemon's pid, when there is one. */
export function runningRootSessiond(pidFile = ROOT_SESSIOND_PID_FILE): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return readStat(pid)?.name === 'lttng-sessiond' ? pid : null;
}

/**
 * Uses the running root daemon, or starts one (`--daemonize` returns once it
 * is ready) and reads its pid. withKernel=false starts it with --no-kernel,
 * so it does not try to load kernel modules a userspace-only run never uses.
 */
export async function acquireSessiond(withKernel: boolean): Promise<SessiondInfo> {
  const running = runningRootSessiond();
  if (running !== null) return { pid: running, startedByRun: false };
  const { code, stderr } = await runCommand('lttng-sessiond', ['--daemonize', ...(withKernel ? [] : ['--no-kernel'])], 30_000);
  const pid = runningRootSessiond();
  if (pid === null) {
    throw new Error(`lttng-sessiond --daemonize did not start (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`);
  }
  // Another run may have started the daemon between our look and our start (ours then exited).
  const startedByRun = code === 0;
  return { pid, startedByRun, forgetLeftover: startedByRun ? recordProcess(pid, 'lttng-sessiond') : undefined };
}

/** Stops the daemon only when this run started it; waits for it to go. */
export async function releaseSessiond(info: SessiondInfo): Promise<void> {
  if (!info.startedByRun) return;
  if (!signalSessiond(info, 'SIGTERM')) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline && isAlive(info.pid)) await sleep(50);
  if (isAlive(info.pid)) signalSessiond(info, 'SIGKILL');
  info.forgetLeftover?.();
}

/** Synchronous, for the emergency list. */
export function killSessiondNow(info: SessiondInfo): void {
  if (info.startedByRun) signalSessiond(info, 'SIGTERM');
}

function signalSessiond(info: SessiondInfo, signal: NodeJS.Signals): boolean {
  // The pid may have been reused if the daemon died on its own.
  if (readStat(info.pid)?.name !== 'lttng-sessiond') return false;
  try {
    process.kill(info.pid, signal);
    return true;
  } catch {
    return false;
  }
}
