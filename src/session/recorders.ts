// The recorders of a run: the kernel backend, its companion (the tracefs
// backend's bpftrace copy of path and address arguments) and, with
// --userspace, the LTTng userspace session. They share one lifecycle, which
// the run's phases drive over the list:
//   prepare   before the server exists, in list order (the companion writes
//             beside the kernel backend's capture; LTTng-UST registers with
//             its session as the server starts);
//   launch    each adds what the server starts under (environment, argv prefix);
//   attach    the server's pid, held at its gate, in list order: the kernel
//             starts first, so the userspace trace begins inside the kernel one;
//   follow    a traced client (--trace-workload), held at its gate;
//   statedump the state of the traced processes at a moment (start, ready, end);
//   stop      in reverse order: the userspace trace's clock offset reaches the
//             kernel backend before it stops; the companion has flushed what
//             the kernel backend converts with its trace;
//   cleanup   at any time, synchronous and idempotent (the emergency list too).

import type { CompanionRecording, RecordingBackend } from '../backends/backend.js';
import type { UserspaceSession } from '../backends/lttng/userspace.js';
import type { RunMetadata } from '../metadata/run-metadata.js';
import { errorMessage } from '../util/errors.js';

/** What the server is started under; each recorder adds its part. */
export interface Launch {
  env: NodeJS.ProcessEnv;
  prefix: string[];
}

/** What recorders hand on to each other while stopping. */
export interface StopState {
  /** CLOCK_REALTIME - CLOCK_MONOTONIC (ns) that another trace of the run measured, to line the traces up. */
  realtimeOffsetNs: bigint | null;
  /** Stopping went wrong without losing the trace: metadata.json's warnings. */
  warnings: string[];
}

export interface Recorder {
  readonly name: 'kernel' | 'companion' | 'userspace';
  prepare(): Promise<void>;
  launch(server: Launch): Launch;
  attach(pid: number): void;
  follow(pid: number): void;
  statedump(pids: number[] | null, label: string): void;
  stop(state: StopState): Promise<void>;
  cleanup(): void;
}

/** The kernel backend (tracefs or lttng-modules) as a recorder. */
export class KernelRecorder implements Recorder {
  readonly name = 'kernel' as const;
  /** Started: from here on there is a trace to stop and write. */
  private started = false;

  constructor(
    readonly backend: RecordingBackend,
    private readonly systemWide: boolean,
  ) {}

  get recorded(): boolean {
    return this.started;
  }

  prepare(): Promise<void> {
    return this.backend.prepare();
  }

  launch(server: Launch): Launch {
    return { env: server.env, prefix: [...server.prefix, ...this.backend.launchPrefix()] };
  }

  attach(pid: number): void {
    this.backend.follow(pid);
    this.backend.start();
    this.started = true;
  }

  follow(pid: number): void {
    this.backend.follow(pid);
  }

  statedump(pids: number[] | null, label: string): void {
    this.backend.statedump(this.systemWide ? null : pids, label);
  }

  async stop(state: StopState): Promise<void> {
    // One offset for both traces: their events then merge in true monotonic order.
    if (state.realtimeOffsetNs !== null) this.backend.useRealtimeOffset(state.realtimeOffsetNs);
    if (!this.started) return;
    try {
      await this.backend.stop();
    } catch (error) {
      state.warnings.push(`stopping the recorder: ${errorMessage(error)}`);
    }
  }

  cleanup(): void {
    this.backend.cleanup();
  }
}

/** The kernel backend's companion recording, when it has one (backend.ts: CompanionRecording). */
export class CompanionRecorder implements Recorder {
  readonly name = 'companion' as const;
  private recording: CompanionRecording | null = null;

  constructor(private readonly backend: RecordingBackend) {}

  async prepare(): Promise<void> {
    this.recording = this.backend.companion();
    await this.recording?.start();
  }

  launch(server: Launch): Launch {
    return server;
  }

  attach(pid: number): void {
    this.recording?.follow(pid);
  }

  follow(pid: number): void {
    this.recording?.follow(pid);
  }

  /** The kernel backend's statedumps cover it. */
  statedump(): void {}

  async stop(state: StopState): Promise<void> {
    try {
      await this.recording?.stop();
    } catch (error) {
      state.warnings.push(`stopping the ${this.name}: ${errorMessage(error)}`);
    }
  }

  cleanup(): void {
    this.recording?.kill();
  }
}

/** --userspace: the LTTng-UST session of the server, its summary kept in metadata.json's userspace. */
export class UserspaceRecorder implements Recorder {
  readonly name = 'userspace' as const;

  constructor(
    private readonly session: UserspaceSession,
    private readonly record: NonNullable<RunMetadata['userspace']>,
  ) {}

  prepare(): Promise<void> {
    return this.session.start();
  }

  launch(server: Launch): Launch {
    return { env: this.session.serverEnvironment(server.env), prefix: server.prefix };
  }

  attach(pid: number): void {
    this.session.follow(pid);
  }

  /** Clients are not started under the LTTng-UST helpers: nothing of theirs to follow. */
  follow(): void {}

  /** LTTng-UST has no statedump of ours: the helpers record as the calls happen. */
  statedump(): void {}

  async stop(state: StopState): Promise<void> {
    try {
      await this.session.stop();
      Object.assign(this.record, this.session.collect());
      const offset = this.record.realtime_offset_ns;
      if (offset) state.realtimeOffsetNs = BigInt(offset);
    } catch (error) {
      this.record.error = `the userspace trace: ${errorMessage(error)}`;
    }
  }

  cleanup(): void {
    this.session.cleanup();
  }
}
