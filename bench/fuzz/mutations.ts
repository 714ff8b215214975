// The fuzzer's cases: pure functions of (corpus, seed, case number), so any
// failing case can be rebuilt from the two numbers the report prints. A case
// is one corpus trace (large ones cut down to one or two stream files), one
// to three mutations, and the command that reads it.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { unpackMetadata } from '../../src/ctf/metadata-file.js';
import { alignmentOf, type StructClass } from '../../src/ctf/metadata-model.js';
import { parseMetadataText } from '../../src/ctf/metadata-parser.js';
import { findTraceDirs } from '../../src/ctf/trace-reader.js';

/** An integer in [0, limit). */
export type Rng = (limit: number) => number;

/** mulberry32: small, fast, and the same sequence on every machine. */
export function randomSource(seed: number): Rng {
  let state = seed | 0;
  return (limit) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * limit);
  };
}

/** Each case's own seed: cases do not depend on the ones before them. */
export function caseSeed(seed: number, index: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
}

/** A fixed-place integer of the packet header or context (byte offset from the packet's start). */
interface PacketField {
  name: string;
  offset: number;
  bytes: number;
  littleEndian: boolean;
}

export interface BaseTrace {
  /** Relative to the corpus. */
  name: string;
  files: Array<{ name: string; bytes: Buffer }>;
  /** Packet header and context fields at fixed offsets, when the metadata parses. */
  packetFields: PacketField[];
}

export type FuzzCommand = 'text' | 'jsonl' | 'perfetto' | 'analyze';
export const COMMANDS: readonly FuzzCommand[] = ['text', 'jsonl', 'perfetto', 'analyze'];

export interface FuzzCase {
  index: number;
  trace: string;
  command: FuzzCommand;
  mutations: string[];
  files: Array<{ name: string; bytes: Buffer }>;
}

/** Every trace directory of the corpus, with its files (not subdirectories: the reader ignores them). */
export function loadCorpus(corpus: string): BaseTrace[] {
  return findTraceDirs(corpus).map((dir) => {
    const files = readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isFile())
      .sort()
      .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
    return { name: relative(corpus, dir), files, packetFields: packetFields(files) };
  });
}

/** The fields at fixed offsets at the start of each packet: header, then context, up to the first of variable place. */
function packetFields(files: Array<{ name: string; bytes: Buffer }>): PacketField[] {
  const metadata = files.find((f) => f.name === 'metadata');
  if (!metadata) return [];
  let model;
  try {
    model = parseMetadataText(unpackMetadata(metadata.bytes, 'metadata'));
  } catch {
    return [];
  }
  const fields: PacketField[] = [];
  let bit = 0;
  const walk = (struct: StructClass | null): boolean => {
    if (!struct) return true;
    bit = align(bit, alignmentOf(struct));
    for (const member of struct.members) {
      const type = member.type.kind === 'enum' ? member.type.container : member.type;
      if (type.kind === 'array' && type.element.kind === 'int' && type.element.size === 8) {
        bit = align(bit, 8) + type.length * 8;
        continue;
      }
      if (type.kind !== 'int' || type.size % 8 !== 0 || type.align % 8 !== 0) return false;
      bit = align(bit, type.align);
      const order = type.byteOrder === 'native' ? model.byteOrder : type.byteOrder;
      fields.push({ name: member.name, offset: bit / 8, bytes: type.size / 8, littleEndian: order === 'le' });
      bit += type.size;
    }
    return true;
  };
  if (walk(model.packetHeader)) walk(model.streams.values().next().value?.packetContext ?? null);
  return fields;
}

const align = (bit: number, to: number) => Math.ceil(bit / to) * to;

const PACKET_MAGIC_LE = Buffer.from([0xc1, 0x1f, 0xfc, 0xc1]);
const PACKET_MAGIC_BE = Buffer.from([0xc1, 0xfc, 0x1f, 0xc1]);

function packetStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (const magic of [PACKET_MAGIC_LE, PACKET_MAGIC_BE]) {
    for (let at = bytes.indexOf(magic); at >= 0 && starts.length < 256; at = bytes.indexOf(magic, at + 4)) starts.push(at);
  }
  return starts.length > 0 ? starts : [0];
}

/** Values a damaged or hostile field takes: edges of its width, and 2^63 (a length that must not allocate). */
function extremeValue(rng: Rng, bytes: number): bigint {
  const bits = BigInt(bytes * 8);
  const max = (1n << bits) - 1n;
  const choices = [0n, 1n, max, max - 1n, 1n << (bits - 1n), (1n << (bits - 1n)) - 1n, BigInt(rng(0x7fffffff)) & max];
  if (bytes === 8) choices.push(1n << 63n, 1n << 40n, 1n << 32n);
  return choices[rng(choices.length)]!;
}

function writeUint(bytes: Buffer, offset: number, width: number, value: bigint, littleEndian: boolean): void {
  for (let i = 0; i < width && offset + i < bytes.length; i++) {
    const byte = Number((value >> BigInt(8 * i)) & 0xffn);
    bytes[littleEndian ? offset + i : offset + width - 1 - i] = byte;
  }
}

type FileMutation = (rng: Rng, bytes: Buffer, trace: BaseTrace) => { bytes: Buffer; says: string };

const FILE_MUTATIONS: Record<string, FileMutation> = {
  flip: (rng, bytes) => {
    const copy = Buffer.from(bytes);
    const count = 1 + rng(8);
    const at: number[] = [];
    for (let i = 0; i < count && copy.length > 0; i++) {
      const offset = rng(copy.length);
      copy[offset]! ^= 1 + rng(255);
      at.push(offset);
    }
    return { bytes: copy, says: `flip bytes ${at.join(',')}` };
  },
  cut: (rng, bytes) => {
    const at = rng(bytes.length + 1);
    return { bytes: bytes.subarray(0, at), says: `cut at ${at}` };
  },
  insert: (rng, bytes) => {
    const at = rng(bytes.length + 1);
    const extra = Buffer.alloc(1 + rng(64));
    for (let i = 0; i < extra.length; i++) extra[i] = rng(256);
    return { bytes: Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]), says: `insert ${extra.length} bytes at ${at}` };
  },
  remove: (rng, bytes) => {
    const at = rng(bytes.length + 1);
    const length = 1 + rng(256);
    return { bytes: Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + length)]), says: `remove ${length} bytes at ${at}` };
  },
  'extreme-bytes': (rng, bytes) => {
    const copy = Buffer.from(bytes);
    const at = rng(copy.length + 1);
    const width = [1, 2, 4, 8][rng(4)]!;
    const value = extremeValue(rng, width);
    writeUint(copy, at, width, value, rng(2) === 0);
    return { bytes: copy, says: `${width} bytes at ${at} = ${value}` };
  },
  'packet-field': (rng, bytes, trace) => {
    const copy = Buffer.from(bytes);
    const field = trace.packetFields[rng(trace.packetFields.length)];
    if (!field) return FILE_MUTATIONS['extreme-bytes']!(rng, bytes, trace);
    const starts = packetStarts(copy);
    const packet = starts[rng(starts.length)]!;
    const value = extremeValue(rng, field.bytes);
    writeUint(copy, packet + field.offset, field.bytes, value, field.littleEndian);
    return { bytes: copy, says: `packet at ${packet}: ${field.name} = ${value}` };
  },
};

const EXTREME_NUMBERS = ['0', '1', '7', '63', '64', '65', '128', '4294967296', '9223372036854775808', '18446744073709551615', '-1', '0x7fffffff'];
const KEYWORD_SWAPS: Array<[RegExp, string[]]> = [
  [/\b(integer|string|floating_point)\b/g, ['integer', 'string', 'floating_point']],
  [/\b(struct|variant|enum)\b/g, ['struct', 'variant', 'enum']],
  [/\b(le|be|network|native)\b/g, ['le', 'be']],
  [/\b(size|align|signed|base|encoding)\b/g, ['size', 'align', 'signed', 'base', 'encoding', 'map']],
  [/\b(id|stream_id|name)\b/g, ['id', 'stream_id', 'name']],
];

/** Edits of the TSDL text; the result is written as plain-text metadata. */
const TEXT_MUTATIONS: Record<string, (rng: Rng, text: string) => { text: string; says: string }> = {
  number: (rng, text) => {
    const numbers = [...text.matchAll(/\b\d+\b/g)];
    const pick = numbers[rng(numbers.length)];
    if (!pick) return { text, says: 'no number' };
    const value = EXTREME_NUMBERS[rng(EXTREME_NUMBERS.length)]!;
    return { text: text.slice(0, pick.index) + value + text.slice(pick.index! + pick[0].length), says: `number at ${pick.index} = ${value}` };
  },
  keyword: (rng, text) => {
    const [pattern, words] = KEYWORD_SWAPS[rng(KEYWORD_SWAPS.length)]!;
    const found = [...text.matchAll(pattern)];
    const pick = found[rng(found.length)];
    if (!pick) return { text, says: 'no keyword' };
    const word = words[rng(words.length)]!;
    return { text: text.slice(0, pick.index) + word + text.slice(pick.index! + pick[0].length), says: `${pick[0]} at ${pick.index} -> ${word}` };
  },
  'drop-line': (rng, text) => {
    const lines = text.split('\n');
    const at = rng(lines.length);
    lines.splice(at, 1);
    return { text: lines.join('\n'), says: `drop line ${at + 1}` };
  },
  'repeat-line': (rng, text) => {
    const lines = text.split('\n');
    const at = rng(lines.length);
    lines.splice(at, 0, lines[at]!);
    return { text: lines.join('\n'), says: `repeat line ${at + 1}` };
  },
  'cut-text': (rng, text) => {
    const at = rng(text.length + 1);
    return { text: text.slice(0, at), says: `cut text at ${at}` };
  },
  'insert-text': (rng, text) => {
    const pieces = ['{', '}', ';', '[', ']', '"', '\\', '/*', ':=', '<', 'x', '\0', '\u00ff', ' typealias ', ' struct { } '];
    const at = rng(text.length + 1);
    const piece = pieces[rng(pieces.length)]!;
    return { text: text.slice(0, at) + piece + text.slice(at), says: `insert ${JSON.stringify(piece)} at ${at}` };
  },
};

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng(items.length)]!;
}

/** The case of this number: which trace, which files of it, which damage, which command. */
export function makeCase(corpus: BaseTrace[], seed: number, index: number): FuzzCase {
  const rng = randomSource(caseSeed(seed, index));
  // Half the cases from the real LTTng traces, half from babeltrace2's many small ones.
  const real = corpus.filter((t) => !t.name.startsWith('babeltrace-tests'));
  const trace = pick(rng, real.length > 0 && rng(2) === 0 ? real : corpus);
  const metadata = trace.files.find((f) => f.name === 'metadata');
  let files = trace.files.map((f) => ({ name: f.name, bytes: f.bytes }));
  // Large traces: one or two stream files of them, so that ten thousand cases take minutes.
  const streams = files.filter((f) => f.name !== 'metadata');
  if (streams.length > 2 && streams.reduce((sum, f) => sum + f.bytes.length, 0) > 1 << 20) {
    const kept = new Set([pick(rng, streams).name, pick(rng, streams).name]);
    files = files.filter((f) => f.name === 'metadata' || kept.has(f.name));
  }
  const mutations: string[] = [];
  const count = 1 + (rng(4) === 0 ? 1 + rng(2) : 0);
  for (let i = 0; i < count; i++) {
    const victim = files[rng(files.length)]!;
    // Two thirds of the metadata's damage is to its text, the rest to its bytes (packet headers too).
    if (victim.name === 'metadata' && metadata && rng(3) > 0) {
      let text: string;
      try {
        text = unpackMetadata(victim.bytes, 'metadata');
      } catch {
        text = victim.bytes.toString('latin1');
      }
      const name = pick(rng, Object.keys(TEXT_MUTATIONS));
      const edit = TEXT_MUTATIONS[name]!(rng, text);
      victim.bytes = Buffer.from(edit.text, 'latin1');
      mutations.push(`metadata text: ${edit.says}`);
    } else {
      const name = pick(rng, Object.keys(FILE_MUTATIONS));
      const edit = FILE_MUTATIONS[name]!(rng, victim.bytes, trace);
      victim.bytes = edit.bytes;
      mutations.push(`${victim.name}: ${edit.says}`);
    }
  }
  return { index, trace: trace.name, command: pick(rng, COMMANDS), mutations, files };
}
