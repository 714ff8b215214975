// Events -> babeltrace2's default text (the `sink.text.pretty` component),
// byte for byte. Reference: babeltrace src/plugins/text/pretty/print.c, and
// which fields reach its output: src/plugins/ctf/common/metadata/
// ctf-meta-update-in-ir.c (fields with a special meaning or mapped to a clock
// are dropped unless a sequence or variant refers to them).
//
// Speed matters (millions of lines): each event class gets writers, built
// once, that put bytes straight into a reusable chunk; no line strings.

import type { FieldValue, VariantValue } from '../ctf/field-decoder.js';
import { isTextElement } from '../ctf/field-decoder.js';
import { displayName, type EventClass, type FieldClass, type IntegerClass, type StructClass } from '../ctf/metadata-model.js';
import {
  absoluteNs,
  PACKET_CONTEXT_MEANINGS,
  timeOf,
  type BackwardsPacketNotice,
  type CtfEvent,
  type DiscardedNotice,
  type MessageTime,
  type TimeBase,
} from '../ctf/trace-reader.js';

const NS_PER_SECOND = 1_000_000_000n;

/** Output bytes being gathered; grows only for a line larger than its room. */
export class ByteChunk {
  bytes: Buffer;
  /** Over `bytes`: line writers store constant text four bytes at a time. */
  view: DataView;
  pos = 0;

  constructor(private readonly size: number) {
    this.bytes = Buffer.allocUnsafe(size);
    this.view = viewOf(this.bytes);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.pos + n));
      this.bytes.copy(bigger, 0, 0, this.pos);
      this.bytes = bigger;
      this.view = viewOf(bigger);
    }
  }

  /** One byte per char: strings hold the trace's bytes. */
  latin1(text: string): void {
    this.reserve(text.length);
    this.pos += this.bytes.write(text, this.pos, 'latin1');
  }

  utf8(text: string): void {
    this.reserve(text.length * 3);
    this.pos += this.bytes.write(text, this.pos, 'utf8');
  }

  put(piece: Uint8Array): void {
    const length = piece.length;
    this.reserve(length);
    const bytes = this.bytes;
    const pos = this.pos;
    // A loop beats a native copy for the short pieces of a line.
    if (length < 32) for (let i = 0; i < length; i++) bytes[pos + i] = piece[i]!;
    else bytes.set(piece, pos);
    this.pos = pos + length;
  }

  /** What was gathered; the chunk starts over in a new buffer (the writer may still hold this one). */
  take(): Buffer {
    const full = this.bytes.subarray(0, this.pos);
    this.bytes = Buffer.allocUnsafe(this.size);
    this.view = viewOf(this.bytes);
    this.pos = 0;
    return full;
  }
}

const viewOf = (bytes: Buffer): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

type Writer = (out: ByteChunk, value: FieldValue) => void;
type LineWriter = (out: ByteChunk, event: CtfEvent) => void;

const bytesOf = (text: string): Buffer => Buffer.from(text, 'latin1');
const UNKNOWN_DELTA = bytesOf('(+?.?????????) ');

/** Formats events one line each; keeps the previous timestamp for the delta. */
export class PrettyTextFormatter {
  /** The previous event's time (null before the first), and its second and ns in it when it is after the epoch. */
  private last: MessageTime | null = null;
  private lastSecond = -1;
  private lastNanos = 0;
  /** The second being printed: its start on the time base of `base` (NaN: none, or not exact as a number), its number, and `[HH:MM:SS.`. */
  private base: TimeBase | null = null;
  private secondStart = NaN;
  private second = -1;
  private secondText = bytesOf('');
  /** Everything after the time and delta, built once per event class. */
  private readonly lines = new Map<EventClass, LineWriter>();

  /** Appends one event as a line, with its '\n'. */
  write(out: ByteChunk, event: CtfEvent): void {
    let line = this.lines.get(event.eventClass);
    if (!line) {
      line = this.compileLine(event);
      this.lines.set(event.eventClass, line);
    }
    // Events of a stream class with no clock have no time: babeltrace2 prints no `[time] (+delta)`.
    if (event.streamClass.clock !== null) this.writeTime(out, event);
    line(out, event);
  }

  /** `[HH:MM:SS.nnnnnnnnn] (+S.nnnnnnnnn) `: numbers within a second of the last, bigints once a second and before the epoch. */
  private writeTime(out: ByteChunk, time: MessageTime): void {
    let nanos = time.nsExact === null && time.base === this.base ? time.ns - this.secondStart : NaN;
    if (!(nanos >= 0 && nanos < 1e9)) {
      const ns = absoluteNs(time);
      if (ns < 0n) {
        out.latin1(`[${formatClock(ns)}] (${this.slowDelta(time)}) `);
        this.lastSecond = -1;
        return;
      }
      const second = ns / NS_PER_SECOND;
      const secondStart = second * NS_PER_SECOND;
      this.base = time.base;
      this.secondStart = Number(secondStart - time.base.ns);
      if (!Number.isSafeInteger(this.secondStart)) this.secondStart = NaN;
      this.second = Number(second);
      this.secondText = bytesOf(`[${formatClock(secondStart).slice(0, -9)}`);
      nanos = Number(ns - secondStart);
    }
    out.put(this.secondText);
    out.reserve(48);
    const bytes = out.bytes;
    let pos = putPadded9(bytes, out.view, out.pos, nanos);
    bytes[pos++] = 0x5d; // ]
    bytes[pos++] = 0x20;
    out.pos = pos;
    const delta = (this.second - this.lastSecond) * 1e9 + (nanos - this.lastNanos);
    if (this.lastSecond < 0 || delta < 0 || !Number.isSafeInteger(delta)) {
      if (this.last === null) out.put(UNKNOWN_DELTA);
      else out.latin1(`(${this.slowDelta(time)}) `);
    } else {
      bytes[pos++] = 0x28; // (
      bytes[pos++] = 0x2b; // +
      const seconds = Math.floor(delta / 1e9);
      pos = putUint(bytes, pos, seconds);
      bytes[pos++] = 0x2e; // .
      pos = putPadded9(bytes, out.view, pos, delta - seconds * 1e9);
      bytes[pos++] = 0x29; // )
      bytes[pos++] = 0x20;
      out.pos = pos;
    }
    this.remember(time);
    this.lastSecond = this.second;
    this.lastNanos = nanos;
  }

  /** Keeps the time for the next delta: the event object is refilled by the reader. */
  private remember(time: MessageTime): void {
    if (this.last === null) this.last = timeOf(time);
    else {
      this.last.base = time.base;
      this.last.ns = time.ns;
      this.last.nsExact = time.nsExact;
    }
  }

  /** The delta in bigints: the first event, before the epoch, going backwards (wraps as an unsigned 64-bit value). */
  private slowDelta(time: MessageTime): string {
    const last = this.last === null ? null : absoluteNs(this.last);
    this.remember(time);
    if (last === null) return '+?.?????????';
    let delta = absoluteNs(time) - last;
    if (delta < 0n) delta = BigInt.asUintN(64, delta);
    return `+${delta / NS_PER_SECOND}.${(delta % NS_PER_SECOND).toString().padStart(9, '0')}`;
  }

  private compileLine(event: CtfEvent): LineWriter {
    const code = new LineCode();
    code.put(`${traceOrigin(event.trace.metadata.env)}${event.eventClass.name || '<unknown>'}: `);
    code.emit('let first = true;');
    const add = (type: StructClass | null, meanings: ReadonlySet<string> | null, field: 'packetContext' | 'streamContext' | 'context' | 'payload') => {
      const rules = { referenced: event.trace.referencedNames, meanings };
      if (!type || !isScopeVisible(type, rules)) return;
      const values = code.local();
      code.emit(`const ${values} = e.${field};`, `if (${values} !== null) {`, 'if (!first) {');
      code.put(', ');
      code.emit('}', 'first = false;');
      if (field === 'payload') code.struct(type, rules, true, values);
      else code.cachedStruct(type, rules, values);
      code.emit('}');
    };
    add(event.streamClass.packetContext, PACKET_CONTEXT_MEANINGS, 'packetContext');
    add(event.streamClass.eventContext, null, 'streamContext');
    add(event.eventClass.context, null, 'context');
    add(event.eventClass.payload, null, 'payload');
    code.put('\n');
    return code.build();
  }
}

/**
 * The source of one event class's line writer, every struct member inline.
 * It works on locals `b` (the bytes) and `p` (the position): room for all of
 * the line's constant text and numbers is reserved up front, and again after
 * each write of unbounded length (strings, arrays, the rare bigint), which
 * goes through the chunk.
 */
class LineCode {
  private readonly lines: string[] = [];
  private readonly bound: unknown[] = [];
  private locals = 0;
  /** Bytes the line's constant text and numbers can take. */
  private room = 0;

  /** A name in the generated code for this value. */
  bind(value: unknown): string {
    this.bound.push(value);
    return `b${this.bound.length - 1}`;
  }

  local(): string {
    return `v${this.locals++}`;
  }

  emit(...lines: string[]): void {
    this.lines.push(...lines);
  }

  /** Constant text as stores of four bytes, then of one: cheaper than a copy for pieces this short. */
  put(text: string): void {
    const bytes = bytesOf(text);
    this.room += bytes.length;
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) this.emit(`d.setUint32(p + ${i}, ${bytes.readUInt32LE(i)}, true);`);
    for (; i < bytes.length; i++) this.emit(`b[p + ${i}] = ${bytes[i]};`);
    this.emit(`p += ${bytes.length};`);
  }

  struct(type: StructClass, rules: VisibilityRules, topLevel: boolean, values: string): void {
    let shown = 0;
    type.members.forEach((member, index) => {
      if (!isVisible(member.type, member.name, topLevel, rules)) return;
      this.put(`${shown++ === 0 ? '{ ' : ', '}${displayName(member.name)} = `);
      this.field(member.type, rules, `${values}[${index}]`);
    });
    this.put(shown === 0 ? '{ }' : ' }');
  }

  /**
   * A context scope of integers and strings, printed once and then copied
   * while its values stay the same: the same thread on the same CPU, event
   * after event. Comparing is cheaper than printing numbers and strings again.
   */
  cachedStruct(type: StructClass, rules: VisibilityRules, values: string): void {
    const shown = type.members.map((member, index) => ({ member, index })).filter(({ member }) => isVisible(member.type, member.name, true, rules));
    if (shown.length === 0 || !shown.every(({ member }) => isScalar(member.type))) {
      this.struct(type, rules, true, values);
      return;
    }
    const cache = this.bind(new ScopeCache(shown.length));
    const start = this.local();
    const same = shown.map(({ index }, k) => `${values}[${index}] === ${cache}.values[${k}]`).join(' && ');
    this.emit(`if (${cache}.length >= 0 && ${same}) {`);
    this.viaChunk(`${cache}.putInto(out);`);
    this.emit('} else {', `const ${start} = p;`);
    this.struct(type, rules, true, values);
    this.emit(...shown.map(({ index }, k) => `${cache}.values[${k}] = ${values}[${index}];`), `${cache}.keep(b, ${start}, p);`, '}');
  }

  private field(type: FieldClass, rules: VisibilityRules, value: string): void {
    const local = this.local();
    this.emit(`const ${local} = ${value};`);
    if (type.kind === 'int' && type.base !== 2 && type.base !== 8) {
      const hex = type.base === 16;
      this.room += hex ? 18 : 16;
      this.emit(
        `if (typeof ${local} === 'number' && ${local} >= 0${hex ? '' : ` && ${local} <= ${Number.MAX_SAFE_INTEGER}`}) p = ${hex ? 'putHex' : 'putUint'}(b, p, ${local});`,
        `else {`,
      );
      this.viaChunk(`${this.bind(compileField(type, rules))}(out, ${local});`);
      this.emit('}');
    } else if (type.kind === 'struct') {
      this.struct(type, rules, false, local);
    } else if (type.kind === 'string' || ((type.kind === 'array' || type.kind === 'sequence') && isTextElement(type.element))) {
      this.viaChunk(`writeRepeatedString(out, ${local}, ${this.bind({ text: null, bytes: EMPTY })});`);
    } else {
      this.viaChunk(`${this.bind(compileField(type, rules))}(out, ${local});`);
    }
  }

  /** A write of unbounded length, through the chunk; then room for the rest of the line again. */
  private viaChunk(call: string): void {
    this.emit('out.pos = p;', call, 'out.reserve(ROOM);', 'b = out.bytes;', 'd = out.view;', 'p = out.pos;');
  }

  build(): LineWriter {
    const names = this.bound.map((_, i) => `b${i}`);
    const body = ['out.reserve(ROOM);', 'let b = out.bytes;', 'let d = out.view;', 'let p = out.pos;', ...this.lines, 'out.pos = p;']
      .map((line) => line.replace('ROOM', String(this.room)))
      .join('\n');
    const source = `return function writeLine(out, e) {\n${body}\n};`;
    return new Function('putUint', 'putHex', 'writeRepeatedString', ...names, source)(putUint, putHex, writeRepeatedString, ...this.bound) as LineWriter;
  }
}

/** Integers and strings: what a scope cache compares with `===` (not floats: 0 and -0 print differently). */
function isScalar(type: FieldClass): boolean {
  return type.kind === 'int' || type.kind === 'enum' || type.kind === 'string' || ((type.kind === 'array' || type.kind === 'sequence') && isTextElement(type.element));
}

/** A scope's last values and the bytes they printed as (length -1: none kept). */
class ScopeCache {
  readonly values: FieldValue[];
  private readonly bytes = Buffer.alloc(SCOPE_CACHE_BYTES);
  private readonly view = viewOf(this.bytes);
  length = -1;

  constructor(count: number) {
    this.values = new Array<FieldValue>(count);
  }

  keep(from: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length > SCOPE_CACHE_BYTES) {
      this.length = -1;
      return;
    }
    from.copy(this.bytes, 0, start, end);
    this.length = length;
  }

  /** Four bytes per step: a native copy costs more for pieces this short. */
  putInto(out: ByteChunk): void {
    const length = this.length;
    out.reserve(length + 3);
    const view = out.view;
    const kept = this.view;
    const pos = out.pos;
    for (let i = 0; i < length; i += 4) view.setUint32(pos + i, kept.getUint32(i, true), true);
    out.pos = pos + length;
  }
}

const SCOPE_CACHE_BYTES = 256;

/** A non-negative safe integer in decimal at `pos`; returns the position after it. The caller reserved room. */
function putUint(bytes: Buffer, pos: number, n: number): number {
  // Most values (cpu, prio, fd, state, small return values) have one or two digits.
  if (n < 10) {
    bytes[pos] = 0x30 + n;
    return pos + 1;
  }
  if (n < 100) {
    const tens = (n / 10) | 0;
    bytes[pos] = 0x30 + tens;
    bytes[pos + 1] = 0x30 + (n - tens * 10);
    return pos + 2;
  }
  let length = 3;
  while (length < 16 && n >= POWERS_OF_TEN[length]!) length++;
  let i = pos + length - 1;
  // Above 2^31 the digits need floating-point division; below, integer division.
  for (; n > 0x7fffffff; i--) {
    const quotient = Math.floor(n / 10);
    bytes[i] = 0x30 + (n - quotient * 10);
    n = quotient;
  }
  for (; i >= pos; i--) {
    const quotient = (n / 10) | 0;
    bytes[i] = 0x30 + (n - quotient * 10);
    n = quotient;
  }
  return pos + length;
}

const POWERS_OF_TEN = Array.from({ length: 17 }, (_, i) => 10 ** i);

/** 0 <= n < 1e9 as nine digits at `pos`; returns the position after them. The caller reserved room. */
function putPadded9(bytes: Buffer, view: DataView, pos: number, n: number): number {
  // One digit, then two groups of four, each stored at once.
  const high = (n / 1e8) | 0;
  const rest = n - high * 1e8;
  const middle = (rest / 1e4) | 0;
  bytes[pos] = 0x30 + high;
  view.setUint32(pos + 1, FOUR_DIGITS[middle]!, true);
  view.setUint32(pos + 5, FOUR_DIGITS[rest - middle * 1e4]!, true);
  return pos + 9;
}

/** 0000 to 9999 as the little-endian 32-bit words of their four ASCII digits. */
const FOUR_DIGITS = Uint32Array.from({ length: 10000 }, (_, i) => bytesOf(i.toString().padStart(4, '0')).readUInt32LE(0));

/** `0x` and a non-negative safe integer in upper-case hex at `pos`, as two 32-bit halves for bit operations; returns the position after it. */
function putHex(bytes: Buffer, pos: number, n: number): number {
  bytes[pos++] = 0x30;
  bytes[pos++] = 0x78;
  const high = Math.floor(n / 0x1_0000_0000);
  const low = n >>> 0;
  if (high > 0) {
    pos = putHexDigits(bytes, pos, high, (35 - Math.clz32(high)) >> 2);
    return putHexDigits(bytes, pos, low, 8);
  }
  return putHexDigits(bytes, pos, low, low === 0 ? 1 : (35 - Math.clz32(low)) >> 2);
}

/** The low `length` hex digits of a 32-bit value at `pos`; returns the position after them. */
function putHexDigits(bytes: Buffer, pos: number, value: number, length: number): number {
  for (let i = pos + length - 1; i >= pos; i--) {
    bytes[i] = HEX_DIGITS[value & 15]!;
    value >>>= 4;
  }
  return pos + length;
}

const HEX_DIGITS = bytesOf('0123456789ABCDEF');

/** babeltrace2's warning (on stderr) about what a tracer discarded. Reference: print_discarded_elements_msg(). */
export function formatDiscarded(notice: DiscardedNotice): string {
  const range =
    notice.beginNs !== null && notice.endNs !== null
      ? `between [${formatClock(notice.beginNs)}] and [${formatClock(notice.endNs)}]`
      : '(unknown time range)';
  const uuid = notice.trace.metadata.uuid;
  return (
    `WARNING: Tracer discarded ${notice.count} ${notice.what}${notice.count === 1 ? '' : 's'} ${range} ` +
    `in trace "${notice.trace.name}" ${uuid ? `(UUID: ${uuid.toLowerCase()}) ` : '(no UUID) '}` +
    `within stream "${notice.streamFile}" (stream class ID: ${notice.streamClassId}, stream ID: ${notice.streamId}).\n`
  );
}

/** Ours: babeltrace2 stops at such a packet; we read on and say what happened. */
export function formatBackwardsPacket(notice: BackwardsPacketNotice): string {
  return (
    `WARNING: the packet at byte ${notice.packetOffset} of "${notice.streamFile}" begins at [${formatClock(notice.beginNs)}], ` +
    `before the previous packet of its stream ended [${formatClock(notice.previousEndNs)}]; its events are printed where they fall.\n`
  );
}

let cachedSecond = -1n;
let cachedTimeOfDay = '';

/** `HH:MM:SS.nnnnnnnnn` in local time, as babeltrace2 prints it; seconds.ns for times before the epoch. */
export function formatClock(ns: bigint): string {
  if (ns < 0n) {
    const abs = -ns;
    return `-${abs / NS_PER_SECOND}.${(abs % NS_PER_SECOND).toString().padStart(9, '0')}`;
  }
  const seconds = ns / NS_PER_SECOND;
  // Events come a million a second: the local time of one second is computed once.
  if (seconds !== cachedSecond) {
    const date = new Date(Number(seconds) * 1000);
    const two = (n: number) => n.toString().padStart(2, '0');
    cachedTimeOfDay = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
    cachedSecond = seconds;
  }
  return `${cachedTimeOfDay}.${(ns - seconds * NS_PER_SECOND).toString().padStart(9, '0')}`;
}

/**
 * The trace's origin before the event name, from its environment, as
 * babeltrace2's default fields show it: `hostname:procname:(vpid) ` (an
 * LTTng-UST per-process trace), any of them missing; nothing without any.
 */
function traceOrigin(env: ReadonlyMap<string, string | bigint>): string {
  const hostname = env.get('hostname');
  const procname = env.get('procname');
  const vpid = env.get('vpid');
  const parts = [typeof hostname === 'string' ? hostname : null, typeof procname === 'string' ? procname : null, typeof vpid === 'bigint' ? `(${vpid})` : null];
  const shown = parts.filter((part) => part !== null);
  return shown.length > 0 ? `${shown.join(':')} ` : '';
}

export interface VisibilityRules {
  referenced: ReadonlySet<string>;
  /** Top-level names with a special meaning in this scope (packet context). */
  meanings: ReadonlySet<string> | null;
}

/** Whether babeltrace2 keeps this field in its trace IR (so prints it). */
export function isVisible(type: FieldClass, name: string | null, topLevel: boolean, rules: VisibilityRules): boolean {
  switch (type.kind) {
    case 'int':
    case 'enum': {
      const int = type.kind === 'int' ? type : type.container;
      const special = int.mappedClock !== null || (topLevel && name !== null && rules.meanings?.has(name) === true);
      return !special || (name !== null && rules.referenced.has(name));
    }
    case 'struct':
      return type.members.length === 0 || type.members.some((m) => isVisible(m.type, m.name, false, rules));
    case 'variant':
      return type.options.some((o) => isVisible(o.type, o.name, false, rules));
    case 'array':
    case 'sequence':
      return isVisible(type.element, null, false, rules);
    default:
      return true;
  }
}

/** Whether a scope (packet context, contexts, payload) is printed: empty from the start, or with a member babeltrace2 keeps. */
export function isScopeVisible(type: StructClass, rules: VisibilityRules): boolean {
  return type.members.length === 0 || type.members.some((m) => isVisible(m.type, m.name, true, rules));
}

function compileStruct(type: StructClass, rules: VisibilityRules, topLevel: boolean): Writer {
  const shown: Array<{ index: number; prefix: Buffer; write: Writer }> = [];
  type.members.forEach((member, index) => {
    if (!isVisible(member.type, member.name, topLevel, rules)) return;
    const prefix = bytesOf(`${shown.length === 0 ? '{ ' : ', '}${displayName(member.name)} = `);
    shown.push({ index, prefix, write: compileField(member.type, rules) });
  });
  if (shown.length === 0) return (out) => out.put(EMPTY_STRUCT);
  return (out, value) => {
    const values = value as FieldValue[];
    for (const member of shown) {
      out.put(member.prefix);
      member.write(out, values[member.index]!);
    }
    out.put(STRUCT_END);
  };
}

const EMPTY_STRUCT = bytesOf('{ }');
const STRUCT_END = bytesOf(' }');

function compileField(type: FieldClass, rules: VisibilityRules): Writer {
  switch (type.kind) {
    case 'int':
      return integerWriter(type);
    case 'enum': {
      const container = integerWriter(type.container);
      const mappings = type.mappings.map((m) => ({ low: m.low, high: m.high, label: escapeString(m.label) }));
      const end = bytesOf(' )');
      return (out, value) => {
        const v = BigInt(value as number | bigint);
        const labels = mappings.filter((m) => v >= m.low && v <= m.high).map((m) => m.label);
        out.latin1(`( ${labels.length ? labels.join(', ') : '<unknown>'} : container = `);
        container(out, value);
        out.put(end);
      };
    }
    case 'float':
      return (out, value) => out.latin1(formatG(value as number));
    case 'string':
      return writeString;
    case 'struct':
      return compileStruct(type, rules, false);
    case 'variant': {
      const options = type.options.map((o) => compileField(o.type, rules));
      const begin = bytesOf('{ ');
      return (out, value) => {
        const selected = value as VariantValue;
        out.put(begin);
        options[selected.option]!(out, selected.value);
        out.put(STRUCT_END);
      };
    }
    case 'array':
    case 'sequence': {
      if (isTextElement(type.element)) return writeString;
      const element = compileField(type.element, rules);
      const end = bytesOf(' ]');
      return (out, value) => {
        const values = value as FieldValue[];
        out.latin1('[');
        for (let i = 0; i < values.length; i++) {
          out.latin1(`${i === 0 ? ' ' : ', '}[${i}] = `);
          element(out, values[i]!);
        }
        out.put(end);
      };
    }
  }
}

function integerWriter(type: IntegerClass): Writer {
  const size = type.size;
  switch (type.base) {
    case 16: {
      const bits = Math.min(64, (size + 3) & ~3);
      return (out, value) => {
        if (typeof value === 'number' && value >= 0) {
          out.reserve(18);
          out.pos = putHex(out.bytes, out.pos, value);
        } else {
          // Kernel addresses are past 2^53: one string, upper-cased as it is copied.
          const digits = (typeof value === 'bigint' && value >= 0n ? value : BigInt.asUintN(bits, BigInt(value as number | bigint))).toString(16);
          out.reserve(digits.length + 2);
          const bytes = out.bytes;
          let pos = out.pos;
          bytes[pos++] = 0x30;
          bytes[pos++] = 0x78;
          for (let i = 0; i < digits.length; i++) {
            const code = digits.charCodeAt(i);
            bytes[pos++] = code >= 0x61 ? code - 0x20 : code;
          }
          out.pos = pos;
        }
      };
    }
    case 8: {
      const bits = Math.min(64, Math.ceil(size / 3) * 3);
      return (out, value) => {
        const v = typeof value === 'number' && value >= 0 ? value : BigInt.asUintN(bits, BigInt(value as number | bigint));
        out.latin1(`0${v.toString(8)}`);
      };
    }
    case 2:
      return (out, value) => out.latin1(`0b${BigInt.asUintN(size, BigInt(value as number | bigint)).toString(2).padStart(size, '0')}`);
    default:
      return (out, value) => {
        if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
          out.reserve(16);
          out.pos = putUint(out.bytes, out.pos, value);
        } else {
          out.latin1(String(value));
        }
      };
  }
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\'"?\x00-\x1f\x7f]/;

function writeString(out: ByteChunk, value: FieldValue): void {
  const text = value as string;
  const length = text.length;
  out.reserve(length + 2);
  const bytes = out.bytes;
  const start = out.pos;
  bytes[start] = 0x22;
  if (length <= SHORT_STRING) {
    // Short strings (thread names) byte by byte, checking for escapes on the way: cheaper than a regex and a native write.
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code === 0x22 || code === 0x27 || code === 0x3f || code === 0x5c || code === 0x7f) {
        out.latin1(escapeString(text));
        return;
      }
      bytes[start + 1 + i] = code;
    }
  } else if (NEEDS_ESCAPE.test(text)) {
    out.latin1(escapeString(text));
    return;
  } else {
    bytes.write(text, start + 1, 'latin1');
  }
  bytes[start + 1 + length] = 0x22;
  out.pos = start + length + 2;
}

const SHORT_STRING = 32;
const EMPTY = Buffer.alloc(0);

/**
 * A string field's last text and its printed bytes. The reader hands out the
 * same string object when a field's bytes repeat (a thread's name event after
 * event), so one comparison saves the escaping.
 */
interface StringRepeat {
  text: string | null;
  bytes: Buffer;
}

function writeRepeatedString(out: ByteChunk, value: FieldValue, last: StringRepeat): void {
  if (value === last.text) {
    out.put(last.bytes);
    return;
  }
  const start = out.pos;
  writeString(out, value);
  if (out.pos - start <= SHORT_STRING) {
    last.text = value as string;
    last.bytes = Buffer.from(out.bytes.subarray(start, out.pos));
  }
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '?': '\\?',
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\x1b': '\\e',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** print_escape_string(): quotes, C escapes, other control bytes as \xNN; bytes >= 0x80 as they are. */
export function escapeString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  let out = '"';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += ESCAPES[c] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c);
  }
  return `${out}"`;
}

/** C's printf("%g"). */
export function formatG(value: number): string {
  if (Number.isNaN(value)) return value < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(6)))));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = value.toExponential(5).split('e') as [string, string];
    const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const expNumber = Number(exp);
    return `${trimmed}e${expNumber < 0 ? '-' : '+'}${Math.abs(expNumber).toString().padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, 5 - exponent));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
