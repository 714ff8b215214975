// The LTTng session daemon of a run. A running root lttng-sessiond that no
// run of ours started (the machine's own) is used as it is and never
// signalled. Otherwise a run starts one, and every run of ours that uses it
// signs in under /run/benchmark-tracer/lttng-sessiond/<pid>-<start>/: the
// last to leave stops it, so two runs at once never end each other's
// sessions. A run that dies signed in is signed out by the next run's reaper.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, readStat } from '../../util/procfs.js';
import { LEASE_DIR, recordLeftover, registerReaper, type CustomLeftover } from '../../util/leftovers.js';
import { runCommand } from '../../util/run-command.js';

export const ROOT_SESSIOND_PID_FILE = '/var/run/lttng/lttng-sessiond.pid';
const STOP_GRACE_MS = 10_000;
const USERS_ROOT = join(LEASE_DIR, 'lttng-sessiond');
const LEFTOVER_KIND = 'lttng-sessiond user';

export interface SessiondInfo {
  pid: number;
  /** True: this run started it. */
  startedByRun: boolean;
  /** True: a run of ours started it (this one or another), so the last run to leave stops it. */
  ours: boolean;
  /** Signs this run out (once). */
  leave?: () => void;
}

/** The running root session daemon's pid, when there is one. */
export function runningRootSessiond(pidFile = ROOT_SESSIOND_PID_FILE): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return readStat(pid)?.name === 'lttng-sessiond' ? pid : null;
}

const processKey = (pid: number) => `${pid}-${readStat(pid)?.startTicks ?? 0}`;
const usersDir = (daemonPid: number) => join(USERS_ROOT, processKey(daemonPid));

/** Whether `key` ("pid-starttime") names a live process. */
function liveKey(key: string): boolean {
  const [pid, ticks] = key.split('-').map(Number);
  return pid !== undefined && readStat(pid)?.startTicks === ticks;
}

/** Signs the run in as a user of daemon pid; returns the sign-out. */
function signIn(daemonPid: number): () => void {
  const dir = usersDir(daemonPid);
  const me = join(dir, processKey(process.pid));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(me, '');
  const forgetLeftover = recordLeftover({ kind: LEFTOVER_KIND, daemon: processKey(daemonPid), user: processKey(process.pid) });
  let left = false;
  return () => {
    if (left) return;
    left = true;
    rmSync(me, { force: true });
    forgetLeftover();
  };
}

/** Runs of ours still signed in to the daemon (dead ones are signed out on the way). */
function liveUsers(daemonKey: string): string[] {
  const dir = join(USERS_ROOT, daemonKey);
  let users: string[] = [];
  try {
    users = readdirSync(dir);
  } catch {
    return [];
  }
  return users.filter((user) => {
    if (liveKey(user)) return true;
    rmSync(join(dir, user), { force: true });
    return false;
  });
}

/**
 * Uses the running root daemon, or starts one (`--daemonize` returns once it
 * is ready) and reads its pid. withKernel=false starts it with --no-kernel,
 * so it does not try to load kernel modules a userspace-only run never uses.
 */
export async function acquireSessiond(withKernel: boolean): Promise<SessiondInfo> {
  const running = runningRootSessiond();
  if (running !== null) {
    const ours = existsSync(usersDir(running));
    return { pid: running, startedByRun: false, ours, leave: ours ? signIn(running) : undefined };
  }
  const { code, stderr } = await runCommand('lttng-sessiond', ['--daemonize', ...(withKernel ? [] : ['--no-kernel'])], 30_000);
  const pid = runningRootSessiond();
  if (pid === null) {
    throw new Error(`lttng-sessiond --daemonize did not start (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`);
  }
  // Another run may have started the daemon between our look and our start (ours then exited): it is ours all the same.
  const startedByRun = code === 0;
  const ours = startedByRun || existsSync(usersDir(pid));
  return { pid, startedByRun, ours, leave: ours ? signIn(pid) : undefined };
}

/** Signs out; stops the daemon when a run of ours started it and no run of ours uses it any more; waits for it to go. */
export async function releaseSessiond(info: SessiondInfo): Promise<void> {
  if (!lastToLeave(info)) return;
  if (!signalSessiond(info.pid, 'SIGTERM')) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline && isAlive(info.pid)) await sleep(50);
  if (isAlive(info.pid)) signalSessiond(info.pid, 'SIGKILL');
}

/** Synchronous, for the emergency list. */
export function killSessiondNow(info: SessiondInfo): void {
  if (lastToLeave(info)) signalSessiond(info.pid, 'SIGTERM');
}

function lastToLeave(info: SessiondInfo): boolean {
  if (!info.ours) return false;
  const daemonKey = processKey(info.pid);
  info.leave?.();
  if (liveUsers(daemonKey).length > 0) return false;
  rmSync(join(USERS_ROOT, daemonKey), { recursive: true, force: true });
  return true;
}

// A run that died signed in: signed out, and the daemon stopped if no run of ours uses it.
registerReaper(LEFTOVER_KIND, (leftover: CustomLeftover) => {
  const daemonKey = String(leftover.daemon);
  rmSync(join(USERS_ROOT, daemonKey, String(leftover.user)), { force: true });
  if (liveUsers(daemonKey).length > 0) return;
  rmSync(join(USERS_ROOT, daemonKey), { recursive: true, force: true });
  const pid = Number(daemonKey.split('-')[0]);
  if (liveKey(daemonKey)) signalSessiond(pid, 'SIGTERM');
});

function signalSessiond(pid: number, signal: NodeJS.Signals): boolean {
  // The pid may have been reused if the daemon died on its own.
  if (readStat(pid)?.name !== 'lttng-sessiond') return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
