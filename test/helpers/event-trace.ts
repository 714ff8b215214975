// Writes a small kernel trace in our conventions (LTTng names, _pid/_tid/
// _procname context) from a list of events, with the project's CTF writer:
// for unit tests of the analyses on exactly known input.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtfStreamWriter } from '../../src/ctf/stream-writer.js';
import { ctfString, int32, renderMetadata, textArray, type CtfEventClass, type CtfType } from '../../src/ctf/tsdl.js';
import { timestampNs } from '../../src/util/timestamp.js';

export interface TestEvent {
  name: string;
  timeNs: number;
  cpu?: number;
  pid: number;
  tid?: number;
  comm: string;
  /** Numbers are written as signed 64-bit integers, strings as strings. */
  fields?: Record<string, number | string>;
  /** Events the kernel lost on this CPU just before this one: a new packet reports them. */
  lostBefore?: number;
}

const int64: CtfType = { kind: 'integer', size: 64, signed: true };
const UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';
const COMM_BYTES = 16;

export function writeEventTrace(dir: string, events: TestEvent[]): void {
  mkdirSync(dir, { recursive: true });
  const classes = new Map<string, CtfEventClass>();
  for (const event of events) {
    if (classes.has(event.name)) continue;
    const fields = Object.entries(event.fields ?? {}).map(([name, value]) => ({ name, type: typeof value === 'string' ? ctfString : int64 }));
    classes.set(event.name, { id: classes.size, name: event.name, fields });
  }
  const origin = timestampNs(1_000_000_000_000n);
  writeFileSync(
    join(dir, 'metadata'),
    renderMetadata({
      uuid: UUID,
      env: { hostname: 'test', domain: 'kernel', tracer_name: 'test' },
      clock: { name: 'monotonic', description: 'test clock', offsetNs: 0n },
      eventContext: [
        { name: 'pid', type: int32 },
        { name: 'tid', type: int32 },
        { name: 'procname', type: textArray(COMM_BYTES) },
      ],
      events: [...classes.values()],
    }),
  );
  const uuidBytes = Uint8Array.from(Buffer.from(UUID.replace(/-/g, ''), 'hex'));
  const writers = new Map<number, CtfStreamWriter>();
  const lost = new Map<number, number>();
  for (const event of events) {
    const cpu = event.cpu ?? 0;
    let writer = writers.get(cpu);
    if (!writer) {
      writer = new CtfStreamWriter({ path: join(dir, `channel0_${cpu}`), traceUuid: uuidBytes, streamInstanceId: cpu, cpuId: cpu, timeOrigin: origin });
      writers.set(cpu, writer);
    }
    if (event.lostBefore) {
      writer.closePacket();
      lost.set(cpu, (lost.get(cpu) ?? 0) + event.lostBefore);
      writer.setDiscarded(lost.get(cpu)!);
    }
    const eventClass = classes.get(event.name)!;
    let at = writer.beginEvent(eventClass.id, event.timeNs, 4096);
    const view = writer.view;
    const bytes = writer.bytes;
    view.setInt32(at, event.pid, true);
    view.setInt32(at + 4, event.tid ?? event.pid, true);
    bytes.fill(0, at + 8, at + 8 + COMM_BYTES);
    bytes.set(Buffer.from(event.comm.slice(0, COMM_BYTES - 1), 'latin1'), at + 8);
    at += 8 + COMM_BYTES;
    for (const field of eventClass.fields) {
      const value = event.fields![field.name]!;
      if (typeof value === 'string') {
        const text = Buffer.from(value, 'latin1');
        bytes.set(text, at);
        bytes[at + text.length] = 0;
        at += text.length + 1;
      } else {
        view.setBigInt64(at, BigInt(value), true);
        at += 8;
      }
    }
    writer.endEvent(at);
  }
  for (const writer of writers.values()) writer.close(0);
}
