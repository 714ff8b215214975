// The lttng commands of a kernel recording, as pure functions of the run's
// options: what the LTTng backend issues, testable without lttng-modules.

import { tracepointId, type Tracepoint } from '../event-set.js';
import type { LttngCommand } from './lttng-cli.js';

export const KERNEL_CHANNEL = 'benchmark_tracer_kernel';
/** `-t` names of the kernel domain. The CPU needs none: each stream is one CPU's (packet context cpu_id). */
export const KERNEL_CONTEXTS = ['pid', 'tid', 'ppid', 'procname'];
const SUBBUFFER_COUNT = 8;
const MIN_SUBBUFFER = 256 * 1024;
const MAX_SUBBUFFER = 64 * 1024 * 1024;
const PAGE = 4096;

export interface KernelPlanOptions {
  session: string;
  /** lttng writes the trace to OUTPUT/kernel. */
  outputDir: string;
  events: Tracepoint[];
  /** Every syscall this kernel has is in the set: one `--syscall -a`. */
  allSyscalls: boolean;
  perCpuBufferBytes: number;
  /** The size was asked for (--buffer-size): honour it even when small. */
  exactBufferSize: boolean;
  /**
   * An LTTng filter expression that holds for the followed tree's events
   * (scopeFilter()), or null to record every process.
   */
  scopeFilter: string | null;
}

/**
 * A switch or wakeup is about two tasks, and the one the filter would judge
 * (the current task) is often the other one: a switch-in of ours runs in the
 * context of whatever ran before. These are recorded for every task, as
 * ftrace's pid filter keeps them when either side is followed.
 */
export const BOTH_SIDES_EVENTS = new Set(['sched_switch', 'sched_waking', 'sched_wakeup', 'sched_wakeup_new', 'sched_migrate_task']);

/**
 * The filter that keeps the events of processes in one UTS namespace (the
 * run's, see kernel-backend.ts), but those of the process that holds it open.
 */
export function scopeFilter(utsNamespaceInode: number, holderPid: number): string {
  return `$ctx.uts_ns == ${utsNamespaceInode} && $ctx.pid != ${holderPid}`;
}

/** LTTng's kernel names: syscalls by bare name (entry and exit come together), tracepoints without their system. */
export function lttngKernelEvents(events: Tracepoint[]): { syscalls: string[]; tracepoints: string[] } {
  const syscalls = new Set<string>();
  const tracepoints = new Set<string>();
  for (const event of events) {
    const syscall = /^sys_(?:enter|exit)_(.+)$/.exec(event.name);
    if (event.system === 'syscalls' && syscall) syscalls.add(syscall[1]!);
    else if (event.system === 'syscalls') throw new Error(`not a syscall tracepoint: ${tracepointId(event)}`);
    else tracepoints.add(event.name);
  }
  return { syscalls: [...syscalls].sort(), tracepoints: [...tracepoints].sort() };
}

/**
 * A sub-buffer is a power of two; SUBBUFFER_COUNT of them make about the
 * per-CPU size wanted. `exact` (--buffer-size) allows down to LTTng's own
 * minimum, two pages, where the automatic size keeps MIN_SUBBUFFER.
 */
export function kernelChannelGeometry(perCpuBytes: number, exact = false): { subbufferBytes: number; subbufferCount: number } {
  if (exact && perCpuBytes < SUBBUFFER_COUNT * MIN_SUBBUFFER) {
    const subbufferBytes = Math.max(PAGE, 2 ** Math.floor(Math.log2(perCpuBytes / SUBBUFFER_COUNT)));
    return { subbufferBytes, subbufferCount: Math.max(2, Math.min(SUBBUFFER_COUNT, Math.floor(perCpuBytes / subbufferBytes))) };
  }
  const wanted = Math.max(MIN_SUBBUFFER, Math.min(MAX_SUBBUFFER, perCpuBytes / SUBBUFFER_COUNT));
  return { subbufferBytes: 2 ** Math.floor(Math.log2(wanted)), subbufferCount: SUBBUFFER_COUNT };
}

/** From `lttng create` to `lttng start`, in order. */
export function kernelSessionPlan(options: KernelPlanOptions): LttngCommand[] {
  const { session } = options;
  const { syscalls, tracepoints } = lttngKernelEvents(options.events);
  const { subbufferBytes, subbufferCount } = kernelChannelGeometry(options.perCpuBufferBytes, options.exactBufferSize);
  const inChannel = ['-k', '-s', session, '-c', KERNEL_CHANNEL];
  const filter = options.scopeFilter === null ? [] : ['--filter', options.scopeFilter];
  const plan: LttngCommand[] = [
    ['create', session, `--output=${options.outputDir}`],
    ['enable-channel', '-k', '-s', session, KERNEL_CHANNEL, '--subbuf-size', String(subbufferBytes), '--num-subbuf', String(subbufferCount)],
  ];
  if (options.allSyscalls) plan.push(['enable-event', ...inChannel, '--syscall', '-a', ...filter]);
  else if (syscalls.length > 0) plan.push(['enable-event', ...inChannel, '--syscall', syscalls.join(','), ...filter]);
  const bothSides = options.scopeFilter === null ? [] : tracepoints.filter((t) => BOTH_SIDES_EVENTS.has(t));
  const scoped = tracepoints.filter((t) => !bothSides.includes(t));
  if (scoped.length > 0) plan.push(['enable-event', ...inChannel, '--tracepoint', scoped.join(','), ...filter]);
  if (bothSides.length > 0) plan.push(['enable-event', ...inChannel, '--tracepoint', bothSides.join(',')]);
  // The process, thread and file listing LTTng dumps at start and on regenerate: the tracer emits it, never filtered.
  plan.push(['enable-event', ...inChannel, '--tracepoint', 'lttng_statedump_*']);
  plan.push(['add-context', ...inChannel, ...KERNEL_CONTEXTS.flatMap((c) => ['-t', c])]);
  return plan;
}

export function startCommand(session: string): LttngCommand {
  return ['start', session];
}

/** LTTng's statedump again, mid-session (the ready and end dumps; the start one comes with `start`). */
export function statedumpCommand(session: string): LttngCommand {
  return ['regenerate', 'statedump', '--session', session];
}

/** Stop (lttng waits until every buffer is on disk), then the listing that says what was discarded. */
export function kernelStopPlan(session: string): LttngCommand[] {
  return [['stop', session], ['list', session]];
}

