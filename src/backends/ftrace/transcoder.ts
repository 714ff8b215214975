// Turns one ftrace event record into the payload of a CTF event. Each
// event class gets a plan built once from its format: a short list of
// operations with precomputed offsets, where neighbouring fixed fields
// merge into one copy (both sides are little-endian, byte-aligned
// integers), so most events are one word-wise copy.

import type { ElementSize, FormatField } from './event-format.js';
import type { CtfField, CtfType } from '../../ctf/tsdl.js';
import { ctfString, textArray, uint32 } from '../../ctf/tsdl.js';

/** One field of the record, as it goes out. */
export interface FieldPlan {
  source: FormatField;
  name: string;
  /** Write only the low `size` bytes of an integer (little-endian), with this signedness. */
  narrow?: { size: 1 | 2 | 4; signed: boolean };
  /** The record has a user-space pointer here; the event gets the string it points to, read beside the trace. */
  injectedString?: true;
}

export interface Transcoder {
  fields: CtfField[];
  ops: Int32Array;
  /** Output bytes of the fixed-size fields. */
  fixedBytes: number;
  /** Fields whose output size depends on the record. */
  dynamicCount: number;
}

const OP_COPY = 1; // srcOffset, length
const OP_STRING = 2; // srcOffset of the locator, relative (0|1)
const OP_SEQUENCE = 3; // srcOffset of the locator, relative (0|1), elementSize
const OP_TAIL_STRING = 4; // srcOffset
const OP_TAIL_SEQUENCE = 5; // srcOffset, elementSize
const OP_INJECTED_STRING = 6; // (the string passed to transcode)
const OP_INJECTED_BYTES = 7; // (the bytes passed to transcode, already laid out as the appended fields)

/** `appended` are fields the record does not have, written from the bytes passed to transcode. */
export function buildTranscoder(plans: FieldPlan[], appended: CtfField[] = []): Transcoder {
  const fields: CtfField[] = [];
  const ops: number[] = [];
  let fixedBytes = 0;
  let dynamicCount = 0;
  const copy = (offset: number, length: number) => {
    const n = ops.length;
    // Extend the previous copy when this one starts where it ended.
    if (n >= 3 && ops[n - 3] === OP_COPY && ops[n - 2]! + ops[n - 1]! === offset) ops[n - 1]! += length;
    else ops.push(OP_COPY, offset, length);
    fixedBytes += length;
  };

  for (const { source, name, narrow, injectedString } of plans) {
    const layout = source.layout;
    if (injectedString) {
      fields.push({ name, type: ctfString });
      ops.push(OP_INJECTED_STRING);
      dynamicCount++;
      continue;
    }
    const base = source.pointer ? 16 : 10;
    switch (layout.kind) {
      case 'integer': {
        const size = narrow?.size ?? source.size;
        fields.push({ name, type: integer(size as ElementSize, narrow?.signed ?? source.signed, base) });
        copy(source.offset, size);
        break;
      }
      case 'array': {
        const element = layout.text ? textArray(layout.length) : null;
        fields.push({
          name,
          type: element ?? { kind: 'array', element: integer(layout.elementSize, source.signed, base), length: layout.length },
        });
        copy(source.offset, layout.length * layout.elementSize);
        break;
      }
      case 'dynamic': {
        dynamicCount++;
        const tail = layout.location === 'tail';
        const relative = layout.location === 'rel_loc' ? 1 : 0;
        if (layout.text) {
          fields.push({ name, type: ctfString });
          if (tail) ops.push(OP_TAIL_STRING, source.offset);
          else ops.push(OP_STRING, source.offset, relative);
        } else {
          const lengthField = `_${name}_length`;
          fields.push({ name: lengthField, type: uint32 });
          fields.push({
            name,
            type: { kind: 'sequence', element: integer(layout.elementSize, source.signed, base), lengthField },
          });
          if (tail) ops.push(OP_TAIL_SEQUENCE, source.offset, layout.elementSize);
          else ops.push(OP_SEQUENCE, source.offset, relative, layout.elementSize);
        }
        break;
      }
    }
  }
  if (appended.length > 0) {
    fields.push(...appended);
    ops.push(OP_INJECTED_BYTES);
  }
  return { fields, ops: Int32Array.from(ops), fixedBytes, dynamicCount };
}

/** An upper bound of the payload size of a record of `recordLength` bytes, with `injected` bytes of strings. */
export function maxPayloadBytes(t: Transcoder, recordLength: number, injected = 0): number {
  // A dynamic field holds at most the whole record, plus a length word or a NUL.
  return t.fixedBytes + t.dynamicCount * (recordLength + 4) + injected;
}

/**
 * Writes the payload of the record at `rec` (of `length` bytes) at `at` in
 * the output; returns the offset just past it. `injected` is the text of an
 * injected string field (none: an empty string), or the bytes of appended fields.
 */
export function transcode(
  ops: Int32Array,
  src: DataView,
  srcBytes: Uint8Array,
  rec: number,
  length: number,
  dst: DataView,
  dstBytes: Uint8Array,
  at: number,
  injected: Uint8Array | null = null,
): number {
  const recEnd = rec + length;
  for (let i = 0; i < ops.length; ) {
    switch (ops[i]) {
      case OP_COPY: {
        const from = rec + ops[i + 1]!;
        const n = ops[i + 2]!;
        i += 3;
        if (from + n <= recEnd) {
          at = copyBytes(src, srcBytes, from, n, dst, dstBytes, at);
        } else {
          // A record shorter than its format: zeros for what is missing.
          const present = Math.max(0, recEnd - from);
          at = copyBytes(src, srcBytes, from, present, dst, dstBytes, at);
          dstBytes.fill(0, at, at + n - present);
          at += n - present;
        }
        break;
      }
      case OP_STRING:
      case OP_SEQUENCE: {
        const field = rec + ops[i + 1]!;
        const relative = ops[i + 2] === 1;
        const sequence = ops[i] === OP_SEQUENCE;
        const elementSize = sequence ? ops[i + 3]! : 1;
        i += sequence ? 4 : 3;
        const loc = field + 4 <= recEnd ? src.getUint32(field, true) : 0;
        const start = (relative ? field + 4 : rec) + (loc & 0xffff);
        const end = Math.min(start + (loc >>> 16), recEnd);
        at = sequence ? writeSequence(srcBytes, start, end, elementSize, dst, dstBytes, at) : writeString(srcBytes, start, end, dstBytes, at);
        break;
      }
      case OP_TAIL_STRING:
        at = writeString(srcBytes, rec + ops[i + 1]!, recEnd, dstBytes, at);
        i += 2;
        break;
      case OP_TAIL_SEQUENCE:
        at = writeSequence(srcBytes, rec + ops[i + 1]!, recEnd, ops[i + 2]!, dst, dstBytes, at);
        i += 3;
        break;
      case OP_INJECTED_STRING:
        at = writeString(injected ?? srcBytes, 0, injected ? injected.length : 0, dstBytes, at);
        i += 1;
        break;
      case OP_INJECTED_BYTES:
        if (injected) {
          dstBytes.set(injected, at);
          at += injected.length;
        }
        i += 1;
        break;
      default:
        throw new Error(`internal: bad transcoder op ${ops[i]}`);
    }
  }
  return at;
}

function copyBytes(
  src: DataView,
  srcBytes: Uint8Array,
  from: number,
  n: number,
  dst: DataView,
  dstBytes: Uint8Array,
  at: number,
): number {
  const stop = at + n;
  // Word by word: far cheaper than a typed-array copy for the few bytes of an event.
  for (; at + 4 <= stop; at += 4, from += 4) dst.setUint32(at, src.getUint32(from, true), true);
  while (at < stop) dstBytes[at++] = srcBytes[from++]!;
  return stop;
}

function writeString(srcBytes: Uint8Array, start: number, end: number, dstBytes: Uint8Array, at: number): number {
  for (let p = start; p < end; p++) {
    const b = srcBytes[p]!;
    if (b === 0) break;
    dstBytes[at++] = b;
  }
  dstBytes[at++] = 0;
  return at;
}

function writeSequence(
  srcBytes: Uint8Array,
  start: number,
  end: number,
  elementSize: number,
  dst: DataView,
  dstBytes: Uint8Array,
  at: number,
): number {
  const count = start < end ? Math.floor((end - start) / elementSize) : 0;
  dst.setUint32(at, count, true);
  at += 4;
  const n = count * elementSize;
  dstBytes.set(srcBytes.subarray(start, start + n), at);
  return at + n;
}

function integer(size: ElementSize, signed: boolean, base: 10 | 16): CtfType {
  return { kind: 'integer', size: (size * 8) as 8 | 16 | 32 | 64, signed, base };
}
