// One pass over a trace: every analysis sees the events it asked for, after
// the shared state has taken them in; the report is built at the end.
// Memory depends on threads, files, syscall names and connections, not on
// the number of events (latencies go into fixed histograms).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EventClass } from '../ctf/metadata-model.js';
import { TraceFormatError } from '../ctf/metadata-file.js';
import { absoluteNs, findTraceDirs, nsBetween, openMessages, streamFiles, timeOf, type CtfEvent, type CtfTrace, type MessageTime } from '../ctf/trace-reader.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { CpuAnalysis } from './cpu.js';
import { EventClassInfo, readContext } from './event-class-info.js';
import { TraceClock, type Analysis, type Ending, type EventFunction } from './handler.js';
import { IoAnalysis } from './io.js';
import { LostEventsAnalysis } from './lost-events.js';
import { ANALYSIS_FORMAT_VERSION, type AnalysisReport, type ProcessRef, type ThreadRef } from './model.js';
import { NetworkAnalysis } from './network.js';
import { ProcessAnalysis } from './processes.js';
import { EventView, TraceState, type StatePlan } from './state.js';
import { SyscallAnalysis } from './syscalls.js';

export interface AnalyzeOptions {
  /** Called every PROGRESS_EVERY events, and once at the end: events read, and the trace's size in bytes. */
  progress?: (events: number, traceBytes: number) => void;
}

const PROGRESS_EVERY = 1 << 16;
const OPEN_SYSCALLS = new Set(['open', 'openat', 'openat2', 'creat']);

interface ClassPlan {
  info: EventClassInfo;
  state: StatePlan;
  retIndex: number;
  handlers: EventFunction[];
}

/** Our runs keep metadata.json beside kernel/: the application and host it records. */
function runMetadata(roots: string[], traceDirs: string[]): Record<string, unknown> | null {
  const candidates = [...roots, ...traceDirs.map((dir) => dirname(dir))].map((dir) => join(dir, 'metadata.json'));
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
  }
  return null;
}

export async function analyzeTrace(roots: string[], options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const merger = openMessages(roots);
  const traceDirs = roots.flatMap((root) => findTraceDirs(root));
  const traceBytes = traceDirs.flatMap((dir) => streamFiles(dir)).reduce((sum, file) => sum + statSync(file).size, 0);

  const state = new TraceState();
  const syscalls = new SyscallAnalysis(state);
  const cpu = new CpuAnalysis();
  const io = new IoAnalysis(state);
  const network = new NetworkAnalysis(state);
  const processes = new ProcessAnalysis();
  const lost = new LostEventsAnalysis();
  const analyses: Analysis[] = [syscalls, cpu, io, network, processes];

  const plans = new Map<EventClass, ClassPlan>();
  const traceEventNames = new Map<CtfTrace, Set<string>>();
  const notes: string[] = [];
  const cpus = new Set<number>();
  const view = new EventView();
  let origin: MessageTime | null = null;
  let lastNs = 0;
  let events = 0;
  let unknownThreadEvents = 0;
  let backwardsPackets = 0;
  let damage: string | null = null;
  let pointerFilenames = false;

  const bind = (event: CtfEvent): ClassPlan => {
    let names = traceEventNames.get(event.trace);
    if (!names) {
      names = new Set([...event.trace.metadata.streams.values()].flatMap((s) => [...s.events.values()].map((e) => e.name)));
      traceEventNames.set(event.trace, names);
    }
    const info = new EventClassInfo(event.eventClass, event.streamClass.eventContext, names);
    if (info.role === 'entry' && OPEN_SYSCALLS.has(info.syscall!)) {
      const filename = event.eventClass.payload?.members.find((m) => m.name.replace(/^_/, '') === 'filename');
      if (filename && filename.type.kind !== 'string') pointerFilenames = true;
    }
    const handlers = analyses.map((analysis) => analysis.bind(info)).filter((fn): fn is EventFunction => fn !== null);
    const plan: ClassPlan = { info, state: state.plan(info), retIndex: info.field('ret'), handlers };
    plans.set(event.eventClass, plan);
    return plan;
  };

  try {
    for (let message = merger.next(); message; message = merger.next()) {
      if (message.kind === 'discarded') {
        lost.notice(message);
        continue;
      }
      if (message.kind === 'backwards-packet') {
        backwardsPackets++;
        continue;
      }
      const event = message;
      origin ??= timeOf(event);
      const plan = plans.get(event.eventClass) ?? bind(event);
      const info = plan.info;
      info.count++;
      view.reset();
      const now = nsBetween(origin, event);
      view.timeNs = now;
      lastNs = now;
      state.now = now;
      const cpuId = event.cpuId ?? 0;
      view.cpu = cpuId;
      if (!cpus.has(cpuId)) cpus.add(cpuId);
      view.payload = event.payload;
      view.info = info;

      let tid: number;
      if (info.contextTid) tid = Number(readContext(event, info.contextTid));
      else {
        const current = state.currentTid.get(cpuId);
        if (current === undefined) {
          tid = -1 - cpuId;
          unknownThreadEvents++;
        } else tid = current;
      }
      const thread = state.thread(tid);
      if (info.contextPid) {
        const pid = Number(readContext(event, info.contextPid));
        if (thread.pid !== pid && tid > 0) state.setThreadPid(thread, pid);
      }
      if (thread.name === '' && info.contextProcname) {
        const name = readContext(event, info.contextProcname);
        if (typeof name === 'string') state.setThreadName(thread, name);
      }
      view.tid = tid;
      view.thread = thread;

      if (info.role === 'entry') state.enterSyscall(view, plan.state);
      else if (info.role === 'exit') state.exitSyscall(view, plan.state, plan.retIndex);
      else plan.state.action?.(view, state);
      const handlers = plan.handlers;
      for (let i = 0; i < handlers.length; i++) handlers[i]!(view);

      if (++events % PROGRESS_EVERY === 0 && options.progress) {
        options.progress(events, traceBytes);
        await yieldToEventLoop();
      }
    }
  } catch (error) {
    if (!(error instanceof TraceFormatError)) throw error;
    damage = error.message;
  } finally {
    merger.close();
  }
  options.progress?.(events, traceBytes);

  state.releaseAll();
  state.countUnmatchedEntries();
  const originNs = origin ? absoluteNs(origin) : null;
  const clock = new TraceClock(originNs ?? 0n);
  const threadRef = (tid: number): ThreadRef => {
    const thread = state.threads.get(tid);
    if (tid < 0) return { tid, pid: null, name: `(unknown thread on CPU ${-1 - tid})` };
    if (tid === 0) return { tid, pid: 0, name: 'swapper' };
    return { tid, pid: thread?.pid ?? null, name: thread?.name || '?' };
  };
  const processRef = (pid: number): ProcessRef => {
    const main = state.threads.get(pid);
    const process = state.processes.get(pid);
    if (pid < 0) return { pid, name: `(unknown thread on CPU ${-1 - pid})` };
    return { pid, name: (main?.pid === pid || main?.pid === null ? main?.name : '') || process?.names[0] || '?' };
  };
  const ending: Ending = { state, endNs: lastNs, durationNs: lastNs, clock, threadRef, processRef };

  const eventCounts: Record<string, number> = {};
  for (const plan of plans.values()) eventCounts[plan.info.name] = (eventCounts[plan.info.name] ?? 0) + plan.info.count;
  const has = (name: string) => (eventCounts[name] ?? 0) > 0;
  const syscallsResult = syscalls.finish(ending);
  const cpuResult = cpu.finish(ending);
  const ioResult = io.finish(ending);
  const networkResult = network.finish(ending);

  if (damage) notes.push(`damaged trace: ${damage}; the results cover the events read before it`);
  if (events === 0) notes.push('the trace has no events');
  const exits = [...plans.values()].some((p) => p.info.role === 'exit' && p.info.count > 0);
  if (syscallsResult.total === 0) notes.push('no syscall events: no syscall, I/O or network results');
  else if (!exits) notes.push('no syscall exit events: no latencies, errors or I/O bytes');
  if (!has('sched_switch')) notes.push('no sched_switch events: no CPU time, timeline or run-queue latency');
  else if (!cpu.wakeupSource) notes.push('no sched_waking or sched_wakeup events: no run-queue latency');
  if (unknownThreadEvents > 0 && has('sched_switch')) {
    notes.push(`${unknownThreadEvents} events came before the first sched_switch of their CPU in a trace without a tid context: they count for an unknown thread of that CPU`);
  }
  if (pointerFilenames) {
    notes.push('open/openat record the filename as a user pointer in this trace: file paths come only from statedumps (lttng_statedump_file_descriptor)');
  }
  if (ioResult.fdOperations > 0 && ioResult.resolvedShare < 1) {
    notes.push(
      `${ioResult.fdOperations - ioResult.fdOperationsResolved} of ${ioResult.fdOperations} I/O operations were on fds of unknown files ` +
        '(opened before the trace and in no statedump, or opened by a path the trace does not record)',
    );
  }
  const withoutPeer = networkResult.connections.filter((c) => c.peer === null).length;
  if (withoutPeer > 0) notes.push(
      `${withoutPeer} of ${networkResult.connections.length} connections have no peer address ` +
        '(unix sockets, or the trace records no sockaddr and no statedump named the socket)',
    );
  if (backwardsPackets > 0) notes.push(`${backwardsPackets} packets begin before the previous packet of their stream ended; read anyway`);
  if (syscallsResult.unmatchedEntries + syscallsResult.unmatchedExits > 0) {
    notes.push(`${syscallsResult.unmatchedEntries} syscall entries without exit (in flight at the end, or lost) and ${syscallsResult.unmatchedExits} exits without entry (began before the trace) have no latency`);
  }

  const metadata = runMetadata(roots, traceDirs);
  const scope = metadata?.scope as { mode?: string } | undefined;
  if (scope?.mode === 'process-tree' && has('sched_switch')) {
    notes.push(
      'the trace follows a process tree: a context switch is recorded only when a traced thread is on one side, ' +
        'so CPU time of processes outside the tree (and idle time) is approximate; that of traced threads is exact',
    );
  }
  const firstTrace = traceDirs.length > 0 ? [...traceEventNames.keys()][0] : undefined;
  const env = firstTrace?.metadata.env;
  const envText = (key: string) => {
    const value = env?.get(key);
    return value === undefined ? null : String(value);
  };
  const host = metadata?.host as { hostname?: string } | undefined;
  const backend = metadata?.backend as { name?: string } | undefined;
  const tracerName = envText('tracer_name');
  const tracerVersion = [envText('tracer_major'), envText('tracer_minor'), envText('tracer_patchlevel')].filter((v) => v !== null).join('.');

  return {
    formatVersion: ANALYSIS_FORMAT_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    trace: {
      path: roots.map((root) => resolve(root)).join(', '),
      application: typeof metadata?.application === 'string' ? metadata.application : null,
      hostname: host?.hostname ?? envText('hostname'),
      tracer: backend?.name ?? (tracerName ? `${tracerName} ${tracerVersion}`.trim() : null),
      events,
      firstNs: originNs === null ? null : originNs.toString(),
      lastNs: origin === null ? null : clock.absolute(lastNs),
      durationNs: lastNs,
      cpus: [...cpus].sort((a, b) => a - b),
      eventCounts,
      damage,
    },
    syscalls: syscallsResult,
    cpu: cpuResult,
    io: ioResult,
    network: networkResult,
    processes: processes.finish(ending),
    lost: lost.finish(ending),
    notes,
  };
}


