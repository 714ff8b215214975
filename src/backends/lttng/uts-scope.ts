// The followed process tree of an LTTng kernel recording is the run's own
// UTS namespace. LTTng's process trackers do not follow forks (a child is
// unrecorded until someone tracks it), but a namespace is inherited by every
// fork inside the kernel, survives exec and setuid, and lttng-modules filters
// on it (`$ctx.uts_ns`): children are recorded from their first syscall.
// A new UTS namespace starts with the host's hostname, so the programs see
// nothing different.

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { findExecutable } from '../../util/executables.js';

const SETTLE_TIMEOUT_MS = 10_000;

function utsInode(pid: number | 'self'): number | null {
  try {
    return statSync(`/proc/${pid}/ns/uts`).ino;
  } catch {
    return null;
  }
}

export class UtsScope {
  private constructor(
    /** Holds the namespace open between the commands of the run: `unshare --uts sleep`. */
    private holder: ChildProcess | null,
    readonly holderPid: number,
    readonly inode: number,
  ) {}

  static async create(): Promise<UtsScope> {
    for (const tool of ['unshare', 'nsenter']) {
      if (!findExecutable(tool)) throw new Error(`${tool} (util-linux) is missing: the LTTng kernel backend starts the traced tree in a namespace of its own with it`);
    }
    const own = utsInode('self');
    const holder = spawn('unshare', ['--uts', 'sleep', 'infinity'], { stdio: 'ignore', detached: true });
    holder.unref();
    const pid = await new Promise<number>((resolve, reject) => {
      holder.once('error', reject);
      holder.once('spawn', () => resolve(holder.pid!));
    });
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const inode = utsInode(pid);
      if (inode !== null && inode !== own) return new UtsScope(holder, pid, inode);
      if (holder.exitCode !== null || holder.signalCode !== null || Date.now() > deadline) {
        if (holder.exitCode === null) holder.kill('SIGKILL');
        throw new Error('unshare --uts did not give the traced tree a namespace of its own');
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Runs the command inside the namespace (nsenter execs it: the pid is the command's). */
  launchPrefix(): string[] {
    return ['nsenter', `--target=${this.holderPid}`, '--uts', '--'];
  }

  /** Blocks (briefly: nsenter enters, then execs) until pid is inside; false if it never gets there. */
  waitUntilInside(pid: number): boolean {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; Date.now() < deadline; Atomics.wait(pause, 0, 0, 5)) {
      const inode = utsInode(pid);
      if (inode === this.inode) return true;
      if (inode === null) return false;
    }
    return false;
  }

  /** Synchronous and idempotent: from stop(), cleanup() and signal handlers alike. */
  close(): void {
    if (this.holder && this.holder.exitCode === null && this.holder.signalCode === null) this.holder.kill('SIGKILL');
    this.holder = null;
  }
}
