// While a run goes on, another local user (nobody) tries to use the run's
// private server, by every way in a user of the machine has: the TCP port on
// 127.0.0.1, the unix socket, and (as if it had got into the run's network
// namespace) the accounts without the run's secret. Between the attempts the
// run's own kind of client must be answered, so a refusal is not just a
// server that is not up yet.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFiles, readStat } from '../../src/util/procfs.js';
import { socketInode, socketTable } from '../../src/util/proc-net.js';

export interface LiveInstance {
  /** The instance's private directory. */
  dir: string;
  /** The server's pid (the run's traced root). */
  serverPid: number;
  /** TCP addresses the server listens on, as "127.0.0.1:port". */
  listening: string[];
  /** The server's network namespace, once seen. */
  netnsInode: number | null;
}

export interface Attempt {
  what: string;
  /** Run as nobody, with none of the run's environment. */
  argv: string[];
  /** Run inside the server's network namespace (nsenter as root, then setpriv to nobody). */
  insideNamespace?: boolean;
}

const nobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

function run(argv: string[], serverPid: number, options: { asNobody: boolean; insideNamespace: boolean }) {
  const prefix = [...(options.insideNamespace ? ['nsenter', `--target=${serverPid}`, '--net', '--'] : []), ...(options.asNobody ? nobody : [])];
  const [file, ...args] = [...prefix, ...argv];
  // No environment of ours: an intruder has not got the run's secret.
  return spawnSync(file!, args, { encoding: 'utf8', timeout: 15_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' } });
}

/** Processes that name dir on their command line, or hold a file or their cwd in it (redis-server rewrites its title). */
export function processesUsing(dir: string): number[] {
  const under = (path: string) => path === dir || path.startsWith(`${dir}/`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const pid = Number(entry);
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(dir) ||
        under(readlinkSync(`/proc/${pid}/cwd`)) ||
        openFiles(pid).some((file) => under(file.path))
      ) {
        pids.push(pid);
      }
    } catch {
      // Gone.
    }
  }
  return pids;
}

/** The server: the first child of the tool in a process group of its own (setup steps are not) that uses the instance dir. */
function serverOf(dir: string, cliPid: number): number | undefined {
  return processesUsing(dir).find((pid) => {
    const stat = readStat(pid);
    return stat?.ppid === cliPid && stat.pgrp === pid;
  });
}

/** TCP listening addresses of pid's open sockets, looked up in its own network namespace. */
export function listeningAddresses(pids: number[]): string[] {
  const addresses = new Set<string>();
  for (const pid of pids) {
    const table = socketTable(pid);
    for (const file of openFiles(pid)) {
      const inode = socketInode(file.path);
      const socket = inode ? table.get(inode) : undefined;
      if (socket && socket.protocol.startsWith('tcp') && socket.state === 'LISTEN') addresses.add(socket.local);
    }
  }
  return [...addresses].sort();
}

/** Waits for the run's instance dir (not in `before`) and its server; null if the run ended first. */
export async function findLiveInstance(app: string, before: Set<string>, cliPid: number, runEnded: () => boolean): Promise<LiveInstance | null> {
  const prefix = `benchmark-tracer-${app}-`;
  while (!runEnded()) {
    const dir = readdirSync(tmpdir()).find((e) => e.startsWith(prefix) && !before.has(e));
    if (dir) {
      const path = join(tmpdir(), dir);
      const serverPid = serverOf(path, cliPid);
      if (serverPid !== undefined) return { dir: path, serverPid, listening: [], netnsInode: null };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

export interface IntruderPlan {
  /** As root, inside the instance's namespace, with the run's secret where it needs one: must succeed. */
  control: { argv: string[]; env?: Record<string, string> };
  attempts: Attempt[];
}

/**
 * Waits until the server listens on TCP (when `tcp`) and `control` succeeds;
 * then every attempt must be refused, and control must still succeed after.
 */
export async function assertIntrudersRefused(
  live: LiveInstance,
  runEnded: () => boolean,
  tcp: boolean,
  plan: (port: number | null) => IntruderPlan,
): Promise<void> {
  const wait = async (what: string, done: () => boolean) => {
    while (!done()) {
      assert.ok(!runEnded(), `the run ended before ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  if (tcp) await wait('its server listened on TCP', () => (live.listening = listeningAddresses([live.serverPid])).length > 0);
  live.netnsInode = statSync(`/proc/${live.serverPid}/ns/net`).ino;
  const port = tcp ? Number(live.listening[0]!.split(':').pop()) : null;
  const { control, attempts } = plan(port);
  const controlSucceeds = () => {
    const [file, ...args] = ['nsenter', `--target=${live.serverPid}`, '--net', '--', ...control.argv];
    return spawnSync(file!, args, { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...control.env } }).status === 0;
  };
  await wait(`its server answered ${control.argv.join(' ')}`, controlSucceeds);
  for (const attempt of attempts) {
    const result = run(attempt.argv, live.serverPid, { asNobody: true, insideNamespace: attempt.insideNamespace ?? false });
    assert.notEqual(result.status, 0, `nobody got in: ${attempt.what}\n${result.stdout}${result.stderr}`);
    // It must be a refusal, not a tool that is missing or could not start.
    assert.equal(result.error, undefined, `${attempt.what}: ${result.error?.message}`);
    assert.notEqual(result.status, 127, `${attempt.what}: command not found`);
  }
  assert.ok(controlSucceeds(), `the run's own client is no longer answered after the attempts: ${control.argv.join(' ')}`);
}

/** After the run: no process is left in the instance's network namespace (its holder included). */
export function assertNamespaceGone(live: LiveInstance): void {
  if (live.netnsInode === null) return;
  const inside = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return statSync(`/proc/${pid}/ns/net`).ino === live.netnsInode;
      } catch {
        return false;
      }
    });
  assert.deepEqual(inside, [], 'processes are left in the run\'s network namespace');
}

/** The value of `variable` in the environment of a live process that has it (a client of the run), or null. */
export function environmentValue(variable: string): string | null {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const found = readFileSync(`/proc/${entry}/environ`, 'latin1')
        .split('\0')
        .find((v) => v.startsWith(`${variable}=`));
      if (found) return found.slice(variable.length + 1);
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return null;
}

/** No process shows the secret on its command line (what ps shows every user). */
export function assertSecretNotOnCommandLines(secret: string): void {
  assert.ok(secret.length >= 16, `a weak secret: ${secret.length} characters`);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    assert.ok(!cmdline.includes(secret), `pid ${entry} shows the run's secret on its command line`);
  }
}

/** The server answers the run's own HTTP client; no one is refused (static pages), but it listens on 127.0.0.1 only. */
export function webServerPlan(port: number | null): IntruderPlan {
  const get = `fetch('http://127.0.0.1:${port}/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return { control: { argv: [process.execPath, '-e', get] }, attempts: [] };
}
