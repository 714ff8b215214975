// process.hrtime is CLOCK_MONOTONIC on Linux: the clock of trace_clock "mono"
// and of LTTng's kernel tracer.

export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * CLOCK_REALTIME - CLOCK_MONOTONIC, in ns: added to a trace timestamp it gives
 * the wall-clock time. Sampled several times, keeping the tightest bracket,
 * since the two clocks cannot be read at once.
 */
export function realtimeOffsetNs(): bigint {
  let best: { offset: bigint; width: bigint } | null = null;
  for (let i = 0; i < 5; i++) {
    const before = process.hrtime.bigint();
    const realtime = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    const after = process.hrtime.bigint();
    const width = after - before;
    const offset = realtime - (before + width / 2n);
    if (!best || width < best.width) best = { offset, width };
  }
  return best!.offset;
}

/** Blocks the thread: for clean-up that must be synchronous (signal handlers, exit). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
