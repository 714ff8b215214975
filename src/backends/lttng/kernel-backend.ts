// The LTTng kernel backend, for machines where lttng-modules loads: a
// session of its own writing CTF straight to disk, the run's event set as
// LTTng events and syscalls, and the followed process tree kept by a filter
// on the run's own UTS namespace. LTTng's process trackers do not follow
// forks (a child is unrecorded until someone tracks it), but a namespace is
// inherited by every fork inside the kernel, survives exec and setuid, and
// lttng-modules filters on it (`$ctx.uts_ns`): children are recorded from
// their first syscall. A new UTS namespace starts with the host's hostname,
// so the programs see nothing different.

import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memAvailableBytes } from '../../util/procfs.js';
import type { BackendRecord, LttngKernelDetails } from '../backend-details.js';
import type { BackendOptions, LiveCounters, RecordingBackend, TraceWriteResult } from '../backend.js';
import { parseAvailableEvents } from '../event-set.js';
import { ensureTracefs } from '../ftrace/tracefs.js';
import { perCpuBufferBytes } from '../ftrace/recorder.js';
import { LttngClient, LttngCommandError, NO_ANSWER, parseDiscardedEvents } from './lttng-cli.js';
import {
  KERNEL_CHANNEL,
  KERNEL_CONTEXTS,
  kernelChannelGeometry,
  kernelSessionPlan,
  kernelStopPlan,
  BOTH_SIDES_EVENTS,
  scopeFilter,
  startCommand,
  statedumpCommand,
} from './kernel-plan.js';
import { summarizeTrace } from './trace-summary.js';
import { NamespaceHolder } from '../../util/namespace-holder.js';
import { acquireSessiond, killSessiondNow, releaseSessiond, type SessiondInfo } from './sessiond.js';


/** True when the set holds every syscall tracepoint this kernel offers. */
function coversAllSyscalls(options: BackendOptions): boolean {
  const tracefs = ensureTracefs();
  const available = parseAvailableEvents(readFileSync(join(tracefs, 'available_events'), 'utf8')).filter((t) => t.system === 'syscalls');
  const chosen = new Set(options.events.filter((t) => t.system === 'syscalls').map((t) => t.name));
  return available.length > 0 && available.every((t) => chosen.has(t.name));
}

function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
    }
  } catch {
    // Not written yet.
  }
  return total;
}

export class LttngKernelBackend implements RecordingBackend {
  readonly name = 'lttng' as const;
  private readonly session = `benchmark-tracer-${process.pid}-${Date.now().toString(36)}`;
  private readonly details: LttngKernelDetails = { session: this.session };
  private readonly home = mkdtempSync(join(tmpdir(), 'bt-lttng-home-'));
  private readonly client = new LttngClient(this.home);
  private readonly outputDir: string;
  private sessiond: SessiondInfo | null = null;
  private sessiondReleased = false;
  private created = false;
  private started = false;
  private scope: NamespaceHolder | null = null;
  private discarded: Record<string, number> = {};

  constructor(private readonly options: BackendOptions) {
    this.outputDir = join(options.workDir, '.lttng-kernel');
  }

  describe(reason: string): BackendRecord {
    return { name: this.name, reason, details: this.details };
  }

  async prepare(): Promise<void> {
    this.sessiond = await acquireSessiond(true);
    this.details.sessiond = { pid: this.sessiond.pid, started_by_run: this.sessiond.startedByRun, started_by_benchmark_tracer: this.sessiond.ours };
    const exactBufferSize = this.options.perCpuBufferBytes !== null;
    const perCpu = this.options.perCpuBufferBytes ?? perCpuBufferBytes(this.options.durationSeconds, cpus().length, memAvailableBytes());
    const geometry = kernelChannelGeometry(perCpu, exactBufferSize);
    if (!this.options.systemWide) this.scope = await NamespaceHolder.create('uts', 'the LTTng kernel backend starts the traced tree in a namespace of its own with it');
    const filter = this.scope ? scopeFilter(this.scope.inode, this.scope.holderPid) : null;
    Object.assign(this.details, {
      channel: KERNEL_CHANNEL,
      subbuffer_bytes: geometry.subbufferBytes,
      subbuffer_count: geometry.subbufferCount,
      contexts: KERNEL_CONTEXTS,
      scope: this.scope
        ? {
            kind: 'the traced tree in a UTS namespace of its own, followed through every fork by the kernel',
            filter,
            unfiltered_events: [...BOTH_SIDES_EVENTS, 'lttng_statedump_*'],
          }
        : { kind: 'every process' },
    });
    this.created = true;
    const plan = kernelSessionPlan({
      session: this.session,
      outputDir: this.outputDir,
      events: this.options.events,
      allSyscalls: coversAllSyscalls(this.options),
      perCpuBufferBytes: perCpu,
      exactBufferSize,
      scopeFilter: filter,
    });
    try {
      await this.client.runPlan(plan);
    } catch (error) {
      // A daemon without a kernel tracer sometimes drops a kernel command's
      // connection instead of answering; `lttng list -k` then says why.
      if (error instanceof LttngCommandError && error.lttngMessage === NO_ANSWER) {
        const why = await this.client.run(['list', '-k']).then(
          () => null,
          (listError: unknown) => (listError instanceof LttngCommandError ? listError.lttngMessage : null),
        );
        if (why) throw new LttngCommandError(error.args, `${NO_ANSWER}; lttng list -k: ${why}`);
      }
      throw error;
    }
  }

  start(): void {
    this.client.runSync(startCommand(this.session));
    this.started = true;
  }

  /** lttng's consumer daemon writes the trace and copes with a full disk itself (it discards). */
  onFailure(): void {}

  launchPrefix(): string[] {
    return this.scope?.launchPrefix() ?? [];
  }

  /** The namespace is the scope: a followed process must have been started in it (nsenter may still be entering). */
  follow(pid: number): void {
    if (this.scope && !this.scope.waitUntilInside(pid)) {
      throw new Error(`internal: pid ${pid} is not in the run's UTS namespace (not started under launchPrefix()?), so LTTng would not record it`);
    }
  }

  /** LTTng's kernel tracer takes its own statedump when the session starts; later ones are regenerated. */
  statedump(_pids: number[] | null, label: string): void {
    if (!this.started || label === 'start') return;
    try {
      this.client.runSync(statedumpCommand(this.session));
    } catch (error) {
      // A missing dump only leaves fds unnamed: say so, keep recording.
      this.details.statedump_error = error instanceof Error ? error.message : String(error);
    }
  }

  /** LTTng measures its own clock offset; its trace keeps it. */
  useRealtimeOffset(): void {}

  counters(): LiveCounters {
    return { events: 0, bytes: directoryBytes(this.outputDir), lost: 0 };
  }

  /** lttng-modules copies paths and socket addresses itself. */
  companion(): null {
    return null;
  }

  async stop(): Promise<void> {
    try {
      if (this.created && this.started) {
        const [stop, list] = kernelStopPlan(this.session);
        await this.client.run(stop!);
        this.discarded = parseDiscardedEvents(await this.client.run(list!));
        this.details.discarded_events = this.discarded;
      }
    } finally {
      // After the stop: the holder's end is filtered out, but not recording it at all is cleaner.
      this.scope?.close();
      if (this.created) await this.client.destroy(this.session);
      this.created = false;
      await this.releaseDaemon();
    }
  }

  /** lttng wrote CTF already: move it to kernelDir and count what is in it. */
  async writeTrace(kernelDir: string): Promise<TraceWriteResult> {
    renameSync(join(this.outputDir, 'kernel'), kernelDir);
    rmSync(this.outputDir, { recursive: true, force: true });
    const { eventsTotal, eventCounts, lostPerCpu, firstTimestampNs, lastTimestampNs } = summarizeTrace([kernelDir]);
    return {
      eventsTotal,
      eventCounts,
      lostPerCpu,
      bytesWritten: directoryBytes(kernelDir),
      firstTimestampNs,
      lastTimestampNs,
      skippedRecords: 0,
    };
  }

  cleanup(): void {
    this.scope?.close();
    if (this.created) this.client.destroyNow(this.session);
    this.created = false;
    if (this.sessiond && !this.sessiondReleased) killSessiondNow(this.sessiond);
    this.sessiondReleased = true;
    rmSync(this.home, { recursive: true, force: true });
  }

  private async releaseDaemon(): Promise<void> {
    if (this.sessiond && !this.sessiondReleased) await releaseSessiond(this.sessiond);
    this.sessiondReleased = true;
  }
}
