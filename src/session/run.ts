// One run, start to finish: backend, traced command, workload, trace files,
// metadata. Every step that sets something up registers its undo before it
// can fail, and the finally block undoes them all; metadata.json is written
// whatever happened.

import { readFileSync } from 'node:fs';
import { hostname, release, version, cpus } from 'node:os';
import { join } from 'node:path';
import type { LiveCounters, RecordingBackend, TraceWriteResult } from '../backends/backend.js';
import { parseAvailableEvents, resolveEventSet, tracepointId } from '../backends/event-set.js';
import { FtraceBackend } from '../backends/ftrace/recorder.js';
import { ensureTracefs } from '../backends/ftrace/tracefs.js';
import { selectBackend, type BackendChoice } from '../backends/select.js';
import { writeTextWithBabeltrace } from '../export/babeltrace-text.js';
import { UserError, errorMessage } from '../util/errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { createRunDir, ensureWritableRoot, runTimestamp, updateLatestLink } from './output-dir.js';
import { writeMetadata, type RunMetadata } from './metadata.js';
import { commandSucceeds, hasListeningSocket, waitFor } from './readiness.js';
import { GatedProcess, sleep, type ExitStatus } from './target.js';
import { checkCommandExists } from './command-check.js';
import { onEmergency } from './emergency.js';

export interface RunRequest {
  application: string;
  description: string;
  /** The traced command (a shell command line). */
  command: string;
  /** A client command run once the traced command is ready. */
  workload: string | null;
  traceWorkload: boolean;
  /** A shell command that succeeds once the traced command is ready; default: it listens on a socket. */
  readyCommand: string | null;
  readyTimeoutSeconds: number;
  durationSeconds: number | null;
  outputRoot: string;
  eventSpec: string;
  systemWide: boolean;
  backend: BackendChoice;
}

export type RunPhase = 'preparing' | 'recording' | 'waiting for readiness' | 'workload' | 'stopping' | 'writing CTF' | 'writing text';

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

export async function runSession(request: RunRequest, reporter: RunReporter, signal: AbortSignal): Promise<RunResult> {
  if (process.getuid?.() !== 0) throw new UserError('recording a kernel trace needs root (tracefs); run it with sudo');
  checkCommandExists(request.command);
  if (request.workload) checkCommandExists(request.workload);
  ensureWritableRoot(request.outputRoot);

  const choice = await selectBackend(request.backend);
  reporter.note(`backend: ${choice.name} (${choice.reason})`);
  const tracefs = ensureTracefs();
  const available = parseAvailableEvents(readFileSync(join(tracefs, 'available_events'), 'utf8'));
  const { set: events, skipped } = resolveEventSet(request.eventSpec, available);

  const started = new Date();
  const { dir: runDir, dirName } = createRunDir(request.outputRoot, request.application, started);
  const metadata = initialMetadata(request, dirName, started);
  metadata.backend = { name: choice.name, reason: choice.reason, details: {} };
  metadata.events = { spec: request.eventSpec, tracepoints: events.map(tracepointId), skipped_not_in_kernel: skipped };

  const backend: RecordingBackend = new FtraceBackend({
    events,
    systemWide: request.systemWide,
    durationSeconds: request.durationSeconds,
    workDir: runDir,
  });
  metadata.backend.details = backend.details;
  let target: GatedProcess | null = null;
  let workload: GatedProcess | null = null;
  let recorded = false;
  const startedAt = performance.now();
  const forgetEmergency = onEmergency(() => {
    workload?.killNow();
    target?.killNow();
    backend.cleanup();
    metadata.interrupted ??= 'aborted at once (second signal): the raw capture is kept in ftrace-capture/, not converted';
    metadata.end_time = new Date().toISOString();
    writeMetadata(runDir, metadata);
  });

  try {
    reporter.phase('preparing');
    await backend.prepare();
    target = await GatedProcess.spawn(request.command);
    metadata.scope.root_pids = [target.pid];
    backend.follow(target.pid);
    backend.start();
    recorded = true;
    backend.statedump(request.systemWide ? null : [target.pid]);
    target.release();
    reporter.phase('recording', () => backend.counters());

    const deadline = request.durationSeconds === null ? null : Date.now() + request.durationSeconds * 1000;
    let targetStatus: ExitStatus | null = null;
    void target.exited.then((status) => (targetStatus = status));

    if (request.workload) {
      reporter.phase('waiting for readiness', () => backend.counters());
      const tree = target;
      const ready = request.readyCommand;
      await waitFor(
        ready ? `ready check "${ready}"` : 'the traced command to listen on a socket',
        () => (ready ? commandSucceeds(ready) : hasListeningSocket(tree.livePids())),
        {
          timeoutMs: request.readyTimeoutSeconds * 1000,
          signal,
          givesUp: () => (targetStatus ? `the traced command exited (${describeExit(targetStatus)}) before it was ready` : null),
        },
      );
      reporter.phase('workload', () => backend.counters());
      workload = await GatedProcess.spawn(request.workload);
      if (request.traceWorkload) backend.follow(workload.pid);
      workload.release();
      metadata.test_commands.push(request.workload);
    }

    // The run ends when the workload (or, without one, the command) ends,
    // when --duration is over, or on Ctrl-C / SIGTERM.
    const ending = workload ?? target;
    const reason = await Promise.race([
      ending.exited.then(() => 'finished' as const),
      ...(workload ? [target.exited.then(() => 'target exited' as const)] : []),
      ...(deadline === null ? [] : [sleep(Math.max(0, deadline - Date.now())).then(() => 'duration' as const)]),
      abortPromise(signal).then(() => 'interrupted' as const),
    ]);
    reporter.phase('stopping', () => backend.counters());
    if (workload) {
      const status = await workload.terminate(STOP_GRACE_MS);
      metadata.commands.push({ command: request.workload!, return_code: status.code, signal: status.signal, traced: request.traceWorkload });
      if (reason === 'finished' && status.code !== 0) {
        metadata.error = `workload exited with ${describeExit(status)}`;
      }
    }
    if (reason === 'target exited' && !metadata.error) {
      metadata.error = `the traced command exited (${describeExit(await target.exited)}) before the workload finished`;
    }
    const status = await target.terminate(STOP_GRACE_MS);
    metadata.return_code = status.code;
    metadata.commands.unshift({ command: request.command, return_code: status.code, signal: status.signal, traced: true });
    if (reason === 'finished' && !workload) {
      if (status.code === 127) metadata.error = `command not found: ${request.command}`;
      else if (status.code !== 0) metadata.error = `the traced command exited with ${describeExit(status)}`;
    }
    if (reason === 'interrupted') metadata.interrupted = signal.reason ? String(signal.reason) : 'interrupted';
  } catch (error) {
    metadata.error = errorMessage(error);
    if (signal.aborted) metadata.interrupted = String(signal.reason ?? 'interrupted');
  } finally {
    workload?.killNow();
    if (target && !target.hasExited) await target.terminate(STOP_GRACE_MS).catch(() => target?.killNow());
    metadata.execution_time = round((performance.now() - startedAt) / 1000);
    metadata.end_time = new Date().toISOString();
    if (recorded) {
      try {
        await backend.stop();
      } catch (error) {
        metadata.warnings.push(`stopping the recorder: ${errorMessage(error)}`);
      }
    }
    backend.cleanup();
    forgetEmergency();
  }

  if (recorded) {
    try {
      let converted: LiveCounters = { events: 0, bytes: 0, lost: 0 };
      reporter.phase('writing CTF', () => converted);
      const written = await backend.writeTrace(join(runDir, 'kernel'), traceEnvironment(), (p) => {
        converted = { ...p, lost: 0 };
      });
      metadata.trace = traceSummary(written);
      metadata.clock.realtime_offset_ns = (backend.details.realtime_offset_ns as string | undefined) ?? null;
      const lost = metadata.trace.events_lost_total;
      if (lost > 0) reporter.warn(`${lost} events were lost (per CPU: ${JSON.stringify(written.lostPerCpu)})`);
      reporter.phase('writing text');
      const text = await writeTextWithBabeltrace(join(runDir, 'kernel'), join(runDir, 'trace_output.txt'));
      metadata.text = { file: text.producedBy ? 'trace_output.txt' : null, produced_by: text.producedBy, note: text.note };
      if (!text.producedBy && text.note) reporter.warn(text.note);
    } catch (error) {
      metadata.error ??= `writing the trace: ${errorMessage(error)}`;
    }
  }

  metadata.success = metadata.error === null && metadata.interrupted === null;
  writeMetadata(runDir, metadata);
  updateLatestLink(request.outputRoot, dirName);
  return { runDir, metadata };
}

function initialMetadata(request: RunRequest, dirName: string, started: Date): RunMetadata {
  return {
    application: request.application,
    session_name: dirName,
    timestamp: runTimestamp(started),
    command: request.command,
    description: request.description,
    trace_duration: request.durationSeconds,
    start_time: started.toISOString(),
    end_time: null,
    setup_commands: [],
    test_commands: [],
    success: false,
    execution_time: null,
    return_code: null,
    error: null,
    interrupted: null,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    host: { hostname: hostname(), kernel_release: release(), kernel_version: version(), cpu_count: cpus().length },
    backend: null,
    clock: { name: 'monotonic', description: 'CLOCK_MONOTONIC, as LTTng; offset in the CTF metadata gives wall-clock time', realtime_offset_ns: null },
    events: null,
    scope: { mode: request.systemWide ? 'system-wide' : 'process-tree', root_pids: [] },
    commands: [],
    trace: null,
    text: { file: null, produced_by: null, note: null },
    warnings: [],
  };
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
    first_timestamp_ns: written.firstTimestampNs,
    last_timestamp_ns: written.lastTimestampNs,
  };
}

function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
