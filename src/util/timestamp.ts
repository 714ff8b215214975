// Trace time: nanoseconds on the trace clock (CLOCK_MONOTONIC). Absolute
// times are bigints, since they pass 2^53 ns (~104 days of uptime); the
// brand keeps them apart from other bigints. Offsets between two times of
// one trace are plain numbers, exact below 2^53 ns.

export type TimestampNs = bigint & { readonly __unit: 'ns' };

export function timestampNs(value: bigint | string): TimestampNs {
  return BigInt(value) as TimestampNs;
}

export function addOffset(origin: TimestampNs, offsetNs: number): TimestampNs {
  return (origin + BigInt(offsetNs)) as TimestampNs;
}
