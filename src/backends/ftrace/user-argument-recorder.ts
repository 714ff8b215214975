// Runs bpftrace beside the tracefs instance to copy the user-space arguments
// the syscall tracepoints only record as pointers (see user-arguments.ts).
// Optional: without bpftrace the trace is complete but for those values, and
// metadata.json says why.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../../util/executables.js';
import { onEmergency } from '../../util/emergency.js';
import { recordProcess } from '../../util/leftovers.js';
import type { CompanionRecording } from '../backend.js';
import { ADDRESS_ARGUMENTS, bpftraceProgram, PATH_ARGUMENTS, PATH_BYTES, READY_LINE, readSideOf, USER_ARGUMENTS_FILE, type ArgumentScope, type ReadSide } from './user-arguments.js';

// bpftrace compiles and loads a program per probe: about 1 s on a 2-core VM, 18 s
// in the LTTng guest under TCG emulation, where 20 s was too little.
const ATTACH_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;

export interface UserArgumentStatus {
  recorded: boolean;
  /** Why not, or what reads them. */
  reason: string;
  syscalls: string[];
}

export class UserArgumentRecorder implements CompanionRecording {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private forgetEmergency: (() => void) | null = null;

  private constructor(
    private readonly captureDir: string,
    readonly status: UserArgumentStatus,
    /** bpftrace and its program, when it is to run. */
    private readonly plan: { bpftrace: string; program: string } | null = null,
  ) {}

  /**
   * The copy for those of `syscalls` (names without sys_enter_; null: turned off) that have a
   * path or socket address argument, or why there is none. `side`: where the program reads
   * (user-arguments.ts); the benchmark of the hooks compares the two.
   */
  static create(captureDir: string, syscalls: string[] | null, scope: ArgumentScope, side: ReadSide = readSideOf()): UserArgumentRecorder {
    const wanted = (syscalls ?? []).filter((s) => PATH_ARGUMENTS.has(s) || ADDRESS_ARGUMENTS.has(s));
    const status = (recorded: boolean, reason: string) => ({ recorded, reason, syscalls: wanted });
    if (syscalls === null) return new UserArgumentRecorder(captureDir, status(false, 'turned off with --no-user-args: paths and socket addresses stay pointers'));
    if (wanted.length === 0) return new UserArgumentRecorder(captureDir, status(false, 'no syscall with a path or socket address argument is recorded'));
    const bpftrace = findExecutable('bpftrace');
    if (!bpftrace) {
      return new UserArgumentRecorder(captureDir, status(false, 'bpftrace is not installed (apt-get install bpftrace): paths and socket addresses stay pointers'));
    }
    const where = side === 'exit' ? "at the syscalls' exits, from their saved registers" : 'at the syscall tracepoints';
    const plan = { bpftrace, program: bpftraceProgram(wanted, scope, side) };
    return new UserArgumentRecorder(captureDir, status(true, `bpftrace reads paths and socket addresses ${where} (paths cut at ${PATH_BYTES} bytes)`), plan);
  }

  /** Starts bpftrace and returns once its probes are attached. Never throws for bpftrace's own failures: they become the status's reason. */
  async start(): Promise<void> {
    if (this.plan && !this.child) await this.launch(this.plan.bpftrace, this.plan.program);
  }

  private async launch(bpftrace: string, program: string): Promise<void> {
    const programFile = join(this.captureDir, 'user-arguments.bt');
    writeFileSync(programFile, program);
    const outFile = join(this.captureDir, USER_ARGUMENTS_FILE);
    const out = openSync(outFile, 'w');
    let stderr = '';
    try {
      const child = spawn(bpftrace, ['-B', 'line', programFile], {
        // Its own process group: a terminal's Ctrl-C reaches the run, which stops bpftrace in turn.
        detached: true,
        stdio: ['ignore', out, 'pipe'],
        env: { ...process.env, BPFTRACE_STRLEN: String(PATH_BYTES) },
      });
      this.child = child;
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
      this.exited = new Promise((resolve) => child.once('close', () => resolve()));
      child.once('close', () => (this.child = null));
      child.once('error', () => (this.child = null));
      this.forgetEmergency = onEmergency(() => this.kill());
      child.once('close', recordProcess(child.pid, 'bpftrace (user arguments)'));
    } finally {
      closeSync(out);
    }
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (!readFileSync(outFile, 'latin1').includes(READY_LINE)) {
      if (this.child === null || Date.now() > deadline) {
        this.kill();
        await this.exited;
        const why = stderr.split('\n').find((l) => /error/i.test(l) && !/RLIMIT_MEMLOCK/.test(l)) ?? `it did not attach within ${ATTACH_TIMEOUT_MS / 1000} s`;
        this.status.recorded = false;
        this.status.reason = `bpftrace failed: ${why.trim()}`;
        return;
      }
      await sleep(50);
    }
  }

  /**
   * Reads `pid`'s arguments from now on, and those of every process it forks:
   * the program's probe on signal_generate sees this SIGCONT from us and adds
   * the pid to its map before kill() returns. `pid` is held at its gate (it has
   * not run yet), and is our own child: a SIGCONT does nothing to a process
   * that is not stopped.
   */
  follow(pid: number): void {
    if (this.child) process.kill(pid, 'SIGCONT');
  }

  /** Ends bpftrace so that it flushes what it read. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGINT');
      const ended = await Promise.race([this.exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!ended) this.kill();
      await this.exited;
    }
    this.forgetEmergency?.();
  }

  /** Synchronous, for signal handlers: by pid, only the bpftrace we started. */
  kill(): void {
    if (this.child?.pid) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
