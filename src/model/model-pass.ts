// One pass of events through the model, for whoever reads the trace with
// it (the analyses, the Perfetto export): each event class is bound once
// (its EventClassInfo, the tracker's plan, and the consumer's own plan),
// then each event finds its thread and updates the tracker before the
// consumer sees it, through one reused EventView.

import type { EventClass } from '../ctf/metadata-model.js';
import type { CtfEvent, CtfTrace } from '../ctf/trace-reader.js';
import { EventClassInfo, readContext } from './event-class-info.js';
import type { Thread } from './entities.js';
import { EventView } from './event-view.js';
import { SystemTracker, type TrackerPlan } from './tracker.js';

/** An event class as bound for one pass: what the model knows of it and what the consumer made of it. */
export interface ClassBinding<Plan> {
  readonly info: EventClassInfo;
  readonly tracker: TrackerPlan;
  readonly retIndex: number;
  readonly plan: Plan;
}

export class ModelPass<Plan> {
  readonly tracker = new SystemTracker();
  readonly view = new EventView();
  private readonly bindings = new Map<EventClass, ClassBinding<Plan>>();
  private readonly eventNames = new Map<CtfTrace, Set<string>>();
  /** Events that came before their CPU's first sched_switch in a trace without a tid context. */
  unknownThreadEvents = 0;
  /** The last thread seen on each CPU: most events are their CPU's previous event's thread's (no map lookup then). */
  private readonly lastThreadOnCpu: Array<Thread | undefined> = [];

  /** `bindPlan` makes the consumer's plan for a class, once, at its first event. */
  constructor(private readonly bindPlan: (info: EventClassInfo, event: CtfEvent) => Plan) {}

  /** Every class seen so far, in order of first appearance; info.count says how many events each had. */
  classes(): IterableIterator<ClassBinding<Plan>> {
    return this.bindings.values();
  }

  /** The traces seen so far, in order of first event. */
  traces(): CtfTrace[] {
    return [...this.eventNames.keys()];
  }

  /**
   * Sets the view to an event at `timeNs` (ns from the consumer's origin):
   * its thread (the tid context, else who sched_switch put on the CPU),
   * with the pid and name its context gives. The tracker has not yet applied
   * the event: see apply().
   */
  begin(event: CtfEvent, timeNs: number): ClassBinding<Plan> {
    const binding = this.bindings.get(event.eventClass) ?? this.bind(event);
    const info = binding.info;
    info.count++;
    const view = this.view;
    const tracker = this.tracker;
    view.reset();
    view.timeNs = timeNs;
    tracker.now = timeNs;
    const cpu = event.cpuId ?? 0;
    view.cpu = cpu;
    view.payload = event.payload;
    view.info = info;

    let tid: number;
    if (info.contextTid) tid = Number(readContext(event, info.contextTid));
    else {
      const current = tracker.currentTid.get(cpu);
      if (current === undefined) {
        tid = -1 - cpu;
        this.unknownThreadEvents++;
      } else tid = current;
    }
    let thread = this.lastThreadOnCpu[cpu];
    if (thread === undefined || thread.tid !== tid) {
      thread = tracker.thread(tid);
      this.lastThreadOnCpu[cpu] = thread;
    }
    if (info.contextPid) {
      const pid = Number(readContext(event, info.contextPid));
      if (thread.pid !== pid && tid > 0) tracker.setThreadPid(thread, pid);
    }
    if (info.contextProcname) {
      // The name at this event: an exec or prctl rename the trace has no event for shows here first.
      const name = readContext(event, info.contextProcname);
      if (typeof name === 'string' && name !== thread.name) tracker.setThreadName(thread, name);
    }
    view.tid = tid;
    view.thread = thread;
    return binding;
  }

  /** Applies the event begun last to the tracker: a syscall's entry or exit, or the class's action (sched_switch, fork, statedump...). */
  apply(binding: ClassBinding<Plan>): void {
    const role = binding.info.role;
    if (role === 'entry') this.tracker.enterSyscall(this.view, binding.tracker);
    else if (role === 'exit') this.tracker.exitSyscall(this.view, binding.tracker, binding.retIndex);
    else binding.tracker.action?.(this.view, this.tracker);
  }

  private bind(event: CtfEvent): ClassBinding<Plan> {
    let names = this.eventNames.get(event.trace);
    if (!names) {
      names = new Set([...event.trace.metadata.streams.values()].flatMap((s) => [...s.events.values()].map((e) => e.name)));
      this.eventNames.set(event.trace, names);
    }
    const info = new EventClassInfo(event.eventClass, event.streamClass.eventContext, names);
    const binding: ClassBinding<Plan> = { info, tracker: this.tracker.plan(info), retIndex: info.field('ret'), plan: this.bindPlan(info, event) };
    this.bindings.set(event.eventClass, binding);
    return binding;
  }
}
