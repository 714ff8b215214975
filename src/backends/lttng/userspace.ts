// --userspace: an LTTng userspace (UST) session beside the kernel recording.
// The server starts with LTTng-UST's LD_PRELOAD helpers, every UST tracepoint
// is enabled (the helpers' and the application's own), and the trace ends up
// in the run's ust/ directory, on the same monotonic clock as kernel/.

import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { findTraceDirs } from '../../ctf/trace-reader.js';
import { UserError } from '../../util/errors.js';
import { findExecutable } from '../../util/executables.js';
import { LttngClient, parseDiscardedEvents, type LttngCommand } from './lttng-cli.js';
import { acquireSessiond, killSessiondNow, releaseSessiond, type SessiondInfo } from './sessiond.js';
import { summarizeTrace } from './trace-summary.js';
import { TreeTracker } from './tree-tracker.js';
import { UST_HELPERS, type UstHelper } from './ust-helpers.js';

export { DEFAULT_UST_HELPERS, parseUstHelpers, UST_HELPERS, type UstHelper } from './ust-helpers.js';
export const UST_LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];
const UST_CHANNEL = 'benchmark_tracer_ust';
const CONTEXTS = ['vpid', 'vtid', 'procname'];

/** The helpers' paths on this machine; a missing one is a one-line error with the package. */
export function ustHelperPaths(helpers: UstHelper[], libraryDirs = UST_LIBRARY_DIRS): string[] {
  return helpers.map((helper) => {
    const file = UST_HELPERS[helper];
    const path = libraryDirs.map((dir) => join(dir, file)).find((p) => existsSync(p));
    if (!path) throw new UserError(`--userspace ${helper}: ${file} is missing (apt-get install liblttng-ust-dev)`);
    return path;
  });
}

/** Fails in one line, before anything is set up, when --userspace cannot work here. */
export function checkUserspacePrerequisites(helpers: UstHelper[]): void {
  for (const program of ['lttng', 'lttng-sessiond']) {
    if (!findExecutable(program)) throw new UserError(`--userspace needs ${program}, which is missing (apt-get install lttng-tools)`);
  }
  ustHelperPaths(helpers);
}

/** The server's environment: our helpers first, then whatever it preloaded already. */
export function preloadEnvironment(env: NodeJS.ProcessEnv, paths: string[]): NodeJS.ProcessEnv {
  const preload = [...paths, ...(env.LD_PRELOAD ? [env.LD_PRELOAD] : [])].join(':');
  return { ...env, LD_PRELOAD: preload };
}

/** Per-CPU UST buffer: sub-buffers are a power of two; a longer run gets more room. */
export function ustSubbufferBytes(durationSeconds: number | null): number {
  return durationSeconds !== null && durationSeconds <= 10 ? 1 << 20 : 4 << 20;
}

/**
 * The lttng commands that set up and start the userspace session. With
 * `processTree`, no process is tracked until followed (else every UST app on
 * the machine would be recorded).
 */
export function userspacePlan(session: string, outputDir: string, subbufferBytes: number, processTree: boolean): LttngCommand[] {
  return [
    ['create', session, `--output=${outputDir}`],
    ['enable-channel', '-u', '-s', session, UST_CHANNEL, '--subbuf-size', String(subbufferBytes), '--num-subbuf', '8'],
    // -a: the helpers' tracepoints and any the application defines itself.
    ['enable-event', '-u', '-s', session, '-c', UST_CHANNEL, '-a'],
    ['add-context', '-u', '-s', session, '-c', UST_CHANNEL, ...CONTEXTS.flatMap((c) => ['-t', c])],
    ...(processTree ? [['untrack', '-u', '-s', session, '--all', '--vpid']] : []),
    ['start', session],
  ];
}

export function userspaceTrackCommand(session: string, pids: number[]): LttngCommand {
  return ['track', '-u', '-s', session, `--vpid=${pids.join(',')}`];
}

export interface UserspaceSummary {
  helpers: UstHelper[];
  preload: string[];
  session: string;
  sessiond: { pid: number; started_by_run: boolean; started_by_benchmark_tracer: boolean } | null;
  ust_dir: string | null;
  events_total: number;
  event_counts: Record<string, number>;
  discarded_events: Record<string, number>;
  first_timestamp_ns: string | null;
  last_timestamp_ns: string | null;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC as LTTng-UST measured it; the kernel trace takes the same. */
  realtime_offset_ns: string | null;
}

export class UserspaceSession {
  readonly session: string;
  readonly preload: string[];
  private readonly home: string;
  private readonly client: LttngClient;
  private sessiond: SessiondInfo | null = null;
  private sessiondReleased = false;
  private created = false;
  private started = false;
  private discarded: Record<string, number> = {};
  private readonly outputDir: string;
  private readonly tree: TreeTracker;

  constructor(
    private readonly helpers: UstHelper[],
    private readonly runDir: string,
    private readonly durationSeconds: number | null,
    private readonly systemWide: boolean,
  ) {
    this.preload = ustHelperPaths(helpers);
    this.session = `benchmark-tracer-ust-${process.pid}-${Date.now().toString(36)}`;
    this.home = mkdtempSync(join(tmpdir(), 'bt-lttng-home-'));
    this.client = new LttngClient(this.home);
    this.outputDir = join(runDir, '.ust-session');
    this.tree = new TreeTracker(this.client, (pids) => userspaceTrackCommand(this.session, pids));
  }

  serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return preloadEnvironment(env, this.preload);
  }

  async start(): Promise<void> {
    this.sessiond = await acquireSessiond(false);
    this.created = true;
    await this.client.runPlan(userspacePlan(this.session, this.outputDir, ustSubbufferBytes(this.durationSeconds), !this.systemWide));
    this.started = true;
  }

  /** Records this process (the server, held at its gate) and, as they appear, its descendants. */
  follow(pid: number): void {
    if (this.systemWide) return;
    this.tree.addRoot(pid, false);
    this.tree.start();
  }

  /** Stops recording (lttng waits until the buffers are on disk), counts losses, destroys the session. */
  async stop(): Promise<void> {
    this.tree.stop();
    if (!this.created) return this.releaseDaemon();
    try {
      if (this.started) {
        await this.client.run(['stop', this.session]);
        this.discarded = parseDiscardedEvents(await this.client.run(['list', this.session]));
      }
    } finally {
      await this.client.destroy(this.session);
      this.created = false;
      await this.releaseDaemon();
    }
  }

  /** Moves the trace to <run>/ust and counts its events. */
  collect(): UserspaceSummary {
    const ustDir = join(this.runDir, 'ust');
    const traces = existsSync(this.outputDir) ? findTraceDirs(this.outputDir) : [];
    if (traces.length === 1) {
      renameSync(traces[0]!, ustDir);
    } else {
      // Several users (a server that drops root) each get their own buffers: keep them apart.
      for (const trace of traces) {
        const target = join(ustDir, relative(join(this.outputDir, 'ust'), trace).replaceAll('/', '-'));
        mkdirSync(ustDir, { recursive: true });
        renameSync(trace, target);
      }
    }
    rmSync(this.outputDir, { recursive: true, force: true });
    const summary = traces.length > 0 ? summarizeTrace([ustDir]) : null;
    return {
      helpers: this.helpers,
      preload: this.preload,
      session: this.session,
      sessiond: this.sessiond && { pid: this.sessiond.pid, started_by_run: this.sessiond.startedByRun, started_by_benchmark_tracer: this.sessiond.ours },
      ust_dir: traces.length > 0 ? 'ust' : null,
      events_total: summary?.eventsTotal ?? 0,
      event_counts: summary?.eventCounts ?? {},
      discarded_events: this.discarded,
      first_timestamp_ns: summary?.firstTimestampNs ?? null,
      last_timestamp_ns: summary?.lastTimestampNs ?? null,
      realtime_offset_ns: summary?.clockOffsetNs?.toString() ?? null,
    };
  }

  /** Synchronous and idempotent, for the emergency list and the end of the run. */
  cleanup(): void {
    this.tree.stop();
    if (this.created) {
      this.client.destroyNow(this.session);
      this.created = false;
    }
    if (this.sessiond && !this.sessiondReleased) killSessiondNow(this.sessiond);
    rmSync(this.home, { recursive: true, force: true });
  }

  private async releaseDaemon(): Promise<void> {
    if (this.sessiond && !this.sessiondReleased) await releaseSessiond(this.sessiond);
    this.sessiondReleased = true;
  }
}
