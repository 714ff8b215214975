// What an LTTng-written CTF trace holds, for metadata.json: read once after
// the run, with the same conventions as the tracefs backend's summary.

import { basename } from 'node:path';
import { cyclesToNs, readMessages, type CtfTrace } from '../../ctf/trace-reader.js';

export interface TraceSummary {
  eventsTotal: number;
  eventCounts: Record<string, number>;
  /** Discarded events per CPU, from the packets (LTTng names each stream file CHANNEL_CPU). */
  lostPerCpu: Record<string, number>;
  /** CLOCK_MONOTONIC ns (the clock's offset taken off), as the tracefs backend reports them. */
  firstTimestampNs: string | null;
  lastTimestampNs: string | null;
  /** The first trace's clock offset: realtime - monotonic, as LTTng measured it. */
  clockOffsetNs: bigint | null;
}

export function summarizeTrace(roots: string[]): TraceSummary {
  const offsets = new Map<CtfTrace, bigint>();
  const eventCounts: Record<string, number> = {};
  const lostPerCpu: Record<string, number> = {};
  let eventsTotal = 0;
  let first: bigint | null = null;
  let last: bigint | null = null;
  let clockOffsetNs: bigint | null = null;
  for (const message of readMessages(roots)) {
    if (message.kind === 'event') {
      let offset = offsets.get(message.trace);
      if (offset === undefined) {
        offset = cyclesToNs(message.trace.clock, 0n);
        offsets.set(message.trace, offset);
        clockOffsetNs ??= offset;
      }
      eventsTotal++;
      eventCounts[message.eventClass.name] = (eventCounts[message.eventClass.name] ?? 0) + 1;
      first ??= message.timestampNs - offset;
      last = message.timestampNs - offset;
    } else if (message.kind === 'discarded' && message.what === 'event') {
      const cpu = /_(\d+)$/.exec(basename(message.streamFile))?.[1] ?? basename(message.streamFile);
      lostPerCpu[cpu] = (lostPerCpu[cpu] ?? 0) + message.count;
    }
  }
  return {
    eventsTotal,
    eventCounts,
    lostPerCpu,
    firstTimestampNs: first?.toString() ?? null,
    lastTimestampNs: last?.toString() ?? null,
    clockOffsetNs,
  };
}
