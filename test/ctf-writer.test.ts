import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CtfStreamWriter, type StreamWriterOptions } from '../src/ctf/stream-writer.js';
import { ctfString, int32, renderMetadata, textArray, uint32, type CtfTraceMetadata } from '../src/ctf/tsdl.js';
import { timestampNs } from '../src/util/timestamp.js';
import { babeltrace } from './helpers/babeltrace.js';

const UUID = '2f3a9d1c-0b4e-4c5a-9e61-7d2b8a4c1f00';
const UUID_BYTES = Uint8Array.from(UUID.replaceAll('-', '').match(/../g)!.map((h) => parseInt(h, 16)));
const ORIGIN = timestampNs(1_000_000_000_000n); // 1000 s of uptime
const encoder = new TextEncoder();
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function traceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctf-writer-'));
  dirs.push(dir);
  return dir;
}

const META: CtfTraceMetadata = {
  uuid: UUID,
  env: { hostname: 'host', domain: 'kernel', tracer_major: 2 },
  clock: { name: 'monotonic', description: 'Monotonic Clock', offsetNs: 1_700_000_000_123_456_789n },
  eventContext: [{ name: 'tid', type: int32 }],
  events: [
    {
      id: 0,
      name: 'alpha',
      fields: [
        { name: 'a', type: int32 },
        { name: 'b', type: { kind: 'integer', size: 64, signed: false, base: 16 } },
        { name: 'c', type: textArray(16) },
        { name: 'd', type: ctfString },
        { name: 'e', type: { kind: 'array', length: 2, element: { kind: 'integer', size: 16, signed: false } } },
        { name: '_f_length', type: uint32 },
        { name: 'f', type: { kind: 'sequence', lengthField: '_f_length', element: { kind: 'integer', size: 8, signed: false } } },
      ],
    },
    { id: 1, name: 'beta', fields: [{ name: 'n', type: uint32 }] },
  ],
};

function writer(dir: string, cpu: number, extra: Partial<StreamWriterOptions> = {}): CtfStreamWriter {
  return new CtfStreamWriter({
    path: join(dir, `channel0_${cpu}`),
    traceUuid: UUID_BYTES,
    streamInstanceId: cpu,
    cpuId: cpu,
    timeOrigin: ORIGIN,
    ...extra,
  });
}

function writeAlpha(w: CtfStreamWriter, time: number, tid: number, text: string): void {
  let at = w.beginEvent(0, time, 64 + text.length);
  const view = w.view;
  view.setInt32(at, tid, true);
  view.setInt32(at + 4, -3, true);
  view.setBigUint64(at + 8, 255n, true);
  w.bytes.fill(0, at + 16, at + 32);
  w.bytes.set(encoder.encode('hello'), at + 16);
  at += 32;
  w.bytes.set(encoder.encode(`${text}\0`), at);
  at += text.length + 1;
  view.setUint16(at, 1, true);
  view.setUint16(at + 2, 2, true);
  view.setUint32(at + 4, 3, true);
  w.bytes.set([1, 2, 3], at + 8);
  w.endEvent(at + 11);
}

function writeBeta(w: CtfStreamWriter, time: number, n: number): void {
  const at = w.beginEvent(1, time, 8);
  w.view.setInt32(at, 1, true);
  w.view.setUint32(at + 4, n, true);
  w.endEvent(at + 8);
}

test('metadata is plain-text TSDL that starts with the CTF 1.8 marker', () => {
  const text = renderMetadata(META);
  assert.ok(text.startsWith('/* CTF 1.8 */\n'));
  assert.match(text, /offset_s = 1700000000;\n\toffset = 123456789;/);
  assert.match(text, /integer \{ size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; \} _c\[16\];/);
  assert.match(text, /integer \{ size = 8; align = 8; signed = 0; encoding = none; base = 10; \} _f\[ __f_length \];/);
  assert.match(text, /string _d;/);
});

test('metadata: negative clock offsets, quoting, and what TSDL cannot hold', () => {
  const negative = renderMetadata({ ...META, clock: { ...META.clock, offsetNs: -1_500_000_000n, uuid: 'a"b' } });
  assert.match(negative, /offset_s = -2;\n\toffset = 500000000;/);
  assert.match(negative, /uuid = "a\\"b";/);
  assert.throws(() => renderMetadata({ ...META, env: { 'bad-key': 1 } }), /not a TSDL identifier/);
  assert.throws(() => renderMetadata({ ...META, env: { x: 1.5 } }), /integers or strings/);
  const twice = { id: 2, name: 'gamma', fields: [{ name: 'x', type: int32 }, { name: 'x', type: int32 }] };
  assert.throws(() => renderMetadata({ ...META, events: [twice] }), /duplicate CTF field name: x/);
});

test('babeltrace2 reads every field type, both streams in time order, wall-clock times', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata(META));
  const w0 = writer(dir, 0);
  const w1 = writer(dir, 1);
  writeAlpha(w0, 5, 42, 'world');
  writeBeta(w1, 6, 1);
  writeBeta(w0, 1000, 2);
  w0.close(0);
  w1.close(0);
  const run = babeltrace(dir, ['--clock-gmt', '--clock-date']);
  assert.equal(run.stderr, '');
  assert.equal(run.code, 0);
  assert.deepEqual(run.lines, [
    '[2023-11-14 22:30:00.123456794] (+?.?????????) host alpha: { cpu_id = 0 }, { tid = 42 }, ' +
      '{ a = -3, b = 0xFF, c = "hello", d = "world", e = [ [0] = 1, [1] = 2 ], _f_length = 3, f = [ [0] = 1, [1] = 2, [2] = 3 ] }',
    '[2023-11-14 22:30:00.123456795] (+0.000000001) host beta: { cpu_id = 1 }, { tid = 1 }, { n = 1 }',
    '[2023-11-14 22:30:00.123457789] (+0.000000994) host beta: { cpu_id = 0 }, { tid = 1 }, { n = 2 }',
  ]);
});

test('times past 2^53 ns stay exact', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata({ ...META, clock: { ...META.clock, offsetNs: 0n } }));
  const origin = timestampNs(2n ** 62n + 3n);
  const w = writer(dir, 0, { timeOrigin: origin });
  writeBeta(w, 2 ** 40 + 1, 1);
  w.close(0);
  const run = babeltrace(dir, ['--clock-cycles']);
  assert.equal(run.stderr, '');
  assert.equal(BigInt(/^\[(\d+)\]/.exec(run.lines[0]!)![1]!), 2n ** 62n + 3n + 2n ** 40n + 1n);
});

test('events split into packets; packet boundaries lose nothing', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata(META));
  const w = writer(dir, 0, { packetBytes: 512 });
  for (let i = 0; i < 1000; i++) writeBeta(w, i * 10, i);
  w.close(0);
  assert.ok(w.packetsWritten > 40, `${w.packetsWritten} packets`);
  assert.equal(statSync(join(dir, 'channel0_0')).size, w.totalBytes);
  const run = babeltrace(dir);
  assert.equal(run.stderr, '');
  assert.equal(run.code, 0);
  assert.equal(run.lines.length, 1000);
  assert.match(run.lines[999]!, /n = 999 }$/);
});

test('an event larger than a packet gets a packet of its own', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata(META));
  const w = writer(dir, 0, { packetBytes: 256 });
  writeBeta(w, 1, 1);
  writeAlpha(w, 2, 9, 'x'.repeat(2000));
  writeBeta(w, 3, 3);
  w.close(0);
  const run = babeltrace(dir);
  assert.equal(run.stderr, '');
  assert.equal(run.lines.length, 3);
  assert.ok(run.lines[1]!.includes(`d = "${'x'.repeat(2000)}"`));
});

test('discarded events: cumulative counts, reported where they were lost, the first packet too', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata(META));
  const w = writer(dir, 0);
  writeBeta(w, 1_000, 1);
  w.setDiscarded(5); // lost while the first packet was open
  w.closePacket();
  writeBeta(w, 2_000, 2);
  w.closePacket();
  w.setDiscarded(12); // lost before the next event: the next packet reports it
  writeBeta(w, 3_000, 3);
  w.setDiscarded(20); // lost at the end: the same last packet
  w.close(0);
  const run = babeltrace(dir, ['--clock-gmt']);
  assert.equal(run.code, 0);
  assert.equal(run.lines.length, 3);
  const warnings = run.stderr.trim().split('\n');
  assert.equal(warnings.length, 2, run.stderr);
  assert.match(warnings[0]!, /^WARNING: Tracer discarded 5 events between \[22:30:00\.123457789\] and \[22:30:00\.123457789\]/);
  assert.match(warnings[1]!, /^WARNING: Tracer discarded 15 events between \[22:30:00\.123458789\] and \[22:30:00\.123459789\]/);
});

test('a stream without events still has a packet, and reports its losses', () => {
  const dir = traceDir();
  writeFileSync(join(dir, 'metadata'), renderMetadata(META));
  const busy = writer(dir, 0);
  writeBeta(busy, 100, 1);
  busy.close(0);
  const idle = writer(dir, 1);
  idle.close(100);
  const lossy = writer(dir, 2);
  lossy.setDiscarded(4);
  lossy.close(100);
  const run = babeltrace(dir);
  assert.equal(run.code, 0);
  assert.equal(run.lines.length, 1);
  assert.match(run.stderr, /Tracer discarded 4 events .* within stream "[^"]*channel0_2"/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
  assert.ok(readFileSync(join(dir, 'channel0_1')).length > 0);
});
