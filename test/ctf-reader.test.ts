// The CTF reader on hand-built traces (plain-text metadata, both byte orders,
// bit fields, clock wrap, every field class) and on broken ones. The text is
// checked against babeltrace2's; the values against what was written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceFormatError } from '../src/ctf/metadata-file.js';
import { readEvents } from '../src/ctf/trace-reader.js';
import { writeTraceText } from '../src/export/trace-text.js';
import { babeltraceText, ourExport } from './helpers/ctf-text.js';
import { CLOCK_BEGIN, WRAPPING_EVENTS, writeCraftedTrace, writeCraftedTraceWithLosses } from './helpers/crafted-trace.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ctf-reader-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

for (const byteOrder of ['le', 'be'] as const) {
  test(`hand-built ${byteOrder} trace: values, clock wrap, and text equal to babeltrace2's`, () =>
    withTempDir(async (dir) => {
      writeCraftedTrace(dir, byteOrder, WRAPPING_EVENTS, CLOCK_BEGIN);
      const events = [...readEvents([dir])];
      assert.deepEqual(events.map((e) => e.eventClass.name), ['ev', 'ev', 'ev', 'ev', 'empty']);
      const base = CLOCK_BEGIN & ~((1n << 27n) - 1n);
      assert.deepEqual(
        events.map((e) => BigInt(e.cycles)),
        [base + BigInt((1 << 27) - 40), base + BigInt((1 << 27) - 5), base + (1n << 27n) + 7n, base + (1n << 27n) + 9n, base + (1n << 27n) + 10n],
      );
      assert.equal(events[0]!.timestampNs, 1000n * 1_000_000_000n + 5n + BigInt(events[0]!.cycles));
      const first = events[0]!.payload!;
      assert.deepEqual(first.slice(0, 3), [-2, 0x1abc, 0]);
      assert.equal(first[5], 'q"\\\t\x01é0');
      assert.deepEqual(first[7], [-8, 511]);
      assert.equal(first[8], 'abc');
      assert.deepEqual(first[9], { option: 0, value: 200 });
      assert.deepEqual(first[10], [9, -1]);
      assert.deepEqual(events[0]!.streamContext, [-7]);
      assert.equal(events[0]!.cpuId, 3);

      const ours = await ourExport([dir]);
      assert.equal(ours.error, null);
      const reference = babeltraceText([dir]);
      assert.equal(ours.bytes.toString('latin1'), reference.stdout.toString('latin1'));
    }));
}

test('a clock past 2^53 ns after the time base: exact times on the bigint path, text equal to babeltrace2\'s', () =>
  withTempDir(async (dir) => {
    const clockBegin = (1n << 60n) + CLOCK_BEGIN;
    writeCraftedTrace(dir, 'le', WRAPPING_EVENTS, clockBegin);
    const events = [...readEvents([dir])];
    const base = clockBegin & ~((1n << 27n) - 1n);
    assert.deepEqual(
      events.map((e) => e.timestampNs),
      [(1 << 27) - 40, (1 << 27) - 5, (1 << 27) + 7, (1 << 27) + 9, (1 << 27) + 10].map((at) => 1000n * 1_000_000_000n + 5n + base + BigInt(at)),
    );
    assert.ok(events.every((e) => e.nsExact !== null));
    const ours = await ourExport([dir]);
    assert.equal(ours.error, null);
    assert.equal(ours.bytes.toString('latin1'), babeltraceText([dir]).stdout.toString('latin1'));
  }));

test('discarded events: the same warnings as babeltrace2 on stderr, for one trace and for two under one directory', () =>
  withTempDir(async (dir) => {
    writeCraftedTraceWithLosses(join(dir, 'one'));
    writeCraftedTraceWithLosses(join(dir, 'two', 'kernel'));
    writeCraftedTraceWithLosses(join(dir, 'two', 'ust'));
    for (const root of [join(dir, 'one'), join(dir, 'two')]) {
      const ours = await ourExport([root]);
      const reference = babeltraceText([root]);
      assert.equal(ours.error, null);
      assert.equal(ours.bytes.toString('latin1'), reference.stdout.toString('latin1'));
      assert.equal(ours.warnings, reference.stderr);
    }
    assert.match((await ourExport([join(dir, 'one')])).warnings, /^WARNING: Tracer discarded 7 events between \[.*\n.*discarded 1 event between/);
  }));

test('packets that go back in time: every event is read, with a warning instead of a stop', () =>
  withTempDir(async (dir) => {
    writeCraftedTraceWithLosses(dir);
    const stream = join(dir, 'stream_0');
    const bytes = readFileSync(stream);
    const third = bytes.length / 3;
    writeFileSync(stream, Buffer.concat([bytes.subarray(third, 2 * third), bytes.subarray(0, third), bytes.subarray(2 * third)]));
    const ours = await ourExport([dir]);
    assert.equal(ours.error, null);
    assert.equal(ours.bytes.toString('latin1').trimEnd().split('\n').length, 15);
    assert.match(ours.warnings, new RegExp(`^WARNING: the packet at byte ${third} of ".*stream_0" begins at \\[[^\\]]+\\], before the previous packet`));
  }));

test('jsonl: one object per event with named fields, exact timestamps, enums with labels', () =>
  withTempDir(async (dir) => {
    writeCraftedTrace(dir, 'le', WRAPPING_EVENTS, CLOCK_BEGIN);
    const { bytes, error } = await ourExport([dir], 'jsonl');
    assert.equal(error, null);
    const records = bytes.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(records.length, 5);
    assert.equal(records[0]!.hostname, 'crafted');
    assert.equal(records[0]!.timestamp_ns, (1000n * 1_000_000_000n + 5n + (CLOCK_BEGIN & ~((1n << 27n) - 1n)) + BigInt((1 << 27) - 40)).toString());
    assert.deepEqual(records[0]!.packet_context, { cpu_id: 3 });
    assert.deepEqual(records[0]!.stream_context, { tid: -7 });
    assert.deepEqual(records[1]!.payload.e, { value: 3, labels: ['B'] });
    // The string's bytes are latin1 'é', not UTF-8: JSON gets U+FFFD for it.
    assert.equal(records[0]!.payload.s, 'q"\\\t\x01\ufffd0');
    assert.deepEqual(records[2]!.payload.v, { C: 'variant-string' });
    assert.equal(records[0]!.payload.st.neg, -1);
  }));

test('trace_output.txt falls back to our reader when babeltrace2 is missing, and says so', () =>
  withTempDir(async (dir) => {
    writeCraftedTrace(join(dir, 'trace'), 'le', WRAPPING_EVENTS, CLOCK_BEGIN);
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let result;
    try {
      result = await writeTraceText(join(dir, 'trace'), join(dir, 'out.txt'));
    } finally {
      process.env.PATH = savedPath;
    }
    assert.match(result.producedBy ?? '', /^benchmark-tracer /);
    assert.match(result.note ?? '', /babeltrace2 is not installed/);
    assert.deepEqual(readFileSync(join(dir, 'out.txt')), babeltraceText([join(dir, 'trace')]).stdout);
  }));

/** A copy of a corpus trace to break. */
function copyTrace(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) if (entry.isFile()) copyFileSync(join(from, entry.name), join(to, entry.name));
}

async function assertPrefixThenError(dir: string, fullText: Buffer, fileName: string): Promise<void> {
  const ours = await ourExport([dir]);
  assert.ok(ours.error instanceof TraceFormatError, `expected a trace error, got ${ours.error}`);
  assert.ok(ours.error.message.includes(fileName), `the error names the file: ${ours.error.message}`);
  assert.match(ours.error.message, /at byte \d+/);
  assert.ok(ours.bytes.length > 0, 'events before the damage are printed');
  assert.ok(fullText.subarray(0, ours.bytes.length).equals(ours.bytes), 'what is printed is the start of the intact text');
}

test('a stream file cut in the middle of a packet: the events before, then an error naming file and offset', () =>
  withTempDir(async (dir) => {
    const source = join(CORPUS, 'lttng-kernel/tviz-wget-k');
    const full = (await ourExport([source])).bytes;
    copyTrace(source, dir);
    const victim = join(dir, 'k_1');
    const size = statSync(victim).size;
    writeFileSync(victim, readFileSync(victim).subarray(0, Math.floor(size / 2) + 1234));
    await assertPrefixThenError(dir, full, 'k_1');
  }));

test('flipped bytes in a packet header and a stream with a partial header: errors, no crash, no hang', () =>
  withTempDir(async (dir) => {
    const source = join(CORPUS, 'lttng-kernel/tc-flipping-endianness-be');
    const full = (await ourExport([source])).bytes;
    copyTrace(source, join(dir, 'magic'));
    const stream = join(dir, 'magic', 'channel-context-switches_0');
    const bytes = readFileSync(stream);
    // The second packet's magic: packets are whole pages here; find the next one by its magic.
    const second = bytes.indexOf(Buffer.from([0xc1, 0xfc, 0x1f, 0xc1]), 4);
    assert.ok(second > 0, 'the corpus trace has a second packet');
    bytes[second] = 0x00;
    writeFileSync(stream, bytes);
    await assertPrefixThenError(join(dir, 'magic'), full, 'channel-context-switches_0');

    copyTrace(source, join(dir, 'stub'));
    writeFileSync(join(dir, 'stub', 'channel-context-switches_0'), bytes.subarray(0, 10));
    const stub = await ourExport([join(dir, 'stub')]);
    assert.ok(stub.error instanceof TraceFormatError && stub.error.message.includes('channel-context-switches_0'), String(stub.error));
  }));

test('broken metadata: an error naming the metadata file, before any event', () =>
  withTempDir(async (dir) => {
    writeCraftedTrace(dir, 'le', WRAPPING_EVENTS, CLOCK_BEGIN);
    const text = readFileSync(join(dir, 'metadata'), 'utf8');
    writeFileSync(join(dir, 'metadata'), text.slice(0, text.indexOf('stream {') + 40));
    const ours = await ourExport([dir]);
    assert.ok(ours.error instanceof TraceFormatError, String(ours.error));
    assert.match(ours.error.message, /metadata/);
    assert.equal(ours.bytes.length, 0);

    writeFileSync(join(dir, 'metadata'), text.replace('uint32_t stream_id;', 'nosuchtype stream_id;'));
    const unknown = await ourExport([dir]);
    assert.match(String(unknown.error), /unknown type "nosuchtype stream_id"/);
  }));

test('event classes no event uses: checked when the trace is opened (an unresolvable length fails before any event), never decoded, and babeltrace2 agrees', () =>
  withTempDir(async (dir) => {
    writeCraftedTrace(dir, 'le', WRAPPING_EVENTS, CLOCK_BEGIN);
    const text = readFileSync(join(dir, 'metadata'), 'utf8');
    // A class of its own layout that no packet holds: decoders are made at a class's first event, the check is not.
    const unused = (length: string) =>
      `\nevent { id = 7; name = "unused"; stream_id = 0; fields := struct { uint32_t n; uint64_t big; uint8_t bytes[${length}]; }; };\n`;
    writeFileSync(join(dir, 'metadata'), text + unused('n'));
    const fine = await ourExport([dir]);
    assert.equal(fine.error, null);
    assert.deepEqual(fine.bytes, babeltraceText([dir]).stdout);

    writeFileSync(join(dir, 'metadata'), text + unused('nosuch'));
    const broken = await ourExport([dir]);
    assert.ok(broken.error instanceof TraceFormatError, String(broken.error));
    assert.match(broken.error.message, /metadata: no field "nosuch" before its use as a sequence length \(at line \d+\)/);
    assert.equal(broken.bytes.length, 0);
    assert.throws(() => babeltraceText([dir]), /exited with 1/, 'babeltrace2 refuses it too');
  }));
