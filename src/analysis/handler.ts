// The contract of an analysis: it says, once per event class, which
// function should see that class's events (or none), and turns what it saw
// into its part of the report at the end.

import type { EventClassInfo } from './event-class-info.js';
import type { ProcessRef, ThreadRef } from './model.js';
import type { EventView, TraceState } from './state.js';

export type EventFunction = (view: EventView) => void;

export interface Analysis {
  bind(info: EventClassInfo): EventFunction | null;
}

/** What every analysis gets at the end. */
export interface Ending {
  state: TraceState;
  /** Time of the first and last event, ns from the trace's origin (see TraceClock). */
  endNs: number;
  durationNs: number;
  clock: TraceClock;
  threadRef(tid: number): ThreadRef;
  processRef(pid: number): ProcessRef;
}

/** Analyses count time as numbers from the first event; reports print absolute ns as strings. */
export class TraceClock {
  constructor(readonly originNs: bigint) {}

  absolute(relativeNs: number | null): string | null {
    return relativeNs === null ? null : (this.originNs + BigInt(Math.round(relativeNs))).toString();
  }
}

/** Sorts descending by a key and keeps the first `limit`. */
export function topBy<T>(items: Iterable<T>, key: (item: T) => number, limit = Infinity): T[] {
  return [...items].sort((a, b) => key(b) - key(a)).slice(0, limit);
}
