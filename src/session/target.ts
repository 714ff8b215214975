// The traced command. It is started held at a gate (a shell blocked reading
// fd 3) so that its pid can be handed to the tracer before it runs a single
// instruction of the real command; then released. It leads its own process
// group, so it can be stopped, with everything it started, by group.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { recordProcess } from '../util/leftovers.js';
import { descendantsOf, isAlive, readStat, treeAndGroup } from '../util/procfs.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const CAPTURE_LIMIT = 1 << 20;
const GATE_SCRIPT = 'read -r _ <&3 || exit 126; exec /bin/sh -c "$0" 3<&-';

export class GatedProcess {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  /**
   * output: 'inherit' shares our terminal; 'capture' keeps the last
   * CAPTURE_LIMIT bytes of stdout and stderr (and echoes stdout when asked).
   */
  static spawn(
    command: string,
    options: {
      cwd?: string;
      env?: NodeJS.ProcessEnv;
      output?: 'inherit' | 'ignore' | 'capture';
      echo?: boolean;
      /** Programs that exec the gate in turn (the backend's launchPrefix); the pid stays the gate's. */
      prefix?: string[];
    } = {},
  ): Promise<GatedProcess> {
    const output = options.output ?? 'inherit';
    const out = output === 'capture' ? 'pipe' : output;
    const stdio: StdioOptions = ['ignore', out, out, 'pipe'];
    const [file, ...args] = [...(options.prefix ?? []), '/bin/sh', '-c', GATE_SCRIPT, command];
    const child = spawn(file!, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio,
      detached: true,
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        // A process that dies with our pipes open resets them (ECONNRESET on the gate's
        // socketpair): its exit says what happened; an unhandled stream error would crash the run.
        for (const stream of child.stdio) stream?.on('error', () => {});
        const gated = new GatedProcess(child, child.pid!);
        const forget = recordProcess(child.pid, command);
        void gated.exited.then(forget);
        if (output === 'capture') gated.capture(options.echo ?? false);
        resolve(gated);
      });
    });
  }

  private stdoutText = '';
  private stderrText = '';

  /** What the process printed (the last CAPTURE_LIMIT characters of each stream). */
  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Waits (briefly: a daemonized grandchild may hold the pipe) for the captured output to end. */
  async outputSettled(): Promise<void> {
    const ended = (stream: NodeJS.ReadableStream | null) =>
      stream && !(stream as unknown as { readableEnded: boolean }).readableEnded
        ? new Promise<void>((resolve) => stream.once('end', () => resolve()))
        : Promise.resolve();
    await Promise.race([Promise.all([ended(this.child.stdout), ended(this.child.stderr)]), sleep(2000)]);
  }

  private capture(echo: boolean): void {
    const keep = (text: string) => (text.length > CAPTURE_LIMIT ? text.slice(-CAPTURE_LIMIT) : text);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText = keep(this.stdoutText + chunk);
      if (echo) process.stdout.write(chunk);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText = keep(this.stderrText + chunk);
    });
  }

  get hasExited(): boolean {
    return this.status !== null;
  }

  release(): void {
    const gate = this.child.stdio[3] as NodeJS.WritableStream | null;
    gate?.end('go\n');
  }

  /**
   * Every live process of the group and of the tree under the leader: a
   * server whose shell parent died first (SIGTERM kills sh at once) is
   * orphaned out of the tree, but not out of the group.
   */
  livePids(): number[] {
    const { descendants, group } = treeAndGroup(this.pid);
    return [...new Set([this.pid, ...descendants, ...group])].filter((pid) => isAlive(pid) && readStat(pid)?.state !== 'Z');
  }

  /**
   * SIGTERM to the group and the tree, SIGKILL to what is left after the grace
   * period. Only processes this run started: the group we created and its
   * descendants.
   */
  async terminate(graceMs: number): Promise<ExitStatus> {
    if (this.status && this.livePids().length === 0) return this.status;
    this.signalAll('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (this.status && this.livePids().length === 0) return this.status;
      await sleep(50);
    }
    this.signalAll('SIGKILL');
    return this.exited;
  }

  /** Synchronous last resort for exit handlers. */
  killNow(): void {
    this.signalAll('SIGKILL');
  }

  /** Once each: a process signalled twice may run its handler twice (Redis then logs its shutdown twice). */
  private signalAll(signal: NodeJS.Signals): void {
    // The group gets it at once; the descendants that left the group, one by one.
    const tree = this.status ? [] : descendantsOf(this.pid).filter((pid) => readStat(pid)?.pgrp !== this.pid);
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is empty.
    }
    for (const pid of tree) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves at `until` (Date.now() time). Its timer does not keep the process
 * alive: a race it lost must not hold the CLI until a --duration is over.
 */
export function deadlineReached(until: number): Promise<'deadline'> {
  return new Promise((resolve) => setTimeout(() => resolve('deadline'), Math.max(0, until - Date.now())).unref());
}
