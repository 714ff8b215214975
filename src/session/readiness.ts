// Readiness probes: a server is up when it answers, not after a sleep.

import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { openFiles } from '../util/procfs.js';
import { sleep } from './target.js';

const TCP_LISTEN = '0A';
const UNIX_ACCEPTCON = 0x10000;

/** Inodes of the listening TCP and unix sockets of the machine. */
function listeningSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === TCP_LISTEN && cols[9]) inodes.add(cols[9]);
    }
  }
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 7 && (parseInt(cols[3]!, 16) & UNIX_ACCEPTCON) !== 0) inodes.add(cols[6]!);
    }
  } catch {
    // No unix sockets table: TCP alone decides.
  }
  return inodes;
}

export function hasListeningSocket(pids: number[]): boolean {
  const listening = listeningSocketInodes();
  return pids.some((pid) =>
    openFiles(pid).some((f) => {
      const match = /^socket:\[(\d+)\]$/.exec(f.path);
      return match !== null && listening.has(match[1]!);
    }),
  );
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

/** Runs a shell command quietly; true when it exits 0. */
export function commandSucceeds(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
