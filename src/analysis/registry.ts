// The contract of an analysis, and the registry that runs them. Each
// analysis is one module (analyses.ts lists them) that declares its name
// (its key in the report), the analyses whose results it reads, and makes a
// fresh handler per trace: the handler says once per event class which
// function should see that class's events (or none), as Chrome DevTools'
// trace handlers do per event but compiled per class, turns what it saw
// into its result at the end, and says what the reader should know about it
// (its notes). The model (src/model/) has seen every event before them.

import type { DiscardedNotice } from '../ctf/trace-reader.js';
import type { EventClassInfo } from '../model/event-class-info.js';
import type { EventView } from '../model/event-view.js';
import type { SystemTracker } from '../model/tracker.js';
import type { AnalysisResults, ProcessRef, ThreadRef } from './model.js';

export type EventFunction = (view: EventView) => void;

export type AnalysisName = keyof AnalysisResults;

/** What every handler is made with. */
export interface AnalysisContext {
  model: SystemTracker;
}

/** What every analysis gets at the end. */
export interface Ending {
  model: SystemTracker;
  /** Time of the last event, ns from the trace's origin (see TraceClock); the duration, the same. */
  endNs: number;
  durationNs: number;
  clock: TraceClock;
  threadRef(tid: number): ThreadRef;
  processRef(pid: number): ProcessRef;
}

/** What the notes may say about the trace as a whole. */
export interface TraceFacts {
  events: number;
  /** True when the trace has events of that name. */
  has(eventName: string): boolean;
  /** True when any syscall exit event was read. */
  sawSyscallExits: boolean;
  /** metadata.json's scope.mode for traces of ours (process-tree, system-wide), else null. */
  scopeMode: string | null;
}

export interface AnalysisHandler<Name extends AnalysisName, Needs extends AnalysisName> {
  /** The function that sees every event of this class, or null; called once per class, at its first event. */
  bind(info: EventClassInfo): EventFunction | null;
  /** A discarded-events notice of the reader (events or packets lost). */
  discarded?(notice: DiscardedNotice): void;
  /** The result, once every event is read and the model has released every file; `needs` holds the results of the declared deps. */
  finalize(end: Ending, needs: Pick<AnalysisResults, Needs>): AnalysisResults[Name];
  /** What a reader of the result should know (missing events, approximations); in the report's notes. */
  notes?(result: AnalysisResults[Name], facts: TraceFacts): string[];
}

export interface AnalysisModule<Name extends AnalysisName = AnalysisName, Needs extends AnalysisName = never> {
  readonly name: Name;
  /** Analyses whose results this one reads in finalize: they finalize first. */
  readonly deps: readonly Needs[];
  create(context: AnalysisContext): AnalysisHandler<Name, Needs>;
}

/** Any analysis module, whatever it needs. */
export type AnyAnalysisModule = AnalysisModule<AnalysisName, AnalysisName>;

/** The modules in an order where each comes after the ones it needs; a cycle or an unknown name is an error that says where. */
export function dependencyOrder<M extends { name: string; deps: readonly string[] }>(modules: readonly M[]): M[] {
  const byName = new Map(modules.map((module) => [module.name, module]));
  const ordered: M[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (module: M, path: string[]): void => {
    const seen = state.get(module.name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`analysis dependency cycle: ${[...path, module.name].join(' -> ')}`);
    state.set(module.name, 'visiting');
    for (const dep of module.deps) {
      const needed = byName.get(dep);
      if (!needed) throw new Error(`analysis ${module.name} needs ${dep}, which is not registered`);
      visit(needed, [...path, module.name]);
    }
    state.set(module.name, 'done');
    ordered.push(module);
  };
  for (const module of modules) visit(module, []);
  return ordered;
}

/** Analyses count time as numbers from the first event; reports print absolute ns as strings. */
export class TraceClock {
  constructor(readonly originNs: bigint) {}

  absolute(relativeNs: number | null): string | null {
    return relativeNs === null ? null : (this.originNs + BigInt(Math.round(relativeNs))).toString();
  }
}

/**
 * Sorts descending by a key (ties keep their order) and keeps the first
 * `limit`. Thousands of threads and files are sorted this way, in code that
 * runs once: where every key is a non-negative integer (ns, bytes, counts)
 * small enough, key and position are packed into one number and a
 * Float64Array sorts them natively, without a comparator call per
 * comparison; else a stable sort of positions by key.
 */
export function topBy<T>(items: Iterable<T>, key: (item: T) => number, limit = Infinity): T[] {
  const all = Array.isArray(items) ? (items as T[]) : [...items];
  const n = all.length;
  // Positions take the low part: span is a power of two above every position.
  let span = 1;
  while (span < n) span *= 2;
  const keys = new Float64Array(n);
  let packable = true;
  for (let i = 0; i < n; i++) {
    const value = key(all[i]!);
    keys[i] = value;
    if (!(Number.isInteger(value) && value >= 0 && value * span + span <= Number.MAX_SAFE_INTEGER)) packable = false;
  }
  const count = Math.min(limit, n);
  const top = new Array<T>(count);
  if (packable) {
    // Ascending by key, then by span - 1 - position: read from the end, descending by key, ties in order.
    for (let i = 0; i < n; i++) keys[i] = keys[i]! * span + (span - 1 - i);
    keys.sort();
    for (let j = 0; j < count; j++) top[j] = all[span - 1 - (keys[n - 1 - j]! % span)]!;
    return top;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => keys[b]! - keys[a]!);
  for (let j = 0; j < count; j++) top[j] = all[order[j]!]!;
  return top;
}
