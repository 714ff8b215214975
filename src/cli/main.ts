#!/usr/bin/env node
// The command line: parse, call the library, print, exit. Nothing else.

import { resolve } from 'node:path';
import type { RecordingRequest } from '../session/run.js';
import { runEmergencyActions } from '../util/emergency.js';
import { UserError, errorMessage, isFilesystemError } from '../util/errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { parseCommandLine, type RecordOptions } from './args.js';
import { TerminalReporter } from './progress.js';
import { formatRunSummary } from './run-summary.js';

// Each command loads its own modules when it runs: reading a trace does not
// load the recorders, and recording does not load the reader's exporters.

const EXIT_INTERRUPTED = 130;

async function printList(): Promise<void> {
  const { APPLICATIONS, findProgram } = await import('../apps/catalog.js');
  const { NAMED_EVENT_SETS } = await import('../backends/event-set.js');
  const lines = ['Applications (benchmark-tracer APP [--duration S]):'];
  for (const app of APPLICATIONS) {
    const missing = [...new Set(app.programs.filter((p) => !findProgram(p)).map((p) => p.debianPackage))];
    const state = missing.length === 0 ? 'installed' : `missing: apt-get install ${missing.join(' ')}`;
    lines.push(`  ${app.name.padEnd(11)} ${app.description} [${state}]`);
    lines.push(`  ${''.padEnd(11)} server:   ${app.server}`);
    lines.push(`  ${''.padEnd(11)} workload: ${app.workload}`);
  }
  lines.push(`  ${'custom'.padEnd(11)} any command line: --custom "CMD" [--workload "CMD"] [--ready-cmd "CMD"]`);
  lines.push('', 'Event sets (--events):');
  for (const [name, set] of Object.entries(NAMED_EVENT_SETS)) lines.push(`  ${name.padEnd(11)} ${set.description}`);
  lines.push('  a,b,c       explicit tracepoints: sched:sched_switch, syscalls:*, syscall_entry_read, irq');
  console.log(lines.join('\n'));
}

async function printEvents(): Promise<void> {
  const { availableEventsText } = await import('../backends/kernel-events.js');
  process.stdout.write(availableEventsText());
}

async function record(options: RecordOptions): Promise<number> {
  const { checkInstance, checkPrerequisites, runSession } = await import('../session/run.js');
  const { customInstance } = await import('../apps/custom.js');
  const { DEFAULT_APP_DURATION_SECONDS, PROFILES } = await import('../apps/index.js');
  const { closeLease, openLease, reapDeadRuns } = await import('../util/leftovers.js');
  const profile = options.application ? PROFILES[options.application] : null;
  if (options.application && !profile) throw new Error(`no profile registered for ${options.application}`);
  const durationSeconds = options.durationSeconds ?? (profile ? DEFAULT_APP_DURATION_SECONDS : null);
  const request: RecordingRequest = {
    traceClients: options.traceWorkload,
    durationSeconds,
    outputRoot: resolve(options.runsDir),
    eventSpec: options.events,
    systemWide: options.systemWide,
    userArguments: options.userArguments,
    backend: options.backend,
    perCpuBufferBytes: options.bufferBytes,
    echoBenchmark: !profile,
    userspaceHelpers: options.userspace,
  };
  const reporter = TerminalReporter.forStderr(options.quiet);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      reporter.note(`${signal}: stopping the run and keeping what was recorded (again to abort at once)`);
      controller.abort(signal);
      return;
    }
    runEmergencyActions();
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', runEmergencyActions);

  checkPrerequisites(request);
  // What runs killed before us left (SIGKILL leaves no chance to clean up), then our own lease.
  for (const line of reapDeadRuns()) reporter.note(line);
  openLease();
  process.on('exit', closeLease);
  const instance = profile
    ? await profile.provision({ durationSeconds })
    : customInstance({
        command: options.custom!,
        workload: options.workload,
        readyCommand: options.readyCommand,
        readyTimeoutSeconds: options.readyTimeoutSeconds,
      });
  try {
    checkInstance(instance);
    if (controller.signal.aborted) throw new UserError(`interrupted (${controller.signal.reason}) before the run started`, EXIT_INTERRUPTED);
  } catch (error) {
    instance.cleanup();
    throw error;
  }

  try {
    const { runDir, metadata } = await runSession(instance, request, reporter, controller.signal);
    reporter.finish();
    // What the run says when it ends: run-summary.ts, fed by the run's metadata.
    for (const line of formatRunSummary({ runDir, metadata, quiet: options.quiet, cwd: process.cwd() })) console.log(line);
    if (metadata.error) console.error(`${TOOL_NAME}: ${metadata.error}`);
    if (metadata.interrupted) return EXIT_INTERRUPTED;
    return metadata.success ? 0 : 1;
  } finally {
    reporter.finish();
    closeLease();
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv, (note) => console.error(`${TOOL_NAME}: ${note}`));
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.text);
      return 0;
    case 'version':
      console.log(`${TOOL_NAME} ${TOOL_VERSION}`);
      return 0;
    case 'list':
      await printList();
      return 0;
    case 'list-events':
      await printEvents();
      return 0;
    case 'doctor': {
      const { formatDoctor, runDoctorChecks } = await import('./doctor.js');
      const checks = await runDoctorChecks();
      console.log(formatDoctor(checks));
      const canRecord = checks.filter((c) => c.name === 'root' || c.name === 'tracefs').every((c) => c.ok);
      return canRecord ? 0 : 1;
    }
    case 'record':
      return record(command.options);
    case 'convert':
      // Parquet is a directory of tables, not a stream: query-command.ts writes it.
      if (command.format === 'parquet') return (await import('./query-command.js')).convertToParquetCommand(command.traceDir, command.outputFile!, false);
      return (await import('./read-commands.js')).convertCommand(command.traceDir, command.format, command.outputFile);
    case 'view':
      return (await import('./read-commands.js')).viewCommand(command.traceDir);
    case 'analyze':
      return (await import('./analyze-commands.js')).analyzeCommand(command);
    case 'compare':
      return (await import('./analyze-commands.js')).compareCommand(command.traceA, command.traceB, command.json, command.top, command.outputFile, command.quiet);
    case 'query':
      return (await import('./query-command.js')).queryCommand(command);
    case 'completion':
      process.stdout.write((await import('./completion.js')).bashCompletionScript());
      return 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    runEmergencyActions();
    if (error instanceof UserError) {
      console.error(`${TOOL_NAME}: ${error.message}`);
      process.exitCode = error.exitCode;
    } else if (isFilesystemError(error)) {
      // The machine's answer (disk full, read-only, no permission), not a bug of ours.
      console.error(`${TOOL_NAME}: ${errorMessage(error)}`);
      process.exitCode = 1;
    } else {
      console.error(`${TOOL_NAME}: internal error: ${errorMessage(error)}`);
      if (process.env.BENCHMARK_TRACER_DEBUG) console.error(error);
      process.exitCode = 1;
    }
  },
);
