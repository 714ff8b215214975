// A Linux namespace of the run's own, held open by `unshare --KIND sleep
// infinity` between the commands that enter it (nsenter execs them: the pid
// is the command's). Used for the LTTng kernel backend's process-tree scope
// (UTS) and for the private network of a server instance (net).

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { sleepSync } from './clock.js';
import { findExecutable } from './executables.js';
import { onEmergency } from './emergency.js';
import { recordProcess } from './leftovers.js';
import { runCommand } from './run-command.js';

export type NamespaceKind = 'uts' | 'net';

const SETTLE_TIMEOUT_MS = 10_000;

export function namespaceInode(kind: NamespaceKind, pid: number | 'self'): number | null {
  try {
    return statSync(`/proc/${pid}/ns/${kind}`).ino;
  } catch {
    return null;
  }
}

export class NamespaceHolder {
  private forgetEmergency: () => void;

  private constructor(
    readonly kind: NamespaceKind,
    private holder: ChildProcess | null,
    readonly holderPid: number,
    readonly inode: number,
    private readonly forgetLeftover: () => void,
  ) {
    this.forgetEmergency = onEmergency(() => this.close());
  }

  /** `why` completes the error when util-linux is missing: "the X needs it". */
  static async create(kind: NamespaceKind, why: string): Promise<NamespaceHolder> {
    for (const tool of ['unshare', 'nsenter', 'setpriv']) {
      if (!findExecutable(tool)) throw new Error(`${tool} (util-linux) is missing: ${why}`);
    }
    const own = namespaceInode(kind, 'self');
    // It dies with us (pdeathsig): a kill between its start and its entry in the lease leaves nothing.
    const holder = spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', `--${kind}`, 'sleep', 'infinity'], { stdio: 'ignore', detached: true });
    holder.unref();
    const pid = await new Promise<number>((resolve, reject) => {
      holder.once('error', reject);
      holder.once('spawn', () => resolve(holder.pid!));
    });
    // Written down at once: a kill while the namespace settles must not leave the holder behind.
    const forgetLeftover = recordProcess(pid, `unshare --${kind} sleep infinity`);
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const inode = namespaceInode(kind, pid);
      if (inode !== null && inode !== own) return new NamespaceHolder(kind, holder, pid, inode, forgetLeftover);
      if (holder.exitCode !== null || holder.signalCode !== null || Date.now() > deadline) {
        forgetLeftover();
        if (holder.exitCode === null) holder.kill('SIGKILL');
        throw new Error(`unshare --${kind} did not give the run a namespace of its own`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** A network namespace starts with its loopback down: bring it up, so 127.0.0.1 works inside. */
  static async createNetwork(why: string): Promise<NamespaceHolder> {
    const ip = findExecutable('ip');
    if (!ip) throw new Error(`ip (iproute2) is missing: ${why}`);
    const namespace = await NamespaceHolder.create('net', why);
    const up = await runCommand('nsenter', [`--target=${namespace.holderPid}`, '--net', '--', ip, 'link', 'set', 'lo', 'up']);
    if (up.code !== 0) {
      namespace.close();
      throw new Error(`bringing up the loopback of the run's network namespace failed: ${up.stderr.trim() || `exit ${up.code}`}`);
    }
    return namespace;
  }

  /** Runs the command inside the namespace. */
  launchPrefix(): string[] {
    return ['nsenter', `--target=${this.holderPid}`, `--${this.kind}`, '--'];
  }

  /** Blocks (briefly: nsenter enters, then execs) until pid is inside; false if it never gets there. */
  waitUntilInside(pid: number): boolean {
    for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; Date.now() < deadline; sleepSync(5)) {
      const inode = namespaceInode(this.kind, pid);
      if (inode === this.inode) return true;
      if (inode === null) return false;
    }
    return false;
  }

  /** Synchronous and idempotent: from stop(), cleanup() and signal handlers alike. */
  close(): void {
    if (this.holder && this.holder.exitCode === null && this.holder.signalCode === null) this.holder.kill('SIGKILL');
    this.holder = null;
    this.forgetEmergency();
    this.forgetLeftover();
  }
}
