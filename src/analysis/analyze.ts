// One pass over a trace: the model (src/model/) takes in each event, then
// every analysis the registry lists sees the events it asked for; the report
// is built at the end. Memory depends on threads, files, syscall names and
// connections, not on the number of events (latencies go into fixed
// histograms).

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { TraceFormatError } from '../ctf/metadata-file.js';
import { absoluteNs, findTraceDirs, nsBetween, openMessages, streamFiles, timeOf, type MessageMerger, type MessageTime } from '../ctf/trace-reader.js';
import { METADATA_FILE, readRunMetadata, type RunMetadata } from '../metadata/run-metadata.js';
import { ModelPass } from '../model/model-pass.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { ANALYSES } from './analyses.js';
import { ANALYSIS_FORMAT_VERSION, type AnalysisReport, type AnalysisResults, type ProcessRef, type ThreadRef } from './model.js';
import { dependencyOrder, TraceClock, type AnalysisHandler, type AnalysisName, type AnyAnalysisModule, type Ending, type EventFunction, type TraceFacts } from './registry.js';

export interface AnalyzeOptions {
  /** Called every PROGRESS_EVERY events, and once at the end: events read, and the trace's size in bytes. */
  progress?: (events: number, traceBytes: number) => void;
}

const PROGRESS_EVERY = 1 << 16;

/**
 * Our runs keep metadata.json beside kernel/: the application and host it
 * records. One that is there but not ours, damaged or newer fails the
 * analysis before any reading (MetadataFormatError), rather than being
 * silently ignored.
 */
function runMetadata(roots: string[], traceDirs: string[]): RunMetadata | null {
  const candidates = [...roots, ...traceDirs.map((dir) => dirname(dir))].map((dir) => join(dir, METADATA_FILE));
  const file = candidates.find((candidate) => existsSync(candidate));
  return file === undefined ? null : readRunMetadata(file);
}

interface ReadState {
  origin: MessageTime | null;
  lastNs: number;
  events: number;
  backwardsPackets: number;
  cpus: Set<number>;
}

/**
 * Reads messages until the next multiple of PROGRESS_EVERY events (true) or
 * the end of the trace (false). A plain function, not the async caller's
 * loop: V8 optimizes a long-running loop only in a function it can enter
 * mid-loop, which an async function is not.
 */
function readBatch(read: ReadState, merger: MessageMerger, pass: ModelPass<EventFunction[]>, handlers: readonly AnalysisHandler<AnalysisName, AnalysisName>[]): boolean {
  const view = pass.view;
  for (let message = merger.next(); message; message = merger.next()) {
    if (message.kind === 'discarded') {
      for (const handler of handlers) handler.discarded?.(message);
      continue;
    }
    if (message.kind === 'backwards-packet') {
      read.backwardsPackets++;
      continue;
    }
    const event = message;
    read.origin ??= timeOf(event);
    const now = nsBetween(read.origin, event);
    read.lastNs = now;
    const cpuId = event.cpuId ?? 0;
    if (!read.cpus.has(cpuId)) read.cpus.add(cpuId);
    const binding = pass.begin(event, now);
    pass.apply(binding);
    const functions = binding.plan;
    for (let i = 0; i < functions.length; i++) functions[i]!(view);
    if (++read.events % PROGRESS_EVERY === 0) return true;
  }
  return false;
}

export async function analyzeTrace(roots: string[], options: AnalyzeOptions = {}, analyses: readonly AnyAnalysisModule[] = ANALYSES): Promise<AnalysisReport> {
  // A cycle or a missing dependency fails before any reading.
  const finalizeOrder = dependencyOrder(analyses);
  const merger = openMessages(roots);
  const traceDirs = roots.flatMap((root) => findTraceDirs(root));
  const traceBytes = traceDirs.flatMap((dir) => streamFiles(dir)).reduce((sum, file) => sum + statSync(file).size, 0);
  const metadata = runMetadata(roots, traceDirs);

  const pass: ModelPass<EventFunction[]> = new ModelPass((info) => handlers.map((handler) => handler.bind(info)).filter((fn): fn is EventFunction => fn !== null));
  const model = pass.tracker;
  const handlers = analyses.map((module) => module.create({ model }));
  const read: ReadState = { origin: null, lastNs: 0, events: 0, backwardsPackets: 0, cpus: new Set() };
  let damage: string | null = null;

  try {
    while (readBatch(read, merger, pass, handlers)) {
      if (options.progress) {
        options.progress(read.events, traceBytes);
        await yieldToEventLoop();
      }
    }
  } catch (error) {
    if (!(error instanceof TraceFormatError)) throw error;
    damage = error.message;
  } finally {
    merger.close();
  }
  const { origin, lastNs, events, backwardsPackets, cpus } = read;
  options.progress?.(events, traceBytes);

  model.releaseAll();
  model.countUnmatchedEntries();
  const originNs = origin ? absoluteNs(origin) : null;
  const clock = new TraceClock(originNs ?? 0n);
  const threadRef = (tid: number): ThreadRef => {
    const thread = model.threads.get(tid);
    if (tid < 0) return { tid, pid: null, name: `(unknown thread on CPU ${-1 - tid})` };
    if (tid === 0) return { tid, pid: 0, name: 'swapper' };
    return { tid, pid: thread?.pid ?? null, name: thread?.name || '?' };
  };
  const processRef = (pid: number): ProcessRef => {
    const main = model.threads.get(pid);
    const process = model.processes.get(pid);
    if (pid < 0) return { pid, name: `(unknown thread on CPU ${-1 - pid})` };
    return { pid, name: (main?.pid === pid || main?.pid === null ? main?.name : '') || process?.names[0] || '?' };
  };
  const ending: Ending = { model, endNs: lastNs, durationNs: lastNs, clock, threadRef, processRef };

  const eventCounts: Record<string, number> = {};
  for (const { info } of pass.classes()) eventCounts[info.name] = (eventCounts[info.name] ?? 0) + info.count;
  const has = (name: string) => (eventCounts[name] ?? 0) > 0;

  // Each analysis finalizes after those it needs, and is given their results only.
  const finalized = new Map<AnalysisName, AnalysisResults[AnalysisName]>();
  for (const module of finalizeOrder) {
    const needs: Partial<AnalysisResults> = {};
    for (const dep of module.deps) Object.assign(needs, { [dep]: finalized.get(dep) });
    finalized.set(module.name, handlers[analyses.indexOf(module)]!.finalize(ending, needs as AnalysisResults));
  }

  const facts: TraceFacts = {
    events,
    has,
    sawSyscallExits: [...pass.classes()].some((c) => c.info.role === 'exit' && c.info.count > 0),
    scopeMode: metadata?.scope.mode ?? null,
  };
  // The trace's own notes, then each analysis's, in the registry's order.
  const notes: string[] = [];
  if (damage) notes.push(`damaged trace: ${damage}; the results cover the events read before it`);
  if (events === 0) notes.push('the trace has no events');
  if (backwardsPackets > 0) notes.push(`${backwardsPackets} packets begin before the previous packet of their stream ended; read anyway`);
  if (pass.unknownThreadEvents > 0 && has('sched_switch')) {
    notes.push(`${pass.unknownThreadEvents} events came before the first sched_switch of their CPU in a trace without a tid context: they count for an unknown thread of that CPU`);
  }
  // The report lists the results in the registry's order.
  const results: Partial<Record<AnalysisName, unknown>> = {};
  analyses.forEach((module, index) => {
    const result = finalized.get(module.name)!;
    results[module.name] = result;
    notes.push(...(handlers[index]!.notes?.(result, facts) ?? []));
  });

  const firstTrace = pass.traces()[0];
  const env = firstTrace?.metadata.env;
  const envText = (key: string) => {
    const value = env?.get(key);
    return value === undefined ? null : String(value);
  };
  const tracerName = envText('tracer_name');
  const tracerVersion = [envText('tracer_major'), envText('tracer_minor'), envText('tracer_patchlevel')].filter((v) => v !== null).join('.');

  return {
    formatVersion: ANALYSIS_FORMAT_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    trace: {
      path: roots.map((root) => resolve(root)).join(', '),
      application: metadata?.application ?? null,
      hostname: metadata?.host.hostname ?? envText('hostname'),
      tracer: metadata?.backend?.name ?? (tracerName ? `${tracerName} ${tracerVersion}`.trim() : null),
      events,
      firstNs: originNs === null ? null : originNs.toString(),
      lastNs: origin === null ? null : clock.absolute(lastNs),
      durationNs: lastNs,
      cpus: [...cpus].sort((a, b) => a - b),
      eventCounts,
      damage,
    },
    ...(results as unknown as AnalysisResults),
    notes,
  };
}
