// One run, start to finish, as named phases (RUN_PHASES) over a list of
// recorders (recorders.ts):
//   prepare   the recorders set up (before the server exists)
//   launch    the server started at its gate under what the recorders need,
//             handed to them, released
//   ready     its readiness probe, then the smoke steps
//   workload  the benchmark (or, without clients, the server running) until it
//             ends, --duration is over, or a signal
//   stop      the stop command, the server's process group, the recorders
//   write     the CTF trace, then its text
// Every step that sets something up has its undo in the finally block and in
// the emergency list; metadata.json is written whatever happened, and says
// how long each phase took.

import { hostname, release, version, cpus } from 'node:os';
import { join } from 'node:path';
import type { AppInstance, ClientStep } from '../apps/profile.js';
import type { LiveCounters, TraceWriteResult } from '../backends/backend.js';
import { availableTracepoints } from '../backends/kernel-events.js';
import { resolveEventSet, tracepointId, type Tracepoint } from '../backends/event-set.js';
import { createBackend, selectBackend, type BackendChoice } from '../backends/select.js';
import { checkUserspacePrerequisites, UserspaceSession, type UstHelper } from '../backends/lttng/userspace.js';
import { writeTraceText } from '../export/trace-text.js';
import { METADATA_FORMAT_VERSION, writeMetadata, type CommandRecord, type PhaseRecord, type RunMetadata, type RunPhase } from '../metadata/run-metadata.js';
import { onEmergency } from '../util/emergency.js';
import { UserError, errorMessage } from '../util/errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { checkCommandExists } from './command-check.js';
import { createRunDir, ensureWritableRoot, runTimestamp, updateLatestLink } from './output-dir.js';
import { commandSucceeds, hasListeningSocket, waitFor } from './readiness.js';
import { CompanionRecorder, KernelRecorder, UserspaceRecorder, type Recorder, type StopState } from './recorders.js';
import { deadlineReached, GatedProcess, type ExitStatus } from './target.js';

export type { RunPhase } from '../metadata/run-metadata.js';

export interface RecordingRequest {
  /** Trace the client steps (smoke and benchmark) too. */
  traceClients: boolean;
  durationSeconds: number | null;
  outputRoot: string;
  eventSpec: string;
  systemWide: boolean;
  /** Copy what syscall pointer arguments point to (paths, socket addresses) into the trace. */
  userArguments: boolean;
  backend: BackendChoice;
  /** Per-CPU buffer bytes, or null for the backend's own sizing. */
  perCpuBufferBytes: number | null;
  /** Echo the benchmark's output to our stdout. */
  echoBenchmark: boolean;
  /** --userspace: LTTng-UST helpers preloaded into the server, or null for no userspace trace. */
  userspaceHelpers: UstHelper[] | null;
}

/** How the library talks to whoever runs it; the CLI prints, tests collect. `step` names a part of a phase (write: CTF, text). */
export interface RunReporter {
  phase(phase: RunPhase, counters?: () => LiveCounters, step?: string): void;
  note(message: string): void;
  warn(message: string): void;
}

export interface RunResult {
  runDir: string;
  metadata: RunMetadata;
}

const STOP_GRACE_MS = 5000;
const UNFINISHED = 'the run did not finish: the tool was killed (SIGKILL, a crash) or could not write here before the end; the trace may be partial';
const OUTPUT_TAIL = 2000;

/** Checks that need neither root nor a run directory: bad input fails here, before anything is set up. */
export function checkInstance(instance: AppInstance): void {
  checkCommandExists(instance.server.command);
  for (const step of [...instance.smoke, ...(instance.benchmark ? [instance.benchmark] : [])]) checkCommandExists(step.command);
}

export async function runSession(instance: AppInstance, request: RecordingRequest, caller: RunReporter, signal: AbortSignal): Promise<RunResult> {
  const started = new Date();
  let setup: Setup;
  try {
    setup = await decide(instance, request, caller, started);
  } catch (error) {
    instance.cleanup();
    throw error;
  }
  const run = new Run(instance, request, caller, signal, setup, started);
  await run.record();
  await run.write();
  return run.finish();
}

/** What is decided before anything is set up: bad input (an unknown event, an unusable backend) fails here. */
interface Setup {
  events: Tracepoint[];
  skipped: string[];
  choice: Awaited<ReturnType<typeof selectBackend>>;
  runDir: string;
  dirName: string;
}

async function decide(instance: AppInstance, request: RecordingRequest, reporter: RunReporter, started: Date): Promise<Setup> {
  const { set: events, skipped } = resolveEventSet(request.eventSpec, availableTracepoints());
  const choice = await selectBackend(request.backend);
  if (request.userspaceHelpers) checkUserspacePrerequisites(request.userspaceHelpers);
  reporter.note(`backend: ${choice.name} (${choice.reason})`);
  const { dir: runDir, dirName } = createRunDir(request.outputRoot, instance.application, started);
  return { events, skipped, choice, runDir, dirName };
}

class Run {
  readonly metadata: RunMetadata;
  private readonly reporter: RunReporter;
  private readonly phases = new PhaseClock();
  private readonly kernel: KernelRecorder;
  /** In lifecycle order: the kernel first. */
  private readonly recorders: Recorder[];
  private server: GatedProcess | null = null;
  private client: GatedProcess | null = null;
  private serverStatus: ExitStatus | null = null;
  private startedAt = 0;
  /** The run ends early on a signal (then it was interrupted) or when a recorder cannot go on (an error). */
  private readonly stopping: AbortSignal;
  /** One promise for the whole run: a listener per client step would pile up. */
  private readonly interrupted: Promise<'interrupted'>;
  /** The instance's own namespace first, the backend's inside it; the secret only in the clients' environment. */
  private readonly instancePrefix: string[];
  private readonly clientEnv: NodeJS.ProcessEnv;
  private readonly counters: () => LiveCounters;

  constructor(
    private readonly instance: AppInstance,
    private readonly request: RecordingRequest,
    caller: RunReporter,
    private readonly signal: AbortSignal,
    private readonly setup: Setup,
    started: Date,
  ) {
    const phases = this.phases;
    // Methods by hand: the caller may be a class instance, whose methods a spread would not copy.
    this.reporter = {
      phase(phase, counters, step) {
        phases.enter(phase, step);
        caller.phase(phase, counters, step);
      },
      note: (message) => caller.note(message),
      warn: (message) => caller.warn(message),
    };
    const metadata = initialMetadata(instance, request, setup.dirName, started);
    this.metadata = metadata;
    metadata.events = { spec: request.eventSpec, tracepoints: setup.events.map(tracepointId).sort(), skipped_not_in_kernel: setup.skipped };
    const backend = createBackend(setup.choice.name, {
      events: setup.events,
      systemWide: request.systemWide,
      userArguments: request.userArguments,
      durationSeconds: request.durationSeconds,
      workDir: setup.runDir,
      perCpuBufferBytes: request.perCpuBufferBytes,
    });
    metadata.backend = backend.describe(setup.choice.reason);
    // Replaced at the end; a tool killed before then leaves a run that says it did not finish.
    writeMetadata(setup.runDir, { ...metadata, error: UNFINISHED });
    this.kernel = new KernelRecorder(backend, request.systemWide);
    this.recorders = [this.kernel, new CompanionRecorder(backend)];
    if (request.userspaceHelpers) {
      const session = new UserspaceSession(request.userspaceHelpers, setup.runDir, request.durationSeconds, request.systemWide);
      metadata.userspace = { helpers: request.userspaceHelpers, preload: session.preload, session: session.session, error: null };
      this.recorders.push(new UserspaceRecorder(session, metadata.userspace));
    }
    const recorderFailed = new AbortController();
    backend.onFailure((error) => {
      metadata.error ??= error.message;
      recorderFailed.abort(error.message);
    });
    this.stopping = AbortSignal.any([signal, recorderFailed.signal]);
    this.interrupted = abortPromise(this.stopping).then(() => 'interrupted' as const);
    this.instancePrefix = instance.launchPrefix ?? [];
    this.clientEnv = { ...process.env, ...instance.clientEnv };
    this.counters = () => backend.counters();
  }

  private get runDir(): string {
    return this.setup.runDir;
  }

  /** Every phase up to and including stop; whatever happens, what was set up is undone. */
  async record(): Promise<void> {
    const forgetEmergency = onEmergency(() => {
      this.client?.killNow();
      this.server?.killNow();
      for (const recorder of this.recorders) recorder.cleanup();
      this.instance.cleanup();
      this.metadata.interrupted ??= 'aborted at once (second signal): the raw capture is kept in ftrace-capture/, not converted';
      this.metadata.end_time = new Date().toISOString();
      writeMetadata(this.runDir, this.metadata);
    });
    this.startedAt = performance.now();
    try {
      await this.prepare();
      const server = await this.launch();
      const hasClients = this.instance.smoke.length > 0 || this.instance.benchmark !== null;
      if (hasClients) await this.ready(server);
      await this.workload(server, hasClients);
      if (hasClients && this.serverStatus) this.metadata.error ??= `the server exited (${describeExit(this.serverStatus)}) during the run`;
      await this.stopServer(server);
    } catch (error) {
      this.metadata.error ??= errorMessage(error);
    } finally {
      if (this.signal.aborted) this.metadata.interrupted = String(this.signal.reason ?? 'interrupted');
      this.reporter.phase('stop', this.counters);
      (this.client as GatedProcess | null)?.killNow();
      const server = this.server as GatedProcess | null;
      if (server && !server.hasExited) await server.terminate(STOP_GRACE_MS).catch(() => server.killNow());
      this.metadata.execution_time = round((performance.now() - this.startedAt) / 1000);
      this.metadata.end_time = new Date().toISOString();
      await this.stopRecorders();
      for (const recorder of this.recorders) recorder.cleanup();
      this.instance.cleanup();
      forgetEmergency();
    }
  }

  private async prepare(): Promise<void> {
    this.reporter.phase('prepare');
    for (const recorder of this.recorders) await recorder.prepare();
  }

  private async launch(): Promise<GatedProcess> {
    this.reporter.phase('launch', this.counters);
    const serverEnv = this.instance.server.env ?? process.env;
    const launch = this.recorders.reduce((settings, recorder) => recorder.launch(settings), { env: serverEnv, prefix: this.instancePrefix });
    const server = await GatedProcess.spawn(this.instance.server.command, { ...this.instance.server, env: launch.env, prefix: launch.prefix });
    this.server = server;
    this.metadata.scope.root_pids = [server.pid];
    for (const recorder of this.recorders) recorder.attach(server.pid);
    this.statedump([server.pid], 'start');
    server.release();
    void server.exited.then((status) => (this.serverStatus = status));
    return server;
  }

  private statedump(pids: number[], label: string): void {
    for (const recorder of this.recorders) recorder.statedump(pids, label);
  }

  private async ready(server: GatedProcess): Promise<void> {
    this.reporter.phase('ready', this.counters);
    const ready = this.instance.readyCommand;
    await waitFor(
      ready ? `ready check "${ready}"` : 'the server to listen on a socket',
      () => (ready ? commandSucceeds(ready, this.instancePrefix, this.clientEnv) : hasListeningSocket(server.livePids())),
      {
        timeoutMs: this.instance.readyTimeoutSeconds * 1000,
        signal: this.stopping,
        givesUp: () => (this.serverStatus ? `the server exited (${describeExit(this.serverStatus)}) before it was ready` : null),
      },
    );
    this.statedump(server.livePids(), 'ready');
    for (const step of this.instance.smoke) {
      const { record, status, stdout } = await this.runClient(step, 'smoke', null);
      if (this.stopping.aborted) break;
      if (status.code !== 0) throw new Error(`smoke test "${step.label}" failed (${describeExit(status)}): ${firstLine(record.stderr_tail || stdout)}`);
      if (step.expectOutput && !step.expectOutput.test(stdout)) {
        throw new Error(`smoke test "${step.label}" answered ${JSON.stringify(firstLine(stdout))}, expected ${step.expectOutput}`);
      }
    }
  }

  /**
   * The run ends when the benchmark (or, without clients, the server) ends,
   * when --duration is over, or on Ctrl-C / SIGTERM.
   */
  private async workload(server: GatedProcess, hasClients: boolean): Promise<void> {
    if (this.stopping.aborted) return;
    const { request, metadata } = this;
    const deadline = request.durationSeconds === null ? null : Date.now() + request.durationSeconds * 1000;
    const benchmark = this.instance.benchmark;
    if (benchmark) {
      this.reporter.phase('workload', this.counters);
      const figures: Array<Record<string, number>> = [];
      do {
        const { record, status, stdout } = await this.runClient(benchmark, 'benchmark', deadline);
        // An iteration cut at the deadline still printed the tests it finished.
        const parsed = benchmark.parse(stdout);
        if (Object.keys(parsed).length > 0) figures.push(parsed);
        if (record.stopped_at_deadline || this.stopping.aborted) break;
        if (status.code !== 0) throw new Error(`benchmark failed (${describeExit(status)}): ${firstLine(record.stderr_tail || stdout)}`);
        const failure = benchmark.failure?.(parsed);
        if (failure) throw new Error(`benchmark reported failures: ${failure}`);
        if (this.serverStatus) throw new Error(`the server exited (${describeExit(this.serverStatus)}) during the benchmark`);
      } while (benchmark.repeatUntilDeadline && deadline !== null && Date.now() < deadline);
      metadata.benchmark = { command: benchmark.command, iterations: figures.length, figures: averageFigures(figures) };
      if (figures.length === 0 && !this.stopping.aborted && benchmark.label !== 'workload') {
        throw new Error(`the benchmark reported no figures within ${request.durationSeconds} s; give a longer --duration`);
      }
    } else if (!hasClients) {
      // The traced command is the workload.
      this.reporter.phase('workload', this.counters);
      const reason = await Promise.race([server.exited.then(() => 'exited' as const), ...(deadline === null ? [] : [deadlineReached(deadline)]), this.interrupted]);
      if (reason === 'exited') {
        const status = await server.exited;
        if (status.code === 127) metadata.error = `command not found: ${this.instance.server.command}`;
        else if (status.code !== 0) metadata.error = `the traced command exited with ${describeExit(status)}`;
      }
    }
  }

  /** The stop phase's first part: the server's own stop command, then its process group. */
  private async stopServer(server: GatedProcess): Promise<void> {
    this.reporter.phase('stop', this.counters);
    this.statedump(server.livePids(), 'end');
    if (this.instance.stopCommand && !server.hasExited) {
      await this.runClient({ label: 'stop', command: this.instance.stopCommand }, 'stop', Date.now() + STOP_GRACE_MS);
    }
    const status = await server.terminate(STOP_GRACE_MS);
    this.metadata.return_code = status.code;
    this.metadata.commands.unshift({
      label: 'server',
      role: 'server',
      command: this.instance.server.command,
      pid: server.pid,
      return_code: status.code,
      signal: status.signal,
      traced: true,
      seconds: round((performance.now() - this.startedAt) / 1000),
      stopped_at_deadline: false,
      stdout_tail: server.stdout.slice(-OUTPUT_TAIL),
      stderr_tail: server.stderr.slice(-OUTPUT_TAIL),
    });
  }

  /** In reverse order: what a later recorder learns (the userspace clock offset) reaches the ones before it. */
  private async stopRecorders(): Promise<void> {
    const state: StopState = { realtimeOffsetNs: null, warnings: this.metadata.warnings };
    for (const recorder of [...this.recorders].reverse()) await recorder.stop(state);
  }

  /** Runs one client step; returns its record (kept in metadata.json) and its whole stdout. */
  private async runClient(step: ClientStep, role: 'smoke' | 'benchmark' | 'stop', until: number | null): Promise<{ record: CommandRecord; status: ExitStatus; stdout: string }> {
    const { request } = this;
    const began = performance.now();
    const client = await GatedProcess.spawn(step.command, {
      output: 'capture',
      echo: role === 'benchmark' && request.echoBenchmark,
      env: this.clientEnv,
      prefix: [...this.instancePrefix, ...(request.traceClients ? this.kernel.backend.launchPrefix() : [])],
    });
    this.client = client;
    if (request.traceClients) for (const recorder of this.recorders) recorder.follow(client.pid);
    client.release();
    const ended = await Promise.race([
      client.exited.then(() => 'exited' as const),
      // A graceful stop is what an interrupted run needs most: let it finish.
      ...(role === 'stop' ? [] : [this.interrupted]),
      ...(until === null ? [] : [deadlineReached(until)]),
    ]);
    const status = ended === 'exited' ? await client.exited : await client.terminate(STOP_GRACE_MS);
    await client.outputSettled();
    const record: CommandRecord = {
      label: step.label,
      role,
      command: step.command,
      pid: client.pid,
      return_code: status.code,
      signal: status.signal,
      traced: request.traceClients,
      seconds: round((performance.now() - began) / 1000),
      stopped_at_deadline: ended === 'deadline',
      stdout_tail: client.stdout.slice(-OUTPUT_TAIL),
      stderr_tail: client.stderr.slice(-OUTPUT_TAIL),
    };
    this.metadata.commands.push(record);
    this.metadata.test_commands.push(step.command);
    this.client = null;
    return { record, status, stdout: client.stdout };
  }

  /** The write phase: the CTF trace, then its text. A signal that ended the recording is not one that stops the writing: only a later one is. */
  async write(): Promise<void> {
    if (!this.kernel.recorded) return;
    const { metadata, signal } = this;
    const writing = new AbortController();
    if (!signal.aborted) signal.addEventListener('abort', () => writing.abort(signal.reason), { once: true });
    try {
      let converted: LiveCounters = { events: 0, bytes: 0, lost: 0 };
      this.reporter.phase('write', () => converted, 'ctf');
      const written = await this.kernel.backend.writeTrace(join(this.runDir, 'kernel'), traceEnvironment(), (p) => {
        converted = { ...p, lost: 0 };
      });
      metadata.trace = traceSummary(written);
      metadata.clock.realtime_offset_ns = metadata.backend?.name === 'ftrace' ? (metadata.backend.details.realtime_offset_ns ?? null) : null;
      if (written.skippedRecords > 0) {
        metadata.warnings.push(`${written.skippedRecords} recorded records could not be decoded and were left out of the trace`);
      }
      const lost = metadata.trace.events_lost_total;
      if (lost > 0) this.reporter.warn(`${lost} events were lost (per CPU: ${JSON.stringify(written.lostPerCpu)})`);
      const textDirs = [join(this.runDir, 'kernel')];
      const userspace = metadata.userspace;
      if (userspace) {
        if (userspace.ust_dir) textDirs.push(join(this.runDir, userspace.ust_dir));
        else userspace.error ??= 'the userspace session recorded nothing';
        if (userspace.error) metadata.warnings.push(`userspace: ${userspace.error}`);
      }
      // A signal during the writing stops the text, never the CTF: what was recorded is kept whole.
      if (!writing.signal.aborted) this.reporter.phase('write', undefined, 'text');
      const text = writing.signal.aborted
        ? { producedBy: null, note: `not written: ${String(writing.signal.reason)} during the CTF conversion (babeltrace2 kernel/ writes it)` }
        : await writeTraceText(textDirs, join(this.runDir, 'trace_output.txt'), writing.signal);
      metadata.text = { file: text.producedBy ? 'trace_output.txt' : null, produced_by: text.producedBy, note: text.note };
      if (!text.producedBy && text.note) this.reporter.warn(text.note);
    } catch (error) {
      // After a recorder failure, the conversion's own failure is the consequence, not the news.
      if (metadata.error) metadata.warnings.push(`writing the trace: ${errorMessage(error)}`);
      else metadata.error = `writing the trace: ${errorMessage(error)}`;
    }
  }

  /** metadata.json, whole, and the latest link. */
  finish(): RunResult {
    const { metadata } = this;
    if (this.signal.aborted) metadata.interrupted ??= String(this.signal.reason ?? 'interrupted');
    metadata.phases = this.phases.end();
    metadata.success = metadata.error === null && metadata.interrupted === null;
    try {
      writeMetadata(this.runDir, metadata);
      updateLatestLink(this.request.outputRoot, this.setup.dirName);
    } catch (error) {
      // The early metadata.json stays: it says the run did not finish.
      metadata.success = false;
      metadata.error = `${metadata.error ? `${metadata.error}; ` : ''}metadata.json could not be written: ${errorMessage(error)}`;
    }
    return { runDir: this.runDir, metadata };
  }
}

/** Fails with one line before anything is set up. */
export function checkPrerequisites(request: RecordingRequest): void {
  if (process.getuid?.() !== 0) throw new UserError('recording a kernel trace needs root (tracefs); run it with sudo');
  ensureWritableRoot(request.outputRoot);
}

function initialMetadata(instance: AppInstance, request: RecordingRequest, dirName: string, started: Date): RunMetadata {
  return {
    application: instance.application,
    session_name: dirName,
    timestamp: runTimestamp(started),
    command: instance.server.command,
    description: instance.description,
    trace_duration: request.durationSeconds,
    start_time: started.toISOString(),
    end_time: null,
    setup_commands: instance.setupCommands,
    test_commands: [],
    success: false,
    execution_time: null,
    return_code: null,
    error: null,
    format_version: METADATA_FORMAT_VERSION,
    interrupted: null,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    host: { hostname: hostname(), kernel_release: release(), kernel_version: version(), cpu_count: cpus().length },
    app: { version: instance.version, config: instance.config, access: instance.access },
    backend: null,
    clock: {
      name: 'monotonic',
      description: 'CLOCK_MONOTONIC, as LTTng; the CTF clock offset makes readers print wall-clock time',
      realtime_offset_ns: null,
    },
    events: null,
    scope: { mode: request.systemWide ? 'system-wide' : 'process-tree', root_pids: [], clients_traced: request.traceClients },
    commands: [],
    benchmark: null,
    trace: null,
    userspace: null,
    text: { file: null, produced_by: null, note: null },
    phases: [],
    warnings: [],
  };
}

/** How long each phase (and each step of one) took, in the order they came: where a run's time went, the writing after the workload included. */
export class PhaseClock {
  private readonly done: PhaseRecord[] = [];
  private current: { name: RunPhase; began: number; step: { name: string; began: number } | null; steps: NonNullable<PhaseRecord['steps']> } | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  enter(name: RunPhase, step?: string): void {
    if (this.current?.name !== name) {
      this.end();
      this.current = { name, began: this.now(), step: null, steps: [] };
    }
    // Entering a phase again (the stop's clean-up after its first part) continues it.
    if (step !== undefined && this.current.step?.name !== step) {
      this.endStep();
      this.current.step = { name: step, began: this.now() };
    }
  }

  end(): PhaseRecord[] {
    if (this.current) {
      this.endStep();
      const { name, began, steps } = this.current;
      this.done.push({ name, seconds: round((this.now() - began) / 1000), ...(steps.length > 0 ? { steps } : {}) });
    }
    this.current = null;
    return this.done;
  }

  private endStep(): void {
    const step = this.current?.step;
    if (!step) return;
    this.current!.steps.push({ name: step.name, seconds: round((this.now() - step.began) / 1000) });
    this.current!.step = null;
  }
}

function traceEnvironment() {
  return { hostname: hostname(), kernelRelease: release(), kernelVersion: version(), tracerName: TOOL_NAME, tracerVersion: TOOL_VERSION };
}

function traceSummary(written: TraceWriteResult): NonNullable<RunMetadata['trace']> {
  return {
    kernel_dir: 'kernel',
    events_total: written.eventsTotal,
    event_counts: written.eventCounts,
    events_lost_per_cpu: written.lostPerCpu,
    events_lost_total: Object.values(written.lostPerCpu).reduce((a, b) => a + b, 0),
    bytes_written: written.bytesWritten,
    records_skipped: written.skippedRecords,
    first_timestamp_ns: written.firstTimestampNs,
    last_timestamp_ns: written.lastTimestampNs,
  };
}

/** The mean of each figure over the benchmark's iterations (a key missing from some is averaged over those that have it). */
export function averageFigures(runs: Array<Record<string, number>>): Record<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run)) {
      const entry = sums.get(key) ?? { total: 0, n: 0 };
      sums.set(key, { total: entry.total + value, n: entry.n + 1 });
    }
  }
  return Object.fromEntries([...sums].map(([key, { total, n }]) => [key, round(total / n)]));
}

function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

function firstLine(text: string): string {
  return text.trim().split('\n').find(Boolean)?.slice(0, 300) ?? '(no output)';
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
