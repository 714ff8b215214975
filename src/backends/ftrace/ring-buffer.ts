// Decoder of ftrace ring-buffer pages (sub-buffers) as read from
// per_cpu/cpu<N>/trace_pipe_raw.
//
// A page is a header (u64 timestamp, then the `commit` word: data length in
// the low bits, RB_MISSED_* flags in bits 31 and 30) and then events. Each
// event starts with a u32: type_len in the low 5 bits, time_delta in the
// high 27. Reference: the kernel's kernel/trace/ring_buffer.c
// (rb_event_length, rb_event_data, rb_update_read_stamp, rb_fix_abs_ts,
// ring_buffer_read_page) and libtraceevent's kbuffer-parse.c.
//
// Event times are returned as ns offsets from the page timestamp (numbers:
// exact, since they stay far below 2^53 within a page); the page timestamp
// itself is a bigint.

import { parseFormatFields } from './event-format.js';
import type { TimestampNs } from '../../util/timestamp.js';

const TYPE_LEN_DATA_MAX = 28;
const TYPE_LEN_PADDING = 29;
const TYPE_LEN_TIME_EXTEND = 30;
const TYPE_LEN_TIME_STAMP = 31;
const TS_SHIFT = 27;
const TIME_DELTA_SCALE = 2 ** TS_SHIFT;

/** Events were lost before this page. */
const RB_MISSED_EVENTS = 2 ** 31;
/** ... and their count is stored right after the data. */
const RB_MISSED_STORED = 2 ** 30;
/** The data length part of `commit` (kbuffer's COMMIT_MASK). */
const COMMIT_MASK = 2 ** 27 - 1;

/** The absolute-time event holds 59 bits; the 5 high bits come from the page (TS_MSB). */
const TS_MSB = 0xf8n << 56n;

/** Where the page header fields are, from events/header_page. */
export interface PageLayout {
  timestampOffset: number;
  commitOffset: number;
  /** sizeof(local_t): 8 on 64-bit kernels, 4 on 32-bit ones; also the size of the stored missed count. */
  commitSize: 4 | 8;
  dataOffset: number;
}

export function parsePageLayout(headerPage: string): PageLayout {
  const fields = new Map(parseFormatFields(headerPage).map((f) => [f.name, f]));
  const timestamp = fields.get('timestamp');
  const commit = fields.get('commit');
  const data = fields.get('data');
  if (!timestamp || !commit || !data || (commit.size !== 4 && commit.size !== 8)) {
    throw new Error(`unexpected events/header_page: ${headerPage.trim().replaceAll('\n', ' | ')}`);
  }
  return { timestampOffset: timestamp.offset, commitOffset: commit.offset, commitSize: commit.size, dataOffset: data.offset };
}

/** Refuses an events/header_event that does not describe the event header this decoder reads. */
export function checkHeaderEvent(headerEvent: string): void {
  const expect = (pattern: RegExp, what: string) => {
    if (!pattern.test(headerEvent)) throw new Error(`unsupported ring-buffer event header (${what}): ${headerEvent.trim()}`);
  };
  expect(/type_len\s*:\s*5 bits/, 'type_len');
  expect(/time_delta\s*:\s*27 bits/, 'time_delta');
  expect(new RegExp(`padding\\s*:\\s*type == ${TYPE_LEN_PADDING}\\b`), 'padding');
  expect(new RegExp(`time_extend\\s*:\\s*type == ${TYPE_LEN_TIME_EXTEND}\\b`), 'time_extend');
  expect(new RegExp(`time_stamp\\s*:\\s*type == ${TYPE_LEN_TIME_STAMP}\\b`), 'time_stamp');
  expect(new RegExp(`data max type_len\\s*==\\s*${TYPE_LEN_DATA_MAX}\\b`), 'data max type_len');
}

/**
 * The events of one page, as columns. Reused from page to page: decodePage
 * overwrites it, so nothing is allocated per event.
 */
export class PageEvents {
  count = 0;
  timestamp = 0n as TimestampNs;
  /** Bytes of event data on the page (the commit length). */
  dataLength = 0;
  /** Events lost just before this page: 0, their count, or -1 when the kernel flagged a loss without room to store the count. */
  missedEvents = 0;
  /** ns from the page timestamp. */
  deltas: Float64Array;
  /** Where each event's payload starts, as a byte offset in the DataView given to decodePage. */
  offsets: Uint32Array;
  /** Payload lengths in bytes (rounded up to 4 by the ring buffer). */
  lengths: Uint32Array;

  constructor(capacity = 512) {
    this.deltas = new Float64Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
  }

  private grow(): void {
    const deltas = new Float64Array(this.deltas.length * 2);
    const offsets = new Uint32Array(deltas.length);
    const lengths = new Uint32Array(deltas.length);
    deltas.set(this.deltas);
    offsets.set(this.offsets);
    lengths.set(this.lengths);
    this.deltas = deltas;
    this.offsets = offsets;
    this.lengths = lengths;
  }

  push(delta: number, offset: number, length: number): void {
    if (this.count === this.deltas.length) this.grow();
    this.deltas[this.count] = delta;
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.count++;
  }
}

/**
 * Decodes the page of `size` bytes at `start` in `view` into `out`.
 * A malformed event ends the page (what was decoded before it is kept).
 */
export function decodePage(view: DataView, start: number, size: number, layout: PageLayout, out: PageEvents): void {
  out.count = 0;
  const pageTimestamp = view.getBigUint64(start + layout.timestampOffset, true) as TimestampNs;
  out.timestamp = pageTimestamp;
  const commit = view.getUint32(start + layout.commitOffset, true);
  const dataStart = start + layout.dataOffset;
  const dataLength = Math.min(commit & COMMIT_MASK, size - layout.dataOffset);
  out.dataLength = dataLength;
  out.missedEvents = 0;
  if (commit & RB_MISSED_EVENTS) {
    const countAt = dataStart + dataLength;
    const stored = (commit & RB_MISSED_STORED) !== 0 && countAt + layout.commitSize <= start + size;
    out.missedEvents = !stored
      ? -1
      : layout.commitSize === 8
        ? Number(view.getBigUint64(countAt, true))
        : view.getUint32(countAt, true);
  }

  const end = dataStart + dataLength;
  let pos = dataStart;
  let time = 0;
  while (pos + 4 <= end) {
    const word = view.getUint32(pos, true);
    const typeLen = word & 0x1f;
    const timeDelta = word >>> 5;
    if (typeLen === 0) {
      if (pos + 8 > end) break;
      // array[0] holds the payload length plus its own 4 bytes (rb_update_event).
      const length = view.getUint32(pos + 4, true) - 4;
      if (length < 0 || pos + 8 + length > end) break;
      time += timeDelta;
      out.push(time, pos + 8, length);
      pos += 8 + ((length + 3) & ~3);
    } else if (typeLen <= TYPE_LEN_DATA_MAX) {
      const length = typeLen * 4;
      if (pos + 4 + length > end) break;
      time += timeDelta;
      out.push(time, pos + 4, length);
      pos += 4 + length;
    } else if (typeLen === TYPE_LEN_PADDING) {
      // A null padding ends the page; a discarded event keeps its length in
      // array[0] and does not move the clock (rb_update_read_stamp).
      if (timeDelta === 0 || pos + 8 > end) break;
      pos += 4 + view.getUint32(pos + 4, true);
    } else if (typeLen === TYPE_LEN_TIME_EXTEND) {
      if (pos + 8 > end) break;
      time += view.getUint32(pos + 4, true) * TIME_DELTA_SCALE + timeDelta;
      pos += 8;
    } else {
      if (pos + 8 > end) break;
      const absolute = (BigInt(view.getUint32(pos + 4, true)) << BigInt(TS_SHIFT)) + BigInt(timeDelta);
      time = Number(fixAbsoluteTimestamp(absolute, pageTimestamp) - pageTimestamp);
      pos += 8;
    }
  }
}

/** rb_fix_abs_ts: puts back the 5 high bits an absolute time stamp cannot hold. */
function fixAbsoluteTimestamp(absolute: bigint, reference: bigint): bigint {
  if ((reference & TS_MSB) === 0n) return absolute;
  let fixed = absolute | (reference & TS_MSB);
  if (fixed < reference) fixed += 1n << 59n;
  return fixed;
}
