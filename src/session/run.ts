// One run, start to finish: backend, traced server, client steps, trace
// files, metadata. Every step that sets something up has its undo in the
// finally block and in the emergency list; metadata.json is written whatever
// happened.

import { readFileSync } from 'node:fs';
import { hostname, release, version, cpus } from 'node:os';
import { join } from 'node:path';
import type { AppInstance, ClientStep } from '../apps/profile.js';
import type { LiveCounters, RecordingBackend, TraceWriteResult } from '../backends/backend.js';
import { parseAvailableEvents, resolveEventSet, tracepointId } from '../backends/event-set.js';
import { ensureTracefs } from '../backends/ftrace/tracefs.js';
import { createBackend, selectBackend, type BackendChoice } from '../backends/select.js';
import { checkUserspacePrerequisites, UserspaceSession, type UstHelper } from '../backends/lttng/userspace.js';
import { writeTraceText } from '../export/trace-text.js';
import { UserError, errorMessage } from '../util/errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { checkCommandExists } from './command-check.js';
import { onEmergency } from '../util/emergency.js';
import { createRunDir, ensureWritableRoot, runTimestamp, updateLatestLink } from './output-dir.js';
import { METADATA_FORMAT_VERSION, writeMetadata, type CommandRecord, type RunMetadata } from '../metadata/run-metadata.js';
import { commandSucceeds, hasListeningSocket, waitFor } from './readiness.js';
import { deadlineReached, GatedProcess, type ExitStatus } from './target.js';

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

export type RunPhase =
  | 'preparing'
  | 'recording'
  | 'waiting for readiness'
  | 'smoke test'
  | 'benchmark'
  | 'stopping'
  | 'writing CTF'
  | 'writing text';

/** How the library talks to whoever runs it; the CLI prints, tests collect. */
export interface RunReporter {
  phase(phase: RunPhase, counters?: () => LiveCounters): void;
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

export async function runSession(
  instance: AppInstance,
  request: RecordingRequest,
  caller: RunReporter,
  signal: AbortSignal,
): Promise<RunResult> {
  const phases = new PhaseClock();
  // Methods by hand: the caller may be a class instance, whose methods a spread would not copy.
  const reporter: RunReporter = {
    phase(phase, counters) {
      phases.enter(phase);
      caller.phase(phase, counters);
    },
    note: (message) => caller.note(message),
    warn: (message) => caller.warn(message),
  };
  let runDir: string;
  let dirName: string;
  let choice: Awaited<ReturnType<typeof selectBackend>>;
  let resolved: ReturnType<typeof resolveEventSet>;
  const started = new Date();
  try {
    const tracefs = ensureTracefs();
    const available = parseAvailableEvents(readFileSync(join(tracefs, 'available_events'), 'utf8'));
    resolved = resolveEventSet(request.eventSpec, available);
    choice = await selectBackend(request.backend);
    if (request.userspaceHelpers) checkUserspacePrerequisites(request.userspaceHelpers);
    reporter.note(`backend: ${choice.name} (${choice.reason})`);
    ({ dir: runDir, dirName } = createRunDir(request.outputRoot, instance.application, started));
  } catch (error) {
    instance.cleanup();
    throw error;
  }
  const { set: events, skipped } = resolved;
  const metadata = initialMetadata(instance, request, dirName, started);
  metadata.events = { spec: request.eventSpec, tracepoints: events.map(tracepointId).sort(), skipped_not_in_kernel: skipped };

  const backend: RecordingBackend = createBackend(choice.name, {
    events,
    systemWide: request.systemWide,
    userArguments: request.userArguments,
    durationSeconds: request.durationSeconds,
    workDir: runDir,
    perCpuBufferBytes: request.perCpuBufferBytes,
  });
  metadata.backend = backend.describe(choice.reason);
  // Replaced at the end; a tool killed before then leaves a run that says it did not finish.
  writeMetadata(runDir, { ...metadata, error: UNFINISHED });
  const userspace = request.userspaceHelpers ? new UserspaceSession(request.userspaceHelpers, runDir, request.durationSeconds, request.systemWide) : null;
  if (userspace) metadata.userspace = { helpers: request.userspaceHelpers!, preload: userspace.preload, session: userspace.session, error: null };
  let server: GatedProcess | null = null;
  let client: GatedProcess | null = null;
  let recorded = false;
  const startedAt = performance.now();
  // The run ends early on a signal (then it was interrupted) or when the recorder cannot go on (an error).
  const recorderFailed = new AbortController();
  backend.onFailure((error) => {
    metadata.error ??= error.message;
    recorderFailed.abort(error.message);
  });
  const stopping = AbortSignal.any([signal, recorderFailed.signal]);
  // One promise for the whole run: a listener per client step would pile up.
  const interrupted = abortPromise(stopping).then(() => 'interrupted' as const);
  const forgetEmergency = onEmergency(() => {
    client?.killNow();
    server?.killNow();
    backend.cleanup();
    userspace?.cleanup();
    instance.cleanup();
    metadata.interrupted ??= 'aborted at once (second signal): the raw capture is kept in ftrace-capture/, not converted';
    metadata.end_time = new Date().toISOString();
    writeMetadata(runDir, metadata);
  });

  // The instance's own namespace first, the backend's inside it; the secret only in the clients' environment.
  const instancePrefix = instance.launchPrefix ?? [];
  const clientEnv = { ...process.env, ...instance.clientEnv };

  /** Runs one client step; returns its record (kept in metadata.json) and its whole stdout. */
  const runClient = async (
    step: ClientStep,
    role: 'smoke' | 'benchmark' | 'stop',
    until: number | null,
  ): Promise<{ record: CommandRecord; status: ExitStatus; stdout: string }> => {
    const began = performance.now();
    client = await GatedProcess.spawn(step.command, {
      output: 'capture',
      echo: role === 'benchmark' && request.echoBenchmark,
      env: clientEnv,
      prefix: [...instancePrefix, ...(request.traceClients ? backend.launchPrefix() : [])],
    });
    if (request.traceClients) backend.follow(client.pid);
    client.release();
    const ended = await Promise.race([
      client.exited.then(() => 'exited' as const),
      // A graceful stop is what an interrupted run needs most: let it finish.
      ...(role === 'stop' ? [] : [interrupted]),
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
    metadata.commands.push(record);
    metadata.test_commands.push(step.command);
    const stdout = client.stdout;
    client = null;
    return { record, status, stdout };
  };

  try {
    reporter.phase('preparing');
    await backend.prepare();
    // Before the server exists: LTTng-UST registers with the daemon as the server starts.
    await userspace?.start();
    const serverEnv = instance.server.env ?? process.env;
    server = await GatedProcess.spawn(instance.server.command, {
      ...instance.server,
      env: userspace?.serverEnvironment(serverEnv) ?? serverEnv,
      prefix: [...instancePrefix, ...backend.launchPrefix()],
    });
    metadata.scope.root_pids = [server.pid];
    backend.follow(server.pid);
    backend.start();
    recorded = true;
    // After the kernel's start: the userspace trace (its statedump first) begins inside the kernel one.
    userspace?.follow(server.pid);
    backend.statedump(request.systemWide ? null : [server.pid], 'start');
    server.release();
    const counters = () => backend.counters();
    reporter.phase('recording', counters);

    let serverStatus: ExitStatus | null = null;
    void server.exited.then((status) => (serverStatus = status));
    const hasClients = instance.smoke.length > 0 || instance.benchmark !== null;

    if (hasClients) {
      reporter.phase('waiting for readiness', counters);
      const tree = server;
      const ready = instance.readyCommand;
      await waitFor(
        ready ? `ready check "${ready}"` : 'the server to listen on a socket',
        () => (ready ? commandSucceeds(ready, instancePrefix, clientEnv) : hasListeningSocket(tree.livePids())),
        {
          timeoutMs: instance.readyTimeoutSeconds * 1000,
          signal: stopping,
          givesUp: () => (serverStatus ? `the server exited (${describeExit(serverStatus)}) before it was ready` : null),
        },
      );
      backend.statedump(request.systemWide ? null : tree.livePids(), 'ready');
      for (const step of instance.smoke) {
        reporter.phase('smoke test', counters);
        const { record, status, stdout } = await runClient(step, 'smoke', null);
        if (stopping.aborted) break;
        if (status.code !== 0) throw new Error(`smoke test "${step.label}" failed (${describeExit(status)}): ${firstLine(record.stderr_tail || stdout)}`);
        if (step.expectOutput && !step.expectOutput.test(stdout)) {
          throw new Error(`smoke test "${step.label}" answered ${JSON.stringify(firstLine(stdout))}, expected ${step.expectOutput}`);
        }
      }
    }

    // The run ends when the benchmark (or, without clients, the server) ends,
    // when --duration is over, or on Ctrl-C / SIGTERM.
    const deadline = request.durationSeconds === null ? null : Date.now() + request.durationSeconds * 1000;
    const benchmark = instance.benchmark;
    if (benchmark && !stopping.aborted) {
      reporter.phase('benchmark', counters);
      const figures: Array<Record<string, number>> = [];
      do {
        const { record, status, stdout } = await runClient(benchmark, 'benchmark', deadline);
        // An iteration cut at the deadline still printed the tests it finished.
        const parsed = benchmark.parse(stdout);
        if (Object.keys(parsed).length > 0) figures.push(parsed);
        if (record.stopped_at_deadline || stopping.aborted) break;
        if (status.code !== 0) throw new Error(`benchmark failed (${describeExit(status)}): ${firstLine(record.stderr_tail || stdout)}`);
        const failure = benchmark.failure?.(parsed);
        if (failure) throw new Error(`benchmark reported failures: ${failure}`);
        if (serverStatus) throw new Error(`the server exited (${describeExit(serverStatus)}) during the benchmark`);
      } while (benchmark.repeatUntilDeadline && deadline !== null && Date.now() < deadline);
      metadata.benchmark = { command: benchmark.command, iterations: figures.length, figures: averageFigures(figures) };
      if (figures.length === 0 && !stopping.aborted && benchmark.label !== 'workload') {
        throw new Error(`the benchmark reported no figures within ${request.durationSeconds} s; give a longer --duration`);
      }
    } else if (!hasClients && !stopping.aborted) {
      const reason = await Promise.race([
        server.exited.then(() => 'exited' as const),
        ...(deadline === null ? [] : [deadlineReached(deadline)]),
        interrupted,
      ]);
      if (reason === 'exited') {
        const status = await server.exited;
        if (status.code === 127) metadata.error = `command not found: ${instance.server.command}`;
        else if (status.code !== 0) metadata.error = `the traced command exited with ${describeExit(status)}`;
      }
    }
    if (hasClients && serverStatus) metadata.error ??= `the server exited (${describeExit(serverStatus)}) during the run`;

    reporter.phase('stopping', counters);
    backend.statedump(request.systemWide ? null : server.livePids(), 'end');
    if (instance.stopCommand && !server.hasExited) {
      await runClient({ label: 'stop', command: instance.stopCommand }, 'stop', Date.now() + STOP_GRACE_MS);
    }
    const status = await server.terminate(STOP_GRACE_MS);
    metadata.return_code = status.code;
    metadata.commands.unshift({
      label: 'server',
      role: 'server',
      command: instance.server.command,
      pid: server.pid,
      return_code: status.code,
      signal: status.signal,
      traced: true,
      seconds: round((performance.now() - startedAt) / 1000),
      stopped_at_deadline: false,
      stdout_tail: server.stdout.slice(-OUTPUT_TAIL),
      stderr_tail: server.stderr.slice(-OUTPUT_TAIL),
    });
  } catch (error) {
    metadata.error ??= errorMessage(error);
  } finally {
    if (signal.aborted) metadata.interrupted = String(signal.reason ?? 'interrupted');
    (client as GatedProcess | null)?.killNow();
    if (server && !server.hasExited) await server.terminate(STOP_GRACE_MS).catch(() => server?.killNow());
    metadata.execution_time = round((performance.now() - startedAt) / 1000);
    metadata.end_time = new Date().toISOString();
    if (userspace) {
      try {
        await userspace.stop();
        Object.assign(metadata.userspace!, userspace.collect());
        const offset = metadata.userspace!.realtime_offset_ns;
        // One offset for both traces: their events then merge in true monotonic order.
        if (offset) backend.useRealtimeOffset(BigInt(offset));
      } catch (error) {
        metadata.userspace!.error = `the userspace trace: ${errorMessage(error)}`;
      }
    }
    if (recorded) {
      try {
        await backend.stop();
      } catch (error) {
        metadata.warnings.push(`stopping the recorder: ${errorMessage(error)}`);
      }
    }
    backend.cleanup();
    userspace?.cleanup();
    instance.cleanup();
    forgetEmergency();
  }

  // A signal that ended the recording is not one that stops the writing: only a later one is.
  const writing = new AbortController();
  if (!signal.aborted) signal.addEventListener('abort', () => writing.abort(signal.reason), { once: true });
  if (recorded) {
    try {
      let converted: LiveCounters = { events: 0, bytes: 0, lost: 0 };
      reporter.phase('writing CTF', () => converted);
      const written = await backend.writeTrace(join(runDir, 'kernel'), traceEnvironment(), (p) => {
        converted = { ...p, lost: 0 };
      });
      metadata.trace = traceSummary(written);
      metadata.clock.realtime_offset_ns = metadata.backend.name === 'ftrace' ? (metadata.backend.details.realtime_offset_ns ?? null) : null;
      if (written.skippedRecords > 0) {
        metadata.warnings.push(`${written.skippedRecords} recorded records could not be decoded and were left out of the trace`);
      }
      const lost = metadata.trace.events_lost_total;
      if (lost > 0) reporter.warn(`${lost} events were lost (per CPU: ${JSON.stringify(written.lostPerCpu)})`);
      const textDirs = [join(runDir, 'kernel')];
      if (userspace) {
        if (metadata.userspace!.ust_dir) textDirs.push(join(runDir, metadata.userspace!.ust_dir));
        else metadata.userspace!.error ??= 'the userspace session recorded nothing';
        if (metadata.userspace!.error) metadata.warnings.push(`userspace: ${metadata.userspace!.error}`);
      }
      // A signal during the writing stops the text, never the CTF: what was recorded is kept whole.
      if (!writing.signal.aborted) reporter.phase('writing text');
      const text = writing.signal.aborted
        ? { producedBy: null, note: `not written: ${String(writing.signal.reason)} during the CTF conversion (babeltrace2 kernel/ writes it)` }
        : await writeTraceText(textDirs, join(runDir, 'trace_output.txt'), writing.signal);
      metadata.text = { file: text.producedBy ? 'trace_output.txt' : null, produced_by: text.producedBy, note: text.note };
      if (!text.producedBy && text.note) reporter.warn(text.note);
    } catch (error) {
      // After a recorder failure, the conversion's own failure is the consequence, not the news.
      if (metadata.error) metadata.warnings.push(`writing the trace: ${errorMessage(error)}`);
      else metadata.error = `writing the trace: ${errorMessage(error)}`;
    }
  }

  if (signal.aborted) metadata.interrupted ??= String(signal.reason ?? 'interrupted');
  metadata.phases = phases.end();
  metadata.success = metadata.error === null && metadata.interrupted === null;
  try {
    writeMetadata(runDir, metadata);
    updateLatestLink(request.outputRoot, dirName);
  } catch (error) {
    // The early metadata.json stays: it says the run did not finish.
    metadata.success = false;
    metadata.error = `${metadata.error ? `${metadata.error}; ` : ''}metadata.json could not be written: ${errorMessage(error)}`;
  }
  return { runDir, metadata };
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

/** How long each phase took, in the order they came: where a run's time went, the writing after the workload included. */
class PhaseClock {
  private readonly done: RunMetadata['phases'] = [];
  private current: { name: RunPhase; began: number } | null = null;

  enter(name: RunPhase): void {
    // One entry per phase: each smoke step enters 'smoke test' again.
    if (this.current?.name === name) return;
    this.end();
    this.current = { name, began: performance.now() };
  }

  end(): RunMetadata['phases'] {
    if (this.current) this.done.push({ name: this.current.name, seconds: round((performance.now() - this.current.began) / 1000) });
    this.current = null;
    return this.done;
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
