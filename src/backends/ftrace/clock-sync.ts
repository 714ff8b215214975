// The ring buffer stamps every event with its trace clock. `mono`
// (CLOCK_MONOTONIC, what LTTng, bpftrace and our statedumps use) costs the
// kernel a quarter more per event than `local` (sched_clock) here: 72 against
// 54 ns per recorded event, 0.78 against 0.83 of nginx's untraced throughput
// with nothing else running (npm run bench, the kernel floor). So where
// sched_clock is one clock for all CPUs (a stable TSC) the recorder takes
// `local`, samples it against CLOCK_MONOTONIC during the run, and the
// converter maps each event's time through those samples: the trace stays
// CLOCK_MONOTONIC.

import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicNs } from '../../util/clock.js';
import { TracefsInstance } from './tracefs.js';

/** One reading of both clocks: a trace_marker write's `local` stamp, and CLOCK_MONOTONIC around it. */
export interface ClockSample {
  localNs: string;
  monoNs: string;
  /** Half the monotonic bracket around the write: how far the pair can be off. */
  errorNs: number;
  cpu: number;
}

/** Why `local` cannot stand for CLOCK_MONOTONIC here, or null when it can. */
export function localClockUnusable(tracefs: string): string | null {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  if (!/\blocal\b/.test(read(join(tracefs, 'trace_clock')))) return 'the kernel has no "local" trace clock';
  const source = read('/sys/devices/system/clocksource/clocksource0/current_clocksource').trim();
  // The kernel leaves the TSC as clocksource only while it is stable; sched_clock then agrees across CPUs.
  if (source !== 'tsc') return `the clocksource is ${source || 'unknown'}, not a stable TSC`;
  const flags = /^flags\s*:(.*)$/m.exec(read('/proc/cpuinfo'))?.[1]?.split(/\s+/) ?? [];
  const missing = ['constant_tsc', 'nonstop_tsc'].filter((flag) => !flags.includes(flag));
  return missing.length ? `the TSC lacks ${missing.join(' and ')}` : null;
}

const MARKER = 'benchmark-tracer clock sample';
const TRIES = 5;

/**
 * A small tracefs instance of its own, on the `local` clock, that records
 * nothing but our markers; options/raw prints their stamps in ns.
 */
export class ClockSampler {
  private readonly markerFd: number;
  private sequence = 0;

  private constructor(private readonly instance: TracefsInstance) {
    this.markerFd = openSync(instance.path('trace_marker'), 'w');
  }

  static create(tracefs: string): ClockSampler {
    const instance = TracefsInstance.create(tracefs);
    try {
      instance.write('trace_clock', 'local');
      instance.write('buffer_size_kb', '16');
      instance.write('options/raw', '1');
      instance.write('tracing_on', '1');
      return new ClockSampler(instance);
    } catch (error) {
      instance.remove();
      throw error;
    }
  }

  /** The tightest of a few readings. */
  sample(): ClockSample {
    const brackets = new Map<number, { before: bigint; after: bigint }>();
    for (let i = 0; i < TRIES; i++) {
      const id = this.sequence++;
      const before = monotonicNs();
      writeSync(this.markerFd, `${MARKER} ${id}\n`);
      brackets.set(id, { before, after: monotonicNs() });
    }
    let best: ClockSample | null = null;
    // A raw line: "<pid> <cpu> <ts ns> # <ip> <text>".
    for (const line of this.instance.read('trace').split('\n')) {
      const match = /^\d+ (\d+) (\d+) # \S+ (.*)$/.exec(line);
      const id = match?.[3]?.startsWith(`${MARKER} `) ? Number(match[3].slice(MARKER.length + 1)) : NaN;
      const bracket = brackets.get(id);
      if (!match || !bracket) continue;
      const width = bracket.after - bracket.before;
      const errorNs = Number(width / 2n);
      if (!best || errorNs < best.errorNs) {
        best = { localNs: match[2]!, monoNs: (bracket.before + width / 2n).toString(), errorNs, cpu: Number(match[1]) };
      }
    }
    writeFileSync(this.instance.path('trace'), ''); // emptied for the next reading
    if (!best) throw new Error('the clock-sample markers did not reach their tracefs instance');
    return best;
  }

  remove(): void {
    closeSync(this.markerFd);
    this.instance.remove();
  }
}

/**
 * The capture's `local` times mapped onto CLOCK_MONOTONIC, both as ns from
 * the trace origin: the offset between the clocks (which drifts as NTP slews
 * CLOCK_MONOTONIC) interpolated between the samples, held at the ends.
 */
export class LocalClockMap {
  /** Sample points: local time from the local origin, and the offset to add there. */
  private readonly at: number[];
  private readonly offset: number[];
  /** The local clock's reading at the trace origin. */
  readonly localOrigin: bigint;
  private segment = 0;

  constructor(samples: readonly ClockSample[], origin: bigint) {
    if (samples.length === 0) throw new Error('a capture on the "local" clock has no clock samples');
    const sorted = [...samples].sort((a, b) => (BigInt(a.localNs) < BigInt(b.localNs) ? -1 : 1));
    const base = BigInt(sorted[0]!.monoNs) - BigInt(sorted[0]!.localNs);
    this.localOrigin = origin - base;
    this.at = sorted.map((s) => Number(BigInt(s.localNs) - this.localOrigin));
    this.offset = sorted.map((s) => Number(BigInt(s.monoNs) - BigInt(s.localNs) - base));
  }

  /** `local` ns from the local origin to monotonic ns from the origin; fastest for times in rising order. */
  toMonotonic(local: number): number {
    const { at, offset } = this;
    const last = at.length - 1;
    if (local <= at[0]!) return local + offset[0]!;
    if (local >= at[last]!) return local + offset[last]!;
    let i = this.segment;
    if (local < at[i]!) i = 0;
    while (local > at[i + 1]!) i++;
    this.segment = i;
    const span = at[i + 1]! - at[i]!;
    const share = span > 0 ? (local - at[i]!) / span : 0;
    return local + Math.round(offset[i]! + share * (offset[i + 1]! - offset[i]!));
  }
}
