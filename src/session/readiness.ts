// Readiness probes: a server is up when it answers, not after a sleep.

import { spawn } from 'node:child_process';
import { openFiles } from '../util/procfs.js';
import { socketInode, socketTable } from '../util/proc-net.js';
import { sleep } from './target.js';

/** A TCP or unix socket that accepts connections, in the tree's own network namespace. */
export function hasListeningSocket(pids: number[]): boolean {
  return pids.some((pid) => {
    const sockets = openFiles(pid).map((f) => socketInode(f.path)).filter((inode) => inode !== null);
    if (sockets.length === 0) return false;
    const table = socketTable(pid);
    // Only TCP and unix sockets are ever LISTEN.
    return sockets.some((inode) => table.get(inode)?.state === 'LISTEN');
  });
}

export interface ProbeOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Stops waiting early, e.g. when the server exited. */
  givesUp?: () => string | null;
}

/** Polls until check() is true; throws with the reason when it never is. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: ProbeOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal.aborted) throw new Error('interrupted while waiting for readiness');
    if (await check()) return;
    const reason = options.givesUp?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Runs a shell command quietly (under the programs of prefix, which exec it); true when it exits 0. */
export function commandSucceeds(command: string, prefix: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return new Promise((resolve) => {
    const [file, ...args] = [...prefix, '/bin/sh', '-c', command];
    const child = spawn(file!, args, { stdio: 'ignore', env });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
