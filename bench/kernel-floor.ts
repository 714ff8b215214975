// The kernel's share of a traced run, alone: a tracefs instance set up as the
// default run's (the same events, buffer size and process-tree filter) that
// records while nothing reads it, and no bpftrace. What is left of the
// overhead under it is what the kernel charges for recording; above it, what
// we add (the drain, the argument copy, statedumps). The trace clock is a
// parameter, to show what the clock read costs; system-wide records every
// process but this one, as --system-wide does.

import { BOOKKEEPING_EVENTS, parseTracepoint, resolveEventSet, syscallNamesOf, tracepointId } from '../src/backends/event-set.js';
import { availableTracepoints } from '../src/backends/kernel-events.js';
import { perCpuBufferBytes } from '../src/backends/ftrace/recorder.js';
import { ensureTracefs, TracefsInstance } from '../src/backends/ftrace/tracefs.js';
import { onEmergency } from '../src/util/emergency.js';
import { memAvailableBytes, tasksOf } from '../src/util/procfs.js';

export type TraceClock = 'mono' | 'local';

export class KernelOnlyRecording {
  private followed = 0;
  private readonly forgetEmergency = onEmergency(() => this.instance.remove());

  private constructor(
    private readonly instance: TracefsInstance,
    private readonly systemWide: boolean,
    /** The syscalls recorded, without sys_enter_/sys_exit_. */
    private readonly syscallNames: string[],
  ) {}

  static create(eventSpec: string, seconds: number, clock: TraceClock, systemWide = false): KernelOnlyRecording {
    const tracefs = ensureTracefs();
    const events = new Map([...resolveEventSet(eventSpec, availableTracepoints()).set, ...BOOKKEEPING_EVENTS.map(parseTracepoint)].map((e) => [tracepointId(e), e]));
    const instance = TracefsInstance.create(tracefs);
    try {
      instance.write('tracing_on', '0');
      instance.write('trace_clock', clock);
      // Nothing reads: overwrite keeps the kernel writing every event, as a drained buffer would.
      instance.write('options/overwrite', '1');
      instance.write('options/event-fork', systemWide ? '0' : '1');
      instance.write('buffer_size_kb', String(Math.floor(perCpuBufferBytes(seconds, instance.cpus().length, memAvailableBytes()) / 1024)));
      for (const e of events.values()) instance.write(`events/${e.system}/${e.name}/enable`, '1');
      if (systemWide) {
        instance.write('set_event_notrace_pid', tasksOf(process.pid).map((t) => t.tid).join(' '));
        instance.write('tracing_on', '1');
      }
      return new KernelOnlyRecording(instance, systemWide, syscallNamesOf(events.values()));
    } catch (error) {
      instance.remove();
      throw error;
    }
  }

  /** Adds the process and its threads; recording starts with the first (an empty filter would record everything). */
  follow(pid: number): void {
    if (this.systemWide) return;
    this.instance.append('set_event_pid', `${[pid, ...tasksOf(pid).map((t) => t.tid)].join(' ')}\n`);
    if (this.followed++ === 0) this.instance.write('tracing_on', '1');
  }

  syscalls(): string[] {
    return this.syscallNames;
  }

  /** Events the kernel wrote, lost to overwriting included. */
  eventsWritten(): number {
    return this.instance.cpus().reduce((sum, cpu) => {
      const { recorded, lost } = this.instance.cpuStats(cpu);
      return sum + recorded + lost;
    }, 0);
  }

  remove(): void {
    this.instance.remove();
    this.forgetEmergency();
  }
}
