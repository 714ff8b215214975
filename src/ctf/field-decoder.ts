// Field classes -> decoding closures, built once per class so decoding an
// event never walks the metadata. Values: integers are numbers (bigint past
// 2^53), structs are arrays of member values in declaration order, variants
// are { option, value }, text arrays and strings are latin1 strings (one char
// per byte, so output can reproduce the bytes exactly).

import { alignmentOf, displayName, MetadataError, type EnumClass, type FieldClass, type IntegerClass, type StructClass } from './metadata-model.js';

export type FieldValue = number | bigint | string | FieldValue[] | VariantValue;

export interface VariantValue {
  option: number;
  value: FieldValue;
}

export class DecodeError extends Error {
  constructor(message: string, readonly bitOffset: number) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Where decoding is: one packet's bytes and the stream's running state. */
export class DecodeState {
  bytes: Buffer = Buffer.alloc(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  /** Bit position in `bytes`. */
  pos = 0;
  /** Bit position where the packet content ends. */
  end = 0;
  /**
   * Current value of the stream's clock, in cycles: a number while it is a
   * safe integer (every event updates it: bigint arithmetic there costs a
   * tenth of the decoding), else a bigint.
   */
  clock: number | bigint = 0;
  eventId = 0;
  /** Values of fields that sequences and variants refer to, by slot. */
  readonly slots: Array<number | bigint> = [];
  /** Packet-context values with a special meaning, by name. */
  readonly special = new Map<string, number | bigint>();
  /** Each scope's values, by scope number: one array per scope and stream file, refilled by every event (see compileScope). */
  readonly scopes: FieldValue[][] = [];

  setPacket(bytes: Buffer, endBits: number): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = endBits;
  }

  /** CTF 1.8: a clock field narrower than 64 bits gives the low bits of the clock; a smaller value means they wrapped. */
  updateClock(value: number | bigint, size: number): void {
    if (size >= 64) {
      this.clock = value;
      return;
    }
    const clock = this.clock;
    if (typeof clock === 'number' && typeof value === 'number' && size <= 52) {
      const span = CLOCK_SPANS[size]!;
      const low = clock % span;
      const next = clock - low + value + (value < low ? span : 0);
      if (next <= Number.MAX_SAFE_INTEGER) {
        this.clock = next;
        return;
      }
    }
    const mask = CLOCK_MASKS[size]!;
    const big = BigInt(value);
    let wide = BigInt(clock);
    if (big < (wide & mask)) wide += mask + 1n;
    wide = (wide & ~mask) | big;
    this.clock = wide <= MAX_SAFE ? Number(wide) : wide;
  }
}

/** 2^size - 1 for every clock field narrower than 64 bits, and 2^size as a number: computed once. */
const CLOCK_MASKS = Array.from({ length: 64 }, (_, size) => (1n << BigInt(size)) - 1n);
const CLOCK_SPANS = Array.from({ length: 53 }, (_, size) => 2 ** size);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export type Decoder = (state: DecodeState) => FieldValue;

/** What a scope's decoder must report besides values. */
export interface ScopeHooks {
  /** Field names whose value is recorded in `state.special`. */
  special?: ReadonlySet<string>;
  /** Mapped-clock fields that must not move the clock (the packet's end time). */
  noClockUpdate?: ReadonlySet<string>;
  /** An integer named `id` sets `state.eventId` (event headers). */
  captureEventId?: boolean;
  /** Nobody reads the values (headers): structs and variants are walked for their effects only, nothing is allocated. */
  effectsOnly?: boolean;
}

interface SymbolEntry {
  /** Where decoding keeps the value, or -1: nothing refers to it (or it is no integer). */
  slot: number;
  type: FieldClass;
}

/** Compiles the scopes of one stream class and its event classes; shares the slot numbering. */
export class DecoderCompiler {
  /** The names this compiler added; those of the compiler it was forked from are the parent's. */
  private readonly symbols = new Map<string, SymbolEntry>();
  private slotCount = 0;

  constructor(
    private readonly traceByteOrder: 'le' | 'be',
    /** Names that some sequence or variant refers to (last path component). */
    private readonly referencedNames: ReadonlySet<string>,
    /** Scope numbers, unique in the trace: forks share the count. */
    private readonly scopeCount = { next: 0 },
    /** What this one was forked from, which compiles nothing more once forked (a kernel trace forks it for each of its thousand event classes). */
    private readonly parent: DecoderCompiler | null = null,
  ) {}

  /** A compiler for one event class: sees the stream-level symbols, adds its own. */
  fork(): DecoderCompiler {
    const child = new DecoderCompiler(this.traceByteOrder, this.referencedNames, this.scopeCount, this);
    child.slotCount = this.slotCount;
    return child;
  }

  private symbol(name: string): SymbolEntry | undefined {
    return this.symbols.get(name) ?? this.parent?.symbol(name);
  }

  /**
   * A scope's decoder. Its values array is the same one for every event of a
   * stream file (`state.scopes`): valid until the file's next event is decoded.
   * Values below the top level are new each time.
   */
  compileScope(type: StructClass, hooks: ScopeHooks = {}): Decoder {
    return this.compileStruct(type, hooks, hooks.effectsOnly ? null : this.scopeCount.next++);
  }

  /**
   * Fails as compileScope would, without making the decoder: resolves every
   * sequence length and variant tag against the fields before it, and
   * registers the names in the same order (so a fork checked this way has
   * the symbols a compiled one would). What a trace's event classes get when
   * it is opened; their decoders are made at their first event.
   */
  checkScope(type: StructClass): void {
    for (const member of type.members) this.check(member.type, member.name);
  }

  private check(type: FieldClass, name: string | null): void {
    switch (type.kind) {
      case 'int':
      case 'enum':
        // As integerEffects: known by name when something may refer to it.
        if (name !== null && this.referencedNames.has(name)) this.symbols.set(name, { slot: this.slotCount++, type });
        return;
      case 'struct':
        this.checkScope(type);
        break;
      case 'variant': {
        const tag = this.resolve(type.tag, type.line, 'variant tag');
        if (tag.type.kind !== 'enum') throw new MetadataError(`variant tag "${type.tag}" is not an enumeration`, type.line);
        for (const option of type.options) this.check(option.type, option.name);
        break;
      }
      case 'array':
      case 'sequence':
        if (type.kind === 'sequence') {
          const entry = this.resolve(type.lengthPath, type.line, 'sequence length');
          const int = entry.type.kind === 'int' ? entry.type : entry.type.kind === 'enum' ? entry.type.container : null;
          if (!int || int.signed) throw new MetadataError(`sequence length "${type.lengthPath}" is not an unsigned integer`, type.line);
        }
        if (!isTextElement(type.element)) this.check(type.element, null);
        break;
      default:
        break;
    }
    if (name !== null) this.symbols.set(name, { slot: -1, type });
  }

  private compile(type: FieldClass, name: string | null, hooks: ScopeHooks): Decoder {
    const decoder = this.compileField(type, name, hooks);
    // Known by name, so that a length or tag naming it says what is wrong with it.
    if (name !== null && type.kind !== 'int' && type.kind !== 'enum') this.symbols.set(name, { slot: -1, type });
    return decoder;
  }

  private compileField(type: FieldClass, name: string | null, hooks: ScopeHooks): Decoder {
    switch (type.kind) {
      case 'int':
        return this.compileInteger(type, name, hooks, null);
      case 'enum':
        return this.compileInteger(type.container, name, hooks, type);
      case 'float':
        return this.compileFloat(type.expDig + type.mantDig, type.align, this.littleEndian(type.byteOrder));
      case 'string':
        return decodeString(new RepeatCache());
      case 'struct':
        return this.compileStruct(type, hooks, null);
      case 'variant': {
        // The tag is resolved before the options, which may declare a field of the same name.
        const tag = this.resolve(type.tag, type.line, 'variant tag');
        if (tag.type.kind !== 'enum') throw new MetadataError(`variant tag "${type.tag}" is not an enumeration`, type.line);
        const options = type.options.map((o) => this.compile(o.type, o.name, hooks));
        return this.compileVariant(type.tag, tag.slot, tag.type, type.options.map((o) => o.name), options, hooks.effectsOnly === true);
      }
      case 'array':
      case 'sequence': {
        // Arrays align to their element, even when empty (babeltrace2 does, and what follows depends on it).
        const align = alignmentOf(type.element);
        let length: (state: DecodeState) => number;
        if (type.kind === 'array') {
          const fixed = type.length;
          length = (state) => arrayLength(state, fixed);
        } else {
          const entry = this.resolve(type.lengthPath, type.line, 'sequence length');
          const int = entry.type.kind === 'int' ? entry.type : entry.type.kind === 'enum' ? entry.type.container : null;
          if (!int || int.signed) throw new MetadataError(`sequence length "${type.lengthPath}" is not an unsigned integer`, type.line);
          const slot = entry.slot;
          length = (state) => sequenceLength(state, slot);
        }
        if (isTextElement(type.element)) {
          const cache = new RepeatCache();
          return (state) => {
            alignTo(state, align);
            return decodeText(state, length(state), cache);
          };
        }
        const element = this.compile(type.element, null, hooks);
        return (state) => {
          alignTo(state, align);
          const count = length(state);
          const values = new Array<FieldValue>(count);
          for (let i = 0; i < count; i++) values[i] = element(state);
          return values;
        };
      }
    }
  }

  /**
   * A struct's decoder as one generated function: byte-aligned 8- to 64-bit
   * integers inline (an alignment only where the layout does not already
   * give it, a room check, a DataView read, their effects), other members
   * through their closures. `scope`: a top-level scope's number, whose array
   * is reused (see compileScope); null: a new array each time.
   */
  private compileStruct(type: StructClass, hooks: ScopeHooks, scope: number | null): Decoder {
    const code = new StructCode();
    const align = alignmentOf(type);
    code.alignTo(align);
    const valuesWanted = !hooks.effectsOnly;
    if (!valuesWanted) code.emit('const values = NO_VALUES;');
    else if (scope === null) code.emit(`const values = new Array(${type.members.length});`);
    else {
      const index = code.bind(scope);
      code.emit(`let values = state.scopes[${index}];`, `if (values === undefined) values = state.scopes[${index}] = new Array(${type.members.length});`);
    }
    type.members.forEach((member, index) => {
      const target = valuesWanted ? `values[${index}] = ` : '';
      const int = member.type.kind === 'int' ? member.type : member.type.kind === 'enum' ? member.type.container : null;
      if (int && int.align % 8 === 0 && (int.size === 8 || int.size === 16 || int.size === 32 || int.size === 64)) {
        const effects = this.integerEffects(int, member.name, hooks, member.type.kind === 'enum' ? member.type : null);
        code.integer(int.size, int.align, this.littleEndian(int.byteOrder), int.signed, effects, target);
      } else if (member.type.kind === 'array' && member.type.length > 0 && isTextElement(member.type.element)) {
        // Known by name, as compile() does, so that a length or tag naming it says what is wrong with it.
        this.symbols.set(member.name, { slot: -1, type: member.type });
        code.text(member.type.length, alignmentOf(member.type.element), target);
      } else {
        code.call(this.compile(member.type, member.name, hooks), target);
      }
    });
    return code.build();
  }

  private resolve(path: string, line: number, use: string): SymbolEntry {
    const name = path.split('.').pop()!;
    const entry = this.symbol(name);
    if (!entry) throw new MetadataError(`no field "${path}" before its use as a ${use}`, line);
    return entry;
  }

  private littleEndian(order: 'le' | 'be' | 'native'): boolean {
    return (order === 'native' ? this.traceByteOrder : order) === 'le';
  }

  /** What decoding an integer must do besides returning it; registers the name when a length or tag may refer to it. */
  private integerEffects(type: IntegerClass, name: string | null, hooks: ScopeHooks, enumType: EnumClass | null): IntegerEffects {
    let slot = -1;
    if (name !== null && this.referencedNames.has(name)) {
      slot = this.slotCount++;
      this.symbols.set(name, { slot, type: enumType ?? type });
    }
    return {
      slot,
      special: name !== null && hooks.special?.has(name) ? name : null,
      updatesClock: type.mappedClock !== null && !(name !== null && hooks.noClockUpdate?.has(name)),
      capturesId: hooks.captureEventId === true && name === 'id',
    };
  }

  private compileInteger(type: IntegerClass, name: string | null, hooks: ScopeHooks, enumType: EnumClass | null): Decoder {
    const read = integerReader(type.size, type.align, this.littleEndian(type.byteOrder), type.signed);
    const { slot, special, updatesClock, capturesId } = this.integerEffects(type, name, hooks, enumType);
    if (slot < 0 && !special && !updatesClock && !capturesId) return read;
    const size = type.size;
    return (state) => {
      const value = read(state) as number | bigint;
      if (slot >= 0) state.slots[slot] = value;
      if (special) state.special.set(special, value);
      if (updatesClock) state.updateClock(value, size);
      if (capturesId) state.eventId = Number(value);
      return value;
    };
  }

  private compileFloat(bits: number, align: number, littleEndian: boolean): Decoder {
    const bytes = bits / 8;
    return (state) => {
      alignTo(state, align);
      checkRoom(state, bits);
      const offset = state.pos / 8;
      state.pos += bits;
      return bytes === 4 ? state.view.getFloat32(offset, littleEndian) : state.view.getFloat64(offset, littleEndian);
    };
  }

  private compileVariant(tagPath: string, slot: number, tag: EnumClass, optionNames: string[], options: Decoder[], effectsOnly: boolean): Decoder {
    const byName = new Map(optionNames.map((name, index) => [displayName(name), index]));
    const ranges = tag.mappings
      .map((m) => ({ low: m.low, high: m.high, lowNumber: Number(m.low), highNumber: Number(m.high), option: byName.get(displayName(m.label)) ?? -1 }))
      .filter((r) => r.option >= 0);
    // Every event header of LTTng-UST is such a variant: compare numbers where the bounds are exact as numbers.
    const exact = ranges.every((r) => BigInt(r.lowNumber) === r.low && BigInt(r.highNumber) === r.high);
    const select = (state: DecodeState): number => {
      const raw = state.slots[slot]!;
      if (exact && typeof raw === 'number') {
        for (const range of ranges) if (raw >= range.lowNumber && raw <= range.highNumber) return range.option;
      } else {
        const value = typeof raw === 'bigint' ? raw : BigInt(raw);
        for (const range of ranges) if (value >= range.low && value <= range.high) return range.option;
      }
      throw new DecodeError(`variant tag "${tagPath}" = ${raw} selects no option`, state.pos);
    };
    if (effectsOnly) return (state) => options[select(state)]!(state);
    return (state) => {
      const option = select(state);
      return { option, value: options[option]!(state) };
    };
  }
}

const NO_VALUES: FieldValue[] = [];

interface IntegerEffects {
  /** Where a sequence length or variant tag finds the value, or -1. */
  slot: number;
  /** Kept in `state.special` under this name. */
  special: string | null;
  updatesClock: boolean;
  capturesId: boolean;
}

/**
 * The source of one struct's decoder. `pos` is a local while integers are
 * read inline, stored to the state around a member's closure; `known` is the
 * alignment the layout guarantees `pos` at this point, so aligning to it
 * costs nothing.
 */
class StructCode {
  private readonly lines: string[] = ['let pos = state.pos;', 'const view = state.view;'];
  private readonly bound: unknown[] = [];
  private known = 1;
  private values = 0;

  emit(...lines: string[]): void {
    this.lines.push(...lines);
  }

  alignTo(align: number): void {
    if (this.known % align !== 0) this.emit(`{ const rest = pos % ${align}; if (rest !== 0) pos += ${align} - rest; }`);
    this.known = Math.max(this.known, align);
  }

  integer(size: number, align: number, littleEndian: boolean, signed: boolean, effects: IntegerEffects, target: string): void {
    this.alignTo(align);
    this.emit(`if (pos + ${size} > state.end) { state.pos = pos; checkRoom(state, ${size}); }`);
    const value = `v${this.values++}`;
    if (size === 64) {
      // As int64Reader: two 32-bit halves, a bigint only past 2^53.
      const [lowAt, highAt] = littleEndian ? [0, 4] : [4, 0];
      this.emit(
        `const low${value} = view.getUint32(pos / 8 + ${lowAt}, ${littleEndian});`,
        `const high${value} = view.getUint32(pos / 8 + ${highAt}, ${littleEndian});`,
        `const ${value} = high${value} < 0x200000 ? high${value} * 4294967296 + low${value} : ${this.bind(int64Reader(littleEndian, signed))}(view, pos / 8);`,
      );
    } else {
      this.emit(`const ${value} = view.get${signed ? 'Int' : 'Uint'}${size}(pos / 8${size > 8 ? `, ${littleEndian}` : ''});`);
    }
    this.emit(`pos += ${size};`);
    if (target) this.emit(`${target}${value};`);
    if (effects.slot >= 0) this.emit(`state.slots[${effects.slot}] = ${value};`);
    if (effects.special) this.emit(`state.special.set(${JSON.stringify(effects.special)}, ${value});`);
    if (effects.updatesClock) this.emit(`state.updateClock(${value}, ${size});`);
    if (effects.capturesId) this.emit(`state.eventId = Number(${value});`);
    // Sizes are multiples of 8; the largest power of two dividing both is what stays known.
    this.known = Math.min(this.known, size & -size);
  }

  /** A char array of a fixed length (not 0): as the array closure and decodeText, with their checks in the same order. */
  text(length: number, align: number, target: string): void {
    this.alignTo(align);
    this.emit(
      `if (pos + ${length * 8} > state.end) { state.pos = pos; arrayLength(state, ${length}); checkRoom(state, ${length * 8}); }`,
      `${target}textAt(state.bytes, pos / 8, ${length}, ${this.bind(new RepeatCache())});`,
      `pos += ${length * 8};`,
    );
  }

  call(decoder: Decoder, target: string): void {
    this.emit('state.pos = pos;', `${target}${this.bind(decoder)}(state);`, 'pos = state.pos;');
    this.known = 1;
  }

  /** A name in the generated code for this value (not in the source text, so that equal layouts share it). */
  bind(value: unknown): string {
    this.bound.push(value);
    return `b${this.bound.length - 1}`;
  }

  build(): Decoder {
    const source = `return function decodeStruct(state) {\n${[...this.lines, 'state.pos = pos;', 'return values;'].join('\n')}\n};`;
    let factory = STRUCT_FACTORIES.get(source);
    if (!factory) {
      // Bounded: a process may open any number of traces (the fuzzer does).
      if (STRUCT_FACTORIES.size >= 4096) STRUCT_FACTORIES.clear();
      factory = new Function('checkRoom', 'arrayLength', 'textAt', 'NO_VALUES', ...this.bound.map((_, i) => `b${i}`), source) as StructFactory;
      STRUCT_FACTORIES.set(source, factory);
    }
    return factory(checkRoom, arrayLength, textAt, NO_VALUES, ...this.bound);
  }
}

type StructFactory = (...args: unknown[]) => Decoder;

/** Generated struct decoders by source text: the event classes of a kernel trace share a few dozen layouts. */
const STRUCT_FACTORIES = new Map<string, StructFactory>();

/** A sequence's length, checked: a damaged length must not allocate gigabytes (every element takes a bit at least). */
function sequenceLength(state: DecodeState, slot: number): number {
  const length = Number(state.slots[slot]);
  if (!Number.isSafeInteger(length) || length < 0 || length > state.end - state.pos) {
    throw new DecodeError(`sequence length ${state.slots[slot]} does not fit in the packet`, state.pos);
  }
  return length;
}

function arrayLength(state: DecodeState, length: number): number {
  if (length > state.end - state.pos) throw new DecodeError(`array of ${length} elements does not fit in the packet`, state.pos);
  return length;
}

export function isTextElement(type: FieldClass): boolean {
  return type.kind === 'int' && type.size === 8 && type.align % 8 === 0 && type.encoding !== 'none';
}

function alignTo(state: DecodeState, align: number): void {
  const rest = state.pos % align;
  if (rest !== 0) state.pos += align - rest;
}

function checkRoom(state: DecodeState, bits: number): void {
  if (state.pos + bits > state.end) throw new DecodeError(`field runs past the end of the packet content (needs ${bits} bits)`, state.pos);
}

/**
 * The last string a field decoded, with its bytes: thread names, procnames
 * and paths repeat from event to event, and comparing a few bytes is cheaper
 * than making a string again.
 */
class RepeatCache {
  private readonly bytes = new Uint8Array(REPEAT_CACHE_BYTES);
  private length = -1;
  private text = '';

  get(source: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length === this.length) {
      const bytes = this.bytes;
      let i = 0;
      while (i < length && bytes[i] === source[start + i]) i++;
      if (i === length) return this.text;
    }
    const text = source.toString('latin1', start, end);
    if (length <= REPEAT_CACHE_BYTES) {
      const bytes = this.bytes;
      for (let i = 0; i < length; i++) bytes[i] = source[start + i]!;
      this.length = length;
      this.text = text;
    }
    return text;
  }
}

const REPEAT_CACHE_BYTES = 64;

function decodeString(cache: RepeatCache): Decoder {
  return (state) => {
    alignTo(state, 8);
    const start = state.pos / 8;
    const limit = state.end / 8;
    const nul = findNul(state.bytes, start, limit);
    if (nul < 0) throw new DecodeError('string runs past the end of the packet content', state.pos);
    state.pos = (nul + 1) * 8;
    return cache.get(state.bytes, start, nul);
  };
}

/** A char array shown as a string: the bytes up to the first NUL, as babeltrace2 does. The caller aligned. */
function decodeText(state: DecodeState, length: number, cache: RepeatCache): string {
  if (length === 0) return '';
  checkRoom(state, length * 8);
  const start = state.pos / 8;
  state.pos += length * 8;
  return textAt(state.bytes, start, length, cache);
}

/** The text of a char array of `length` bytes at byte `start`, which the caller checked. */
function textAt(bytes: Buffer, start: number, length: number, cache: RepeatCache): string {
  const nul = findNul(bytes, start, start + length);
  return cache.get(bytes, start, nul >= 0 ? nul : start + length);
}

/** The first NUL in [start, limit), or -1: a loop over the first bytes (names are short), then the native search. */
function findNul(bytes: Buffer, start: number, limit: number): number {
  const loopEnd = Math.min(limit, start + 64);
  for (let i = start; i < loopEnd; i++) if (bytes[i] === 0) return i;
  if (loopEnd === limit) return -1;
  const nul = bytes.indexOf(0, loopEnd);
  return nul >= 0 && nul < limit ? nul : -1;
}

const TWO_32 = 2 ** 32;

/** A reader specialised for one integer layout; bit-level when the field is not byte aligned. */
export function integerReader(size: number, align: number, littleEndian: boolean, signed: boolean): Decoder {
  if (size < 1 || size > 64) throw new MetadataError(`${size}-bit integers are not supported`);
  const byteAligned = align % 8 === 0;
  if (byteAligned && (size === 8 || size === 16 || size === 32)) {
    return (state) => {
      alignTo(state, align);
      checkRoom(state, size);
      const offset = state.pos / 8;
      state.pos += size;
      const view = state.view;
      if (size === 8) return signed ? view.getInt8(offset) : view.getUint8(offset);
      if (size === 16) return signed ? view.getInt16(offset, littleEndian) : view.getUint16(offset, littleEndian);
      return signed ? view.getInt32(offset, littleEndian) : view.getUint32(offset, littleEndian);
    };
  }
  if (byteAligned && size === 64) {
    const read = int64Reader(littleEndian, signed);
    return (state) => {
      alignTo(state, align);
      checkRoom(state, 64);
      const offset = state.pos / 8;
      state.pos += 64;
      return read(state.view, offset);
    };
  }
  return (state) => {
    alignTo(state, align);
    checkRoom(state, size);
    let value: number | bigint;
    if (size <= 32) {
      value = readBits(state.bytes, state.pos, size, littleEndian);
    } else {
      const highBits = size - 32;
      const low = littleEndian ? readBits(state.bytes, state.pos, 32, true) : readBits(state.bytes, state.pos + highBits, 32, false);
      const high = littleEndian ? readBits(state.bytes, state.pos + 32, highBits, true) : readBits(state.bytes, state.pos, highBits, false);
      value = high < 0x200000 ? high * TWO_32 + low : (BigInt(high) << 32n) | BigInt(low);
    }
    state.pos += size;
    if (!signed) return value;
    if (typeof value === 'bigint') return BigInt.asIntN(size, value);
    const half = 2 ** (size - 1);
    if (value >= half) {
      if (size > 52) return BigInt.asIntN(size, BigInt(value));
      return value - half * 2;
    }
    return value;
  };
}

/** A byte-aligned 64-bit integer: a number while it is a safe integer, else a bigint. */
function int64Reader(littleEndian: boolean, signed: boolean): (view: DataView, offset: number) => number | bigint {
  const lowAt = littleEndian ? 0 : 4;
  const highAt = littleEndian ? 4 : 0;
  return (view, offset) => {
    const low = view.getUint32(offset + lowAt, littleEndian);
    const high = view.getUint32(offset + highAt, littleEndian);
    if (high < 0x200000) return high * TWO_32 + low;
    if (signed && high >= 0xffe00000) return (high - TWO_32) * TWO_32 + low;
    return signed ? view.getBigInt64(offset, littleEndian) : view.getBigUint64(offset, littleEndian);
  };
}

/** Up to 32 bits at any bit position: little-endian counts bits from each byte's LSB, big-endian from its MSB. */
function readBits(bytes: Buffer, pos: number, size: number, littleEndian: boolean): number {
  const first = Math.floor(pos / 8);
  const shift = pos % 8;
  const count = Math.ceil((shift + size) / 8);
  let accumulated = 0;
  if (count <= 4) {
    // Within 32 bits (LTTng's compact event header: a 5-bit id, a 27-bit time): shifts and a mask, where a
    // floating-point modulo would be a call.
    if (littleEndian) for (let i = count - 1; i >= 0; i--) accumulated = accumulated * 256 + bytes[first + i]!;
    else for (let i = 0; i < count; i++) accumulated = accumulated * 256 + bytes[first + i]!;
    const bits = accumulated >>> (littleEndian ? shift : count * 8 - shift - size);
    return size === 32 ? bits : bits & ((1 << size) - 1);
  }
  if (littleEndian) {
    for (let i = count - 1; i >= 0; i--) accumulated = accumulated * 256 + bytes[first + i]!;
    return Math.floor(accumulated / 2 ** shift) % 2 ** size;
  }
  for (let i = 0; i < count; i++) accumulated = accumulated * 256 + bytes[first + i]!;
  return Math.floor(accumulated / 2 ** (count * 8 - shift - size)) % 2 ** size;
}

/** Last path component of every sequence length and variant tag in these classes. */
export function collectReferencedNames(types: Iterable<FieldClass | null>, into = new Set<string>()): Set<string> {
  const visit = (type: FieldClass): void => {
    switch (type.kind) {
      case 'struct':
        type.members.forEach((m) => visit(m.type));
        break;
      case 'variant':
        into.add(type.tag.split('.').pop()!);
        type.options.forEach((o) => visit(o.type));
        break;
      case 'array':
        visit(type.element);
        break;
      case 'sequence':
        into.add(type.lengthPath.split('.').pop()!);
        visit(type.element);
        break;
      default:
        break;
    }
  };
  for (const type of types) if (type) visit(type);
  return into;
}
