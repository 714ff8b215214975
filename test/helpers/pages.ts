// Builders of ftrace ring-buffer pages, event records and whole capture
// directories, for tests that need cases a real kernel rarely produces.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventFormat } from '../../src/backends/ftrace/event-format.js';
import { CAPTURE_MANIFEST, PAGE_RECORD_HEADER_SIZE, pagesFileName, type CaptureManifest } from '../../src/backends/ftrace/capture-files.js';

export type PageItem =
  /** A data event; type_len 0 (length in array[0]) when `long` or when it does not fit in 28 words. */
  | { kind: 'data'; delta: number; payload: Uint8Array; long?: boolean }
  /** A time extend of `delta` ns (type_len 30). */
  | { kind: 'extend'; delta: number }
  /** An absolute time stamp (type_len 31): its low 59 bits. */
  | { kind: 'absolute'; timestamp: bigint }
  /** A discarded event: padding that keeps its length (type_len 29, time_delta != 0). */
  | { kind: 'discarded'; delta: number; length: number }
  /** Padding with time_delta 0: the rest of the page is empty. */
  | { kind: 'end' };

export interface PageSpec {
  timestamp: bigint;
  items: PageItem[];
  pageSize?: number;
  /** Lost before this page: a count stored after the data, or 'unstored'. */
  missed?: number | 'unstored';
}

export const HEADER_PAGE = `\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;
\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;
\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;
`;

export const HEADER_EVENT = `# compressed entry header
\ttype_len    :    5 bits
\ttime_delta  :   27 bits
\tarray       :   32 bits

\tpadding     : type == 29
\ttime_extend : type == 30
\ttime_stamp : type == 31
\tdata max type_len  == 28
`;

export function buildPage(spec: PageSpec): Uint8Array {
  const size = spec.pageSize ?? 4096;
  const page = new Uint8Array(size);
  const view = new DataView(page.buffer);
  view.setBigUint64(0, spec.timestamp, true);
  let at = 16;
  const header = (typeLen: number, delta: number) => {
    if (delta >= 2 ** 27) throw new Error(`delta ${delta} needs a time extend`);
    view.setUint32(at, (delta * 32 + typeLen) >>> 0, true);
    at += 4;
  };
  for (const item of spec.items) {
    switch (item.kind) {
      case 'data': {
        const padded = Math.ceil(item.payload.length / 4) * 4;
        if (item.long || padded > 28 * 4) {
          header(0, item.delta);
          view.setUint32(at, padded + 4, true);
          at += 4;
        } else {
          header(padded / 4, item.delta);
        }
        page.set(item.payload, at);
        at += padded;
        break;
      }
      case 'extend':
        header(30, item.delta % 2 ** 27);
        view.setUint32(at, Math.floor(item.delta / 2 ** 27), true);
        at += 4;
        break;
      case 'absolute':
        header(31, Number(item.timestamp & ((1n << 27n) - 1n)));
        view.setUint32(at, Number((item.timestamp >> 27n) & 0xffffffffn), true);
        at += 4;
        break;
      case 'discarded':
        header(29, item.delta || 1);
        view.setUint32(at, item.length - 4, true);
        at += item.length - 4;
        break;
      case 'end':
        header(29, 0);
        break;
    }
  }
  const dataLength = at - 16;
  let commit = dataLength;
  if (spec.missed !== undefined) {
    commit += 2 ** 31;
    if (spec.missed !== 'unstored') {
      commit += 2 ** 30;
      view.setBigUint64(at, BigInt(spec.missed), true);
    }
  }
  view.setBigUint64(8, BigInt(commit), true);
  return page;
}

/**
 * One record of the event whose kernel format text is `format`: integer and
 * char[] fields from `values`, __data_loc char[] strings appended at the end.
 */
export function encodeRecord(format: string, values: Record<string, number | bigint | string>): Uint8Array {
  const parsed = parseEventFormat(format);
  const fields = [...parsed.commonFields, ...parsed.fields];
  const fixedEnd = Math.max(...fields.map((f) => f.offset + f.size));
  const dynamic = fields.filter((f) => f.layout.kind === 'dynamic' && typeof values[f.name] === 'string');
  const encoder = new TextEncoder();
  const strings = dynamic.map((f) => encoder.encode(`${values[f.name] as string}\0`));
  const record = new Uint8Array(fixedEnd + strings.reduce((n, s) => n + s.length, 0));
  const view = new DataView(record.buffer);
  const all: Record<string, number | bigint | string> = { common_type: parsed.id, ...values };
  for (const field of fields) {
    const value = all[field.name];
    if (value === undefined || field.layout.kind === 'dynamic') continue;
    if (typeof value === 'string') {
      record.set(encoder.encode(value).subarray(0, field.size - 1), field.offset);
    } else if (field.size === 8) {
      view.setBigUint64(field.offset, BigInt.asUintN(64, BigInt(value)), true);
    } else {
      const n = Number(value);
      if (field.size === 4) view.setUint32(field.offset, n >>> 0, true);
      else if (field.size === 2) view.setUint16(field.offset, n & 0xffff, true);
      else view.setUint8(field.offset, n & 0xff);
    }
  }
  let at = fixedEnd;
  dynamic.forEach((field, i) => {
    const bytes = strings[i]!;
    record.set(bytes, at);
    view.setUint32(field.offset, (bytes.length << 16) | at, true);
    at += bytes.length;
  });
  return record;
}

export interface CpuPages {
  cpu: number;
  /** Each page with its record header's drain number and lost-so-far count (0 by default). */
  pages: Array<{ page: Uint8Array; drain?: number; lostSoFar?: number }>;
}

/** Writes a capture directory: `manifest` (cpus from `perCpu`) and the pages. */
export function writeCapture(dir: string, manifest: Omit<CaptureManifest, 'cpus'>, perCpu: CpuPages[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CAPTURE_MANIFEST), JSON.stringify({ ...manifest, cpus: perCpu.map((c) => c.cpu) }));
  for (const { cpu, pages } of perCpu) {
    const parts: Uint8Array[] = [];
    for (const { page, drain = 0, lostSoFar = 0 } of pages) {
      const header = new DataView(new ArrayBuffer(PAGE_RECORD_HEADER_SIZE));
      header.setUint32(0, page.length, true);
      header.setUint32(4, drain, true);
      header.setBigUint64(8, BigInt(lostSoFar), true);
      parts.push(new Uint8Array(header.buffer), page);
    }
    writeFileSync(join(dir, pagesFileName(cpu)), Buffer.concat(parts));
  }
}
