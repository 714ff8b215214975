import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  checkHeaderEvent,
  decodePage,
  PageEvents,
  parsePageLayout,
  type PageLayout,
} from '../src/backends/ftrace/ring-buffer.js';
import { PageFileReader } from '../src/backends/ftrace/page-file.js';
import { pagesFileName, type CaptureManifest } from '../src/backends/ftrace/capture-files.js';
import { buildPage, HEADER_EVENT, HEADER_PAGE, type PageSpec } from './helpers/pages.js';

const FIXTURE = new URL('../../test/fixtures/captures/sh-ls-dd-sort/', import.meta.url);
const layout = parsePageLayout(HEADER_PAGE);

function decode(spec: PageSpec, pageLayout: PageLayout = layout) {
  const page = buildPage(spec);
  // Place the page at an offset, as in a chunk of a pages file.
  const chunk = new Uint8Array(page.length + 40);
  chunk.set(page, 40);
  const out = new PageEvents(4);
  decodePage(new DataView(chunk.buffer), 40, page.length, pageLayout, out);
  const events = Array.from({ length: out.count }, (_, i) => ({
    delta: out.deltas[i]!,
    payload: Array.from(chunk.subarray(out.offsets[i]!, out.offsets[i]! + out.lengths[i]!)),
  }));
  return { timestamp: out.timestamp, dataLength: out.dataLength, missed: out.missedEvents, events };
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('the page layout comes from header_page', () => {
  assert.deepEqual(layout, { timestampOffset: 0, commitOffset: 8, commitSize: 8, dataOffset: 16 });
  const thirtyTwoBit = parsePageLayout(`\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;
\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;
\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;`);
  assert.deepEqual(thirtyTwoBit, { timestampOffset: 0, commitOffset: 8, commitSize: 4, dataOffset: 12 });
  assert.throws(() => parsePageLayout('nothing here'), /unexpected events\/header_page/);
});

test('header_event must describe the event header we decode', () => {
  checkHeaderEvent(HEADER_EVENT);
  assert.throws(() => checkHeaderEvent(HEADER_EVENT.replace('type == 30', 'type == 3')), /time_extend/);
});

test('data events with type_len 1..28 carry type_len * 4 bytes', () => {
  const page = decode({
    timestamp: 1_000_000n,
    items: [
      { kind: 'data', delta: 0, payload: bytes(4) },
      { kind: 'data', delta: 5, payload: bytes(12, 3) },
      { kind: 'data', delta: 2 ** 27 - 1, payload: bytes(112, 9) },
    ],
  });
  assert.equal(page.timestamp, 1_000_000n);
  assert.equal(page.missed, 0);
  assert.equal(page.dataLength, 4 + 4 + 4 + 12 + 4 + 112);
  assert.deepEqual(
    page.events.map((e) => [e.delta, e.payload.length]),
    [
      [0, 4],
      [5, 12],
      [5 + 2 ** 27 - 1, 112],
    ],
  );
  assert.deepEqual(page.events[1]!.payload, Array.from(bytes(12, 3)));
  assert.deepEqual(page.events[2]!.payload, Array.from(bytes(112, 9)));
});

test('type_len 0 keeps the length in array[0] and the data from array[1]', () => {
  const page = decode({
    timestamp: 7n,
    items: [
      { kind: 'data', delta: 3, payload: bytes(8), long: true },
      { kind: 'data', delta: 4, payload: bytes(300, 5) },
      { kind: 'data', delta: 1, payload: bytes(4, 2) },
    ],
  });
  assert.deepEqual(
    page.events.map((e) => [e.delta, e.payload.length]),
    [
      [3, 8],
      [7, 300],
      [8, 4],
    ],
  );
  assert.deepEqual(page.events[1]!.payload, Array.from(bytes(300, 5)));
});

test('a time extend adds array[0] << 27 | time_delta', () => {
  const big = 5 * 2 ** 27 + 12345;
  const page = decode({
    timestamp: 2n ** 60n + 17n,
    items: [
      { kind: 'data', delta: 10, payload: bytes(4) },
      { kind: 'extend', delta: big },
      { kind: 'data', delta: 3, payload: bytes(4) },
      { kind: 'extend', delta: 2 ** 40 },
      { kind: 'data', delta: 0, payload: bytes(4) },
    ],
  });
  assert.equal(page.timestamp, 2n ** 60n + 17n);
  assert.deepEqual(
    page.events.map((e) => e.delta),
    [10, 10 + big + 3, 10 + big + 3 + 2 ** 40],
  );
});

test('an absolute time stamp replaces the time, with the page high bits put back', () => {
  const pageTs = (0x1fn << 59n) + 1_000n; // the 5 high bits set
  const page = decode({
    timestamp: pageTs,
    items: [
      { kind: 'data', delta: 100, payload: bytes(4) },
      { kind: 'absolute', timestamp: 5_000n },
      { kind: 'data', delta: 7, payload: bytes(4) },
    ],
  });
  assert.deepEqual(
    page.events.map((e) => e.delta),
    [100, 4_000 + 7],
  );
});

test('a discarded event (padding with a delta) is skipped without moving the clock; null padding ends the page', () => {
  const page = decode({
    timestamp: 1n,
    items: [
      { kind: 'data', delta: 10, payload: bytes(4) },
      { kind: 'discarded', delta: 500, length: 24 },
      { kind: 'data', delta: 20, payload: bytes(8, 4) },
      { kind: 'end' },
      { kind: 'data', delta: 1, payload: bytes(4) },
    ],
  });
  assert.deepEqual(
    page.events.map((e) => [e.delta, e.payload.length]),
    [
      [10, 4],
      [30, 8],
    ],
  );
});

test('RB_MISSED_EVENTS: a stored count, or -1 when the kernel had no room for it', () => {
  const items: PageSpec['items'] = [{ kind: 'data', delta: 1, payload: bytes(4) }];
  const stored = decode({ timestamp: 1n, items, missed: 1234 });
  assert.equal(stored.missed, 1234);
  assert.equal(stored.dataLength, 8);
  assert.equal(stored.events.length, 1);
  assert.equal(decode({ timestamp: 1n, items, missed: 'unstored' }).missed, -1);
});

test('pages larger than 4 KiB, with more events than the columns first hold', () => {
  const items = Array.from({ length: 1500 }, (_, i) => ({ kind: 'data' as const, delta: i, payload: bytes(4, i) }));
  const page = decode({ timestamp: 0n, items, pageSize: 16384 });
  assert.equal(page.events.length, 1500);
  assert.equal(page.events[1499]!.delta, (1499 * 1500) / 2);
  assert.deepEqual(page.events[1499]!.payload, Array.from(bytes(4, 1499)));
});

test('an event running past the committed data ends the page', () => {
  const page = buildPage({ timestamp: 0n, items: [{ kind: 'data', delta: 1, payload: bytes(4) }, { kind: 'data', delta: 1, payload: bytes(40) }] });
  const view = new DataView(page.buffer);
  view.setBigUint64(8, 8n + 20n, true); // commit cuts the second event
  const out = new PageEvents();
  decodePage(view, 0, page.length, layout, out);
  assert.equal(out.count, 1);
});

test('the fixture decodes: known event ids, per-CPU times never go back', async () => {
  const manifest = JSON.parse(readFileSync(new URL('capture.json', FIXTURE), 'utf8')) as CaptureManifest;
  const fixtureLayout = parsePageLayout(manifest.headerPage);
  checkHeaderEvent(manifest.headerEvent);
  const ids = new Set(manifest.events.map((e) => e.id));
  const start = BigInt(manifest.statedumps[0]!.timestampNs);
  let total = 0;
  for (const cpu of manifest.cpus) {
    const reader = await PageFileReader.open(new URL(pagesFileName(cpu), FIXTURE).pathname, 1 << 16);
    const out = new PageEvents();
    let last = 0n;
    for (let record = await reader.next(); record; record = await reader.next()) {
      assert.equal(record.size, 4096);
      decodePage(record.view, record.start, record.size, fixtureLayout, out);
      assert.equal(out.missedEvents, 0);
      for (let i = 0; i < out.count; i++) {
        const time = out.timestamp + BigInt(out.deltas[i]!);
        assert.ok(time >= last, `cpu ${cpu}: time went back`);
        assert.ok(time > start - 1_000_000_000n && time < start + 10_000_000_000n);
        last = time;
        assert.ok(ids.has(record.view.getUint16(out.offsets[i]!, true)));
      }
      total += out.count;
    }
    assert.equal(reader.truncatedBytes, 0);
    await reader.close();
  }
  assert.ok(total > 4000, `only ${total} events`);
});
