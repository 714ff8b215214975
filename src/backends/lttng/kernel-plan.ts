// The lttng commands of a kernel recording, as pure functions of the run's
// options: what the LTTng backend issues, testable without lttng-modules.

import { tracepointId, type Tracepoint } from '../event-set.js';
import type { LttngCommand } from './lttng-cli.js';

export const KERNEL_CHANNEL = 'benchmark_tracer_kernel';
/** `-t` names of the kernel domain. The CPU needs none: each stream is one CPU's (packet context cpu_id). */
export const KERNEL_CONTEXTS = ['pid', 'tid', 'ppid', 'procname', 'prio'];
const SUBBUFFER_COUNT = 8;
const MIN_SUBBUFFER = 256 * 1024;
const MAX_SUBBUFFER = 64 * 1024 * 1024;

export interface KernelPlanOptions {
  session: string;
  /** lttng writes the trace to OUTPUT/kernel. */
  outputDir: string;
  events: Tracepoint[];
  /** Every syscall this kernel has is in the set: one `--syscall -a`. */
  allSyscalls: boolean;
  perCpuBufferBytes: number;
  /** Record only tracked pids (the followed tree) instead of every process. */
  processTree: boolean;
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

/** A sub-buffer is a power of two; SUBBUFFER_COUNT of them make about the per-CPU size wanted. */
export function kernelChannelGeometry(perCpuBytes: number): { subbufferBytes: number; subbufferCount: number } {
  const wanted = Math.max(MIN_SUBBUFFER, Math.min(MAX_SUBBUFFER, perCpuBytes / SUBBUFFER_COUNT));
  return { subbufferBytes: 2 ** Math.floor(Math.log2(wanted)), subbufferCount: SUBBUFFER_COUNT };
}

/** From `lttng create` to `lttng start`, in order. */
export function kernelSessionPlan(options: KernelPlanOptions): LttngCommand[] {
  const { session } = options;
  const { syscalls, tracepoints } = lttngKernelEvents(options.events);
  const { subbufferBytes, subbufferCount } = kernelChannelGeometry(options.perCpuBufferBytes);
  const inChannel = ['-k', '-s', session, '-c', KERNEL_CHANNEL];
  const plan: LttngCommand[] = [
    ['create', session, `--output=${options.outputDir}`],
    ['enable-channel', '-k', '-s', session, KERNEL_CHANNEL, '--subbuf-size', String(subbufferBytes), '--num-subbuf', String(subbufferCount)],
  ];
  if (options.allSyscalls) plan.push(['enable-event', ...inChannel, '--syscall', '-a']);
  else if (syscalls.length > 0) plan.push(['enable-event', ...inChannel, '--syscall', syscalls.join(',')]);
  if (tracepoints.length > 0) plan.push(['enable-event', ...inChannel, '--tracepoint', tracepoints.join(',')]);
  plan.push(['add-context', ...inChannel, ...KERNEL_CONTEXTS.flatMap((c) => ['-t', c])]);
  // Tracking nobody until the run follows its first process: nothing else gets in.
  if (options.processTree) plan.push(['untrack', '-k', '-s', session, '--all', '--pid']);
  return plan;
}

export function trackCommand(session: string, pids: number[]): LttngCommand {
  return ['track', '-k', '-s', session, `--pid=${pids.join(',')}`];
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

