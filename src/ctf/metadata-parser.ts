// TSDL (CTF 1.8 metadata text) -> TraceMetadata. A tokenizer and a recursive
// descent over the subset of the grammar tracers write: type aliases and
// typedefs, integer/floating_point/string/enum/struct/variant, arrays and
// sequences, and the trace/env/clock/stream/event blocks.

import type {
  ByteOrder,
  ClockClass,
  EnumMapping,
  EventClass,
  FieldClass,
  IntegerClass,
  NamedField,
  StreamClass,
  StructClass,
  TraceMetadata,
  VariantClass,
} from './metadata-model.js';
import { MetadataError } from './metadata-model.js';

type TokenKind = 'ident' | 'number' | 'string' | 'punct';

interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
}

export class MetadataSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'MetadataSyntaxError';
  }
}

/** Character classes of the lexer, by char code below 128. */
const SPACE = 1;
const IDENT_START = 2;
const IDENT_REST = 4;
const DIGIT_REST = 8;
const CHAR_CLASS = new Uint8Array(128);
for (const c of ' \t\n\r\f\v\0') CHAR_CLASS[c.charCodeAt(0)] = SPACE;
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_$]/.test(ch)) CHAR_CLASS[c] = IDENT_START | IDENT_REST;
  if (/[0-9]/.test(ch)) CHAR_CLASS[c] = IDENT_REST;
  if (/[0-9A-Za-z]/.test(ch)) CHAR_CLASS[c] = CHAR_CLASS[c]! | DIGIT_REST;
}
/** One-character punctuation, as strings made once. */
const PUNCT: Array<string | undefined> = [];
for (const c of '{}[]();:=,<>.+-') PUNCT[c.charCodeAt(0)] = c;

/**
 * Tokens on demand, with as much lookahead as the parser asks for: the
 * tokens of a 300 KB kernel metadata are never all alive at once (holding
 * them made the parse mostly garbage collection). Char codes are scanned
 * in a loop (no match objects), and the parser may jump over text it has
 * already read once (see Parser.integerType).
 */
class Lexer {
  private readonly queue: Token[] = [];
  private head = 0;
  /** Where the next token not yet in the queue starts to be looked for. */
  private cursor = 0;

  constructor(readonly text: string) {}

  /** The token `ahead` places on, or undefined at the end. */
  peek(ahead: number): Token | undefined {
    while (this.queue.length - this.head <= ahead) {
      const token = this.scan();
      if (!token) return undefined;
      this.queue.push(token);
    }
    return this.queue[this.head + ahead];
  }

  /** Drops the next `count` tokens (the caller peeked them). */
  advance(count: number): void {
    this.head += count;
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  /** Continues at `offset`, which must be where a token may start and at or after the last token handed out. */
  jumpTo(offset: number): void {
    this.queue.length = 0;
    this.head = 0;
    this.cursor = offset;
  }

  /** The first lexical error from here to the end, if any (a parse error defers to it: the whole text was lexed before parsing once). */
  remainingError(): MetadataSyntaxError | null {
    try {
      while (this.scan());
      return null;
    } catch (error) {
      if (error instanceof MetadataSyntaxError) return error;
      throw error;
    }
  }

  private scan(): Token | null {
    const text = this.text;
    const length = text.length;
    let i = this.cursor;
    for (;;) {
      if (i >= length) {
        this.cursor = i;
        return null;
      }
      const c = text.charCodeAt(i);
      const kind = c < 128 ? CHAR_CLASS[c]! : 0;
      if (kind & SPACE) {
        i++;
        continue;
      }
      if (kind & IDENT_START) return this.run('ident', i, IDENT_REST);
      if (c >= 48 && c <= 57) return this.run('number', i, DIGIT_REST);
      const next = i + 1 < length ? text.charCodeAt(i + 1) : -1;
      if (c === 47 /* / */ && next === 42 /* * */) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new MetadataSyntaxError('unterminated comment', i);
        i = end + 2;
        continue;
      }
      if (c === 47 && next === 47) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? length : end + 1;
        continue;
      }
      if (c === 58 /* : */ && next === 61 /* = */) return this.punct(':=', i, 2);
      if (c === 45 /* - */ && next === 62 /* > */) return this.punct('->', i, 2);
      if (c === 46 /* . */ && next === 46 && i + 2 < length && text.charCodeAt(i + 2) === 46) return this.punct('...', i, 3);
      const punct = PUNCT[c];
      if (punct !== undefined) return this.punct(punct, i, 1);
      if (c === 34 /* " */ || c === 39 /* ' */) return this.quoted(i);
      throw new MetadataSyntaxError(`unexpected character ${JSON.stringify(text[i])}`, i);
    }
  }

  /** A name or number: its first char at `start`, then every char of class `rest`. */
  private run(kind: 'ident' | 'number', start: number, rest: number): Token {
    const text = this.text;
    let end = start + 1;
    while (end < text.length) {
      const d = text.charCodeAt(end);
      if (d >= 128 || !(CHAR_CLASS[d]! & rest)) break;
      end++;
    }
    this.cursor = end;
    return { kind, text: text.slice(start, end), offset: start };
  }

  private punct(text: string, offset: number, length: number): Token {
    this.cursor = offset + length;
    return { kind: 'punct', text, offset };
  }

  private quoted(start: number): Token {
    const text = this.text;
    const quote = text[start]!;
    // Most strings (every event name) have no escape: one slice.
    const close = text.indexOf(quote, start + 1);
    let plain = close >= 0;
    for (let j = start + 1; plain && j < close; j++) if (text.charCodeAt(j) === 92 /* \\ */) plain = false;
    if (plain) {
      this.cursor = close + 1;
      return { kind: 'string', text: text.slice(start + 1, close), offset: start };
    }
    let i = start + 1;
    let value = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') {
        const escape = ESCAPE.exec(text.slice(i, i + 12));
        if (!escape) throw new MetadataSyntaxError(`invalid escape sequence ${JSON.stringify(text.slice(i, i + 2))} in a string`, i);
        value += unescape(escape[0]);
        i += escape[0].length;
      } else {
        value += text[i++];
      }
    }
    if (i >= text.length) throw new MetadataSyntaxError('unterminated string', start);
    this.cursor = i + 1;
    return { kind: 'string', text: value, offset: start };
  }
}

/** C's escapes, as babeltrace2's lexer takes them; anything else after a backslash is an error. */
const ESCAPE = /^\\(?:['"?\\abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]+|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/;
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescape(escape: string): string {
  const body = escape.slice(1);
  if (/^[0-7]/.test(body)) return String.fromCharCode(parseInt(body, 8) & 0xff);
  if (/^[xuU]/.test(body)) return String.fromCodePoint(Math.min(parseInt(body.slice(1), 16), 0x10ffff));
  return SIMPLE_ESCAPES[body] ?? body;
}

const MAX_U64 = (1n << 64n) - 1n;
const MAX_ARRAY_LENGTH = 1n << 28n;

function parseIntegerLiteral(text: string, offset: number): bigint {
  const digits = text.replace(/[uUlL]+$/, '');
  let value: bigint;
  try {
    if (/^0[xX]/.test(digits)) value = BigInt(digits);
    else if (/^0[0-7]+$/.test(digits)) value = BigInt(`0o${digits.slice(1)}`);
    else value = BigInt(digits);
  } catch {
    throw new MetadataSyntaxError(`bad number ${text}`, offset);
  }
  // babeltrace2 refuses constants past 64 bits; so do we (they would also be sizes and lengths).
  if (value > MAX_U64) throw new MetadataSyntaxError(`integer constant ${text.length > 24 ? `${text.slice(0, 20)}...` : text} does not fit in 64 bits`, offset);
  return value;
}

type Value = { kind: 'int'; value: bigint } | { kind: 'text'; value: string } | { kind: 'path'; value: string } | { kind: 'type'; value: FieldClass };

function hasTypeValue(attrs: Map<string, Value>): boolean {
  for (const value of attrs.values()) if (value.kind === 'type') return true;
  return false;
}

const TYPE_KEYWORDS = new Set(['integer', 'floating_point', 'string', 'enum', 'struct', 'variant']);

/** Lexical scopes for type names: typealias/typedef and named struct/enum/variant. */
class Scope {
  readonly aliases = new Map<string, FieldClass>();
  constructor(readonly parent: Scope | null) {}
  lookup(name: string): FieldClass | undefined {
    return this.aliases.get(name) ?? this.parent?.lookup(name);
  }
}

class Parser {
  private scope = new Scope(null);
  private readonly metadata: TraceMetadata = {
    byteOrder: 'le',
    uuid: null,
    packetHeader: null,
    env: new Map(),
    clocks: new Map(),
    streams: new Map(),
  };
  private readonly pendingEvents: EventClass[] = [];
  /** Line of each stream class's block (or of its first event's), for errors found once all is parsed. */
  private readonly streamLines = new Map<number, number>();

  /** Integer classes by the text of their attribute block (`{ size = 8; ... }`): kernel metadata repeats a few dozen blocks thousands of times. */
  private readonly integers = new Map<string, IntegerClass>();
  /** Offset of the `}` that ended the last attribute block. */
  private lastClose = -1;
  private readonly lexer: Lexer;
  private readonly textLength: number;

  constructor(
    text: string,
    private readonly lineOf: (offset: number) => number,
  ) {
    this.lexer = new Lexer(text);
    this.textLength = text.length;
  }

  parse(): TraceMetadata {
    try {
      while (!this.atEnd()) this.topLevel();
    } catch (error) {
      // Lexical errors came first when the text was lexed whole before parsing: the first one still wins.
      if (error instanceof MetadataSyntaxError) throw this.lexer.remainingError() ?? error;
      throw error;
    }
    for (const event of this.pendingEvents) {
      const stream = this.streamFor(event.streamId);
      stream.events.set(event.id, event);
    }
    for (const stream of this.metadata.streams.values()) stream.clock = this.defaultClock(stream);
    return this.metadata;
  }

  /**
   * As babeltrace2 does when it reads a stream block: an unmapped integer of
   * one of these names maps to the trace's only clock, or to an implicit
   * 1 GHz clock when there is none yet. It is then a time (not printed as a
   * field), and the stream's events have timestamps.
   */
  private mapTimestamps(root: StructClass | VariantClass | null, names: string[]): void {
    if (!root) return;
    const fields = root.kind === 'struct' ? root.members : root.options;
    for (const field of fields) {
      const type = field.type;
      if (names.includes(field.name)) {
        const int = type.kind === 'int' ? type : type.kind === 'enum' ? type.container : null;
        if (int && int.mappedClock === null) {
          // A copy: the integer class may be an alias other fields share.
          const mapped = { ...int, mappedClock: this.implicitClock(field.name) };
          field.type = type.kind === 'enum' ? { ...type, container: mapped } : mapped;
        }
      }
      if (type.kind === 'struct' || type.kind === 'variant') this.mapTimestamps(type, names);
    }
  }

  private implicitClock(fieldName: string): string {
    const clocks = this.metadata.clocks;
    if (clocks.size === 0) clocks.set('default', { name: 'default', freq: 1_000_000_000n, offsetSeconds: 0n, offsetCycles: 0n });
    if (clocks.size > 1) throw new MetadataSyntaxError(`"${fieldName}" maps to no clock and the trace has several`, this.offset());
    return clocks.keys().next().value!;
  }

  /** babeltrace2's default clock class of a stream class: the clock its fields map to (one at most). */
  private defaultClock(stream: StreamClass): ClockClass | null {
    const names = new Set<string>();
    const visit = (type: FieldClass | null): void => {
      if (!type) return;
      if (type.kind === 'int' || type.kind === 'enum') {
        const clock = (type.kind === 'int' ? type : type.container).mappedClock;
        if (clock !== null) names.add(clock);
      } else if (type.kind === 'struct') type.members.forEach((m) => visit(m.type));
      else if (type.kind === 'variant') type.options.forEach((o) => visit(o.type));
      else if (type.kind === 'array' || type.kind === 'sequence') visit(type.element);
    };
    visit(stream.packetContext);
    visit(stream.eventHeader);
    visit(stream.eventContext);
    for (const event of stream.events.values()) {
      visit(event.context);
      visit(event.payload);
    }
    const line = this.streamLines.get(stream.id) ?? 1;
    if (names.size > 1) throw new MetadataError(`stream class ${stream.id} maps fields to more than one clock (${[...names].join(', ')})`, line);
    const [name] = names;
    if (name === undefined) return null;
    const clock = this.metadata.clocks.get(name);
    if (!clock) throw new MetadataError(`stream class ${stream.id} maps a field to clock "${name}", which the metadata does not declare`, line);
    return clock;
  }

  private streamFor(id: number): StreamClass {
    let stream = this.metadata.streams.get(id);
    if (!stream) {
      stream = { id, clock: null, packetContext: null, eventHeader: null, eventContext: null, events: new Map() };
      this.metadata.streams.set(id, stream);
    }
    return stream;
  }

  private atEnd(): boolean {
    return this.lexer.peek(0) === undefined;
  }

  private peek(ahead = 0): Token | undefined {
    return this.lexer.peek(ahead);
  }

  private offset(): number {
    return this.peek()?.offset ?? this.textLength;
  }

  private next(): Token {
    const token = this.lexer.peek(0);
    this.lexer.advance(1);
    if (!token) throw new MetadataSyntaxError('unexpected end of metadata', this.textLength);
    return token;
  }

  private isPunct(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token?.kind === 'punct' && token.text === text;
  }

  private isIdent(text: string): boolean {
    const token = this.peek();
    return token?.kind === 'ident' && token.text === text;
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text || token.kind === 'string') throw new MetadataSyntaxError(`expected "${text}", found "${token.text}"`, token.offset);
  }

  private identifier(): string {
    const token = this.next();
    if (token.kind !== 'ident') throw new MetadataSyntaxError(`expected a name, found "${token.text}"`, token.offset);
    return token.text;
  }

  private skipSemicolons(): void {
    while (this.isPunct(';')) this.lexer.advance(1);
  }

  private topLevel(): void {
    const token = this.peek()!;
    if (token.kind === 'punct' && token.text === ';') {
      this.lexer.advance(1);
      return;
    }
    if (token.kind === 'ident') {
      switch (token.text) {
        case 'typealias':
          this.typealias();
          return;
        case 'typedef':
          this.typedef();
          return;
        case 'trace':
        case 'env':
        case 'clock':
        case 'stream':
        case 'event':
        case 'callsite':
          if (this.isPunct('{', 1)) {
            this.lexer.advance(1);
            this.block(token.text);
            return;
          }
          break;
      }
    }
    // A named struct/enum/variant declared on its own: `struct packet_context { ... };`
    this.typeSpecifier();
    this.skipSemicolons();
  }

  private typealias(): void {
    this.expect('typealias');
    const type = this.typeSpecifier();
    const { type: declared } = this.declaratorSuffix(type, null);
    this.expect(':=');
    const names: string[] = [];
    while (!this.isPunct(';')) names.push(this.next().text);
    this.expect(';');
    this.scope.aliases.set(names.join(' '), declared);
  }

  private typedef(): void {
    this.expect('typedef');
    const type = this.typeSpecifier();
    const names: string[] = [];
    while (this.peek()?.kind === 'ident') names.push(this.identifier());
    const name = names.pop();
    if (!name) throw new MetadataSyntaxError('typedef without a name', this.offset());
    const { type: declared } = this.declaratorSuffix(type, null);
    this.expect(';');
    this.scope.aliases.set(name, declared);
  }

  /** Reads a type: a keyword type, or an alias name (which may be several words). */
  private typeSpecifier(): FieldClass {
    const token = this.peek();
    if (!token) throw new MetadataSyntaxError('expected a type', this.textLength);
    if (token.kind === 'ident' && TYPE_KEYWORDS.has(token.text)) {
      this.lexer.advance(1);
      switch (token.text) {
        case 'integer':
          return this.integerType(token.offset);
        case 'floating_point':
          return this.floatingPoint(this.attributes(), token.offset);
        case 'string':
          if (this.isPunct('{')) this.attributes();
          return { kind: 'string' };
        case 'enum':
          return this.enumeration();
        case 'struct':
          return this.structure();
        case 'variant':
          return this.variant();
      }
    }
    // Alias names: take the longest run of words that names an alias.
    const words: string[] = [];
    let found: FieldClass | undefined;
    let foundLength = 0;
    while (this.peek(words.length)?.kind === 'ident') {
      words.push(this.peek(words.length)!.text);
      const type = this.scope.lookup(words.join(' '));
      if (type) {
        found = type;
        foundLength = words.length;
      }
    }
    if (!found) throw new MetadataSyntaxError(`unknown type "${words.join(' ') || token.text}"`, token.offset);
    this.lexer.advance(foundLength);
    return found;
  }

  private attributes(): Map<string, Value> {
    this.expect('{');
    const attrs = new Map<string, Value>();
    while (!this.isPunct('}')) {
      const name = this.identifier();
      this.expect('=');
      attrs.set(name, this.value());
      this.skipSemicolons();
    }
    this.lastClose = this.offset();
    this.expect('}');
    return attrs;
  }

  private value(): Value {
    const token = this.peek();
    if (!token) throw new MetadataSyntaxError('unexpected end of metadata', this.textLength);
    if (token.kind === 'string') {
      this.lexer.advance(1);
      return { kind: 'text', value: token.text };
    }
    if (token.kind === 'number' || (token.kind === 'punct' && (token.text === '-' || token.text === '+'))) {
      let sign = 1n;
      if (token.kind === 'punct') {
        this.lexer.advance(1);
        if (token.text === '-') sign = -1n;
      }
      const number = this.next();
      return { kind: 'int', value: sign * parseIntegerLiteral(number.text, number.offset) };
    }
    // `name = string;`: a keyword as a plain word, not a type.
    if (token.kind === 'ident' && TYPE_KEYWORDS.has(token.text) && !(this.isPunct(';', 1) || this.isPunct('}', 1))) {
      return { kind: 'type', value: this.typeSpecifier() };
    }
    const parts = [this.identifier()];
    while (this.isPunct('.') || this.isPunct('->')) {
      this.lexer.advance(1);
      parts.push(this.identifier());
    }
    return { kind: 'path', value: parts.join('.') };
  }

  /**
   * `integer { ... }`. A block whose text was parsed before (and holds no
   * string or comment, and ended at its first `}`) is the same class: the
   * lexer jumps over it.
   */
  private integerType(offset: number): IntegerClass {
    const open = this.peek();
    let key: string | null = null;
    if (open?.kind === 'punct' && open.text === '{') {
      const text = this.lexer.text;
      const close = text.indexOf('}', open.offset);
      if (close >= 0) {
        const block = text.slice(open.offset, close + 1);
        if (!/["'/]/.test(block)) {
          const known = this.integers.get(block);
          if (known) {
            this.lexer.jumpTo(close + 1);
            return known;
          }
          key = block;
        }
      }
    }
    const attrs = this.attributes();
    const type = this.integer(attrs, offset);
    // Only a block that ended where the search found its end (a nested `}` would make the text a prefix), and whose values name no type (a type depends on the scope).
    if (key !== null && this.lastClose === open!.offset + key.length - 1 && !hasTypeValue(attrs)) this.integers.set(key, type);
    return type;
  }

  private integer(attrs: Map<string, Value>, offset: number): IntegerClass {
    const size = Number(this.intAttribute(attrs, 'size', null));
    if (!(size >= 1 && size <= 64)) throw new MetadataSyntaxError(`${size}-bit integers are not supported (1 to 64 bits)`, offset);
    const signed = this.boolAttribute(attrs, 'signed');
    const encodingValue = attrs.get('encoding');
    const encodingName = (encodingValue?.value ?? 'none').toString().toLowerCase();
    const map = attrs.get('map');
    const mapMatch = map?.kind === 'path' ? /^clock\.(.+)\.value$/.exec(map.value) : null;
    return {
      kind: 'int',
      size,
      align: this.alignment(this.intAttribute(attrs, 'align', size % 8 === 0 ? 8n : 1n), offset),
      signed,
      byteOrder: this.byteOrderAttribute(attrs),
      base: this.baseAttribute(attrs),
      encoding: encodingName === 'utf8' ? 'utf8' : encodingName === 'ascii' ? 'ascii' : 'none',
      mappedClock: mapMatch ? mapMatch[1]! : null,
    };
  }

  private floatingPoint(attrs: Map<string, Value>, offset: number): FieldClass {
    const expDig = Number(this.intAttribute(attrs, 'exp_dig', null));
    const mantDig = Number(this.intAttribute(attrs, 'mant_dig', null));
    if (expDig + mantDig !== 32 && expDig + mantDig !== 64) throw new MetadataSyntaxError(`${expDig + mantDig}-bit floating point numbers are not supported (32 or 64 bits)`, offset);
    return { kind: 'float', expDig, mantDig, align: this.alignment(this.intAttribute(attrs, 'align', 8n), offset), byteOrder: this.byteOrderAttribute(attrs) };
  }

  /** An alignment in bits: a power of two (anything else would make positions meaningless). */
  private alignment(value: bigint, offset: number): number {
    if (value < 1n || value > 1n << 30n || (value & (value - 1n)) !== 0n) throw new MetadataSyntaxError(`alignment ${value} is not a power of two`, offset);
    return Number(value);
  }

  private intAttribute(attrs: Map<string, Value>, name: string, fallback: bigint | null): bigint {
    const value = attrs.get(name);
    if (value?.kind === 'int') return value.value;
    if (fallback === null) throw new MetadataSyntaxError(`missing or bad "${name}"`, this.offset());
    return fallback;
  }

  private boolAttribute(attrs: Map<string, Value>, name: string): boolean {
    const value = attrs.get(name);
    if (!value) return false;
    if (value.kind === 'int') return value.value !== 0n;
    return value.value === 'true' || value.value === 'TRUE';
  }

  private byteOrderAttribute(attrs: Map<string, Value>): ByteOrder {
    const value = attrs.get('byte_order')?.value;
    if (value === 'le' || value === 'little') return 'le';
    if (value === 'be' || value === 'big' || value === 'network') return 'be';
    return 'native';
  }

  private baseAttribute(attrs: Map<string, Value>): number {
    const value = attrs.get('base');
    if (!value) return 10;
    if (value.kind === 'int') return Number(value.value);
    switch (String(value.value)) {
      case 'hexadecimal':
      case 'x':
      case 'X':
      case 'p':
        return 16;
      case 'octal':
      case 'o':
        return 8;
      case 'binary':
      case 'b':
        return 2;
      default:
        return 10;
    }
  }

  private enumeration(): FieldClass {
    let name: string | null = null;
    if (this.peek()?.kind === 'ident') name = this.identifier();
    let container: FieldClass | undefined;
    if (this.isPunct(':')) {
      this.lexer.advance(1);
      container = this.typeSpecifier();
    } else if (!this.isPunct('{') && name) {
      const known = this.scope.lookup(`enum ${name}`);
      if (!known) throw new MetadataSyntaxError(`unknown enum ${name}`, this.offset());
      return known;
    } else {
      container = this.scope.lookup('int');
    }
    if (!container || container.kind !== 'int') throw new MetadataSyntaxError('enum container must be an integer', this.offset());
    this.expect('{');
    const mappings: EnumMapping[] = [];
    let nextValue = 0n;
    while (!this.isPunct('}')) {
      const labelToken = this.next();
      const label = labelToken.text;
      let low = nextValue;
      let high = nextValue;
      if (this.isPunct('=')) {
        this.lexer.advance(1);
        low = this.signedNumber();
        high = low;
        if (this.isPunct('...')) {
          this.lexer.advance(1);
          high = this.signedNumber();
        }
      }
      mappings.push({ label, low, high });
      nextValue = high + 1n;
      if (this.isPunct(',')) this.lexer.advance(1);
    }
    this.expect('}');
    const type: FieldClass = { kind: 'enum', container, mappings };
    if (name) this.scope.aliases.set(`enum ${name}`, type);
    return type;
  }

  private signedNumber(): bigint {
    const value = this.value();
    if (value.kind !== 'int') throw new MetadataSyntaxError('expected a number', this.offset());
    return value.value;
  }

  private structure(): FieldClass {
    let name: string | null = null;
    if (this.peek()?.kind === 'ident') name = this.identifier();
    if (!this.isPunct('{')) {
      const known = name ? this.scope.lookup(`struct ${name}`) : undefined;
      if (!known) throw new MetadataSyntaxError(`unknown struct ${name ?? ''}`, this.offset());
      return known;
    }
    const members = this.fieldList();
    let minAlign = 1;
    if (this.isIdent('align')) {
      this.lexer.advance(1);
      this.expect('(');
      minAlign = this.alignment(this.signedNumber(), this.offset());
      this.expect(')');
    }
    const type: StructClass = { kind: 'struct', minAlign, members };
    if (name) this.scope.aliases.set(`struct ${name}`, type);
    return type;
  }

  private variant(): FieldClass {
    let name: string | null = null;
    if (this.peek()?.kind === 'ident') name = this.identifier();
    let tag = '';
    if (this.isPunct('<')) {
      this.lexer.advance(1);
      const parts = [this.identifier()];
      while (this.isPunct('.')) {
        this.lexer.advance(1);
        parts.push(this.identifier());
      }
      this.expect('>');
      tag = parts.join('.');
    }
    const line = this.lineOf(this.offset());
    if (!this.isPunct('{')) {
      const known = name ? this.scope.lookup(`variant ${name}`) : undefined;
      if (!known || known.kind !== 'variant') throw new MetadataSyntaxError(`unknown variant ${name ?? ''}`, this.offset());
      return { ...known, tag, line };
    }
    const type: FieldClass = { kind: 'variant', tag, options: this.fieldList(), line };
    if (name) this.scope.aliases.set(`variant ${name}`, type);
    return type;
  }

  /** `{ TYPE name[dims]; ... }` with nested typealiases, in a new scope. */
  private fieldList(): NamedField[] {
    this.expect('{');
    this.scope = new Scope(this.scope);
    const fields: NamedField[] = [];
    try {
      while (!this.isPunct('}')) {
        if (this.isPunct(';')) {
          this.lexer.advance(1);
        } else if (this.isIdent('typealias')) {
          this.typealias();
        } else if (this.isIdent('typedef')) {
          this.typedef();
        } else {
          fields.push(...this.declaration());
        }
      }
    } finally {
      this.scope = this.scope.parent!;
    }
    this.expect('}');
    return fields;
  }

  private declaration(): NamedField[] {
    const base = this.typeSpecifier();
    const fields: NamedField[] = [];
    for (;;) {
      const name = this.identifier();
      fields.push(this.declaratorSuffix(base, name) as NamedField);
      if (!this.isPunct(',')) break;
      this.lexer.advance(1);
    }
    this.expect(';');
    return fields;
  }

  /** `[16]`, `[len]`, `[a][b]`: the first dimension is the outermost. */
  private declaratorSuffix(base: FieldClass, name: string | null): { name: string | null; type: FieldClass } {
    const dims: Array<{ length: number } | { path: string }> = [];
    const start = this.offset();
    while (this.isPunct('[')) {
      this.lexer.advance(1);
      const value = this.value();
      if (value.kind === 'int') {
        // A fixed length past what fits in memory is damage, not a trace (CTF arrays are small).
        if (value.value < 0n || value.value > MAX_ARRAY_LENGTH) throw new MetadataSyntaxError(`array length ${value.value} is out of range`, this.offset());
        dims.push({ length: Number(value.value) });
      }
      else if (value.kind === 'path') dims.push({ path: value.value });
      else throw new MetadataSyntaxError('bad array length', this.offset());
      this.expect(']');
    }
    let type = base;
    for (let i = dims.length - 1; i >= 0; i--) {
      const dim = dims[i]!;
      type = 'length' in dim ? { kind: 'array', length: dim.length, element: type } : { kind: 'sequence', lengthPath: dim.path, element: type, line: this.lineOf(start) };
    }
    return { name, type };
  }

  private block(kind: string): void {
    const line = this.lineOf(this.offset());
    this.expect('{');
    const values = new Map<string, Value>();
    this.scope = new Scope(this.scope);
    try {
      while (!this.isPunct('}')) {
        if (this.isPunct(';')) {
          this.lexer.advance(1);
          continue;
        }
        if (this.isIdent('typealias')) {
          this.typealias();
          continue;
        }
        if (this.isIdent('typedef')) {
          this.typedef();
          continue;
        }
        const parts = [this.identifier()];
        while (this.isPunct('.')) {
          this.lexer.advance(1);
          parts.push(this.identifier());
        }
        const key = parts.join('.');
        if (this.isPunct(':=')) {
          this.lexer.advance(1);
          const type = this.typeSpecifier();
          values.set(key, { kind: 'type', value: this.declaratorSuffix(type, null).type });
        } else {
          this.expect('=');
          values.set(key, this.value());
        }
        this.skipSemicolons();
      }
    } finally {
      this.scope = this.scope.parent!;
    }
    this.expect('}');
    this.skipSemicolons();
    this.applyBlock(kind, values, line);
  }

  private applyBlock(kind: string, values: Map<string, Value>, line: number): void {
    const int = (key: string, fallback: bigint): bigint => {
      const value = values.get(key);
      return value?.kind === 'int' ? value.value : fallback;
    };
    const text = (key: string): string | null => {
      const value = values.get(key);
      return value && (value.kind === 'text' || value.kind === 'path') ? value.value : null;
    };
    const struct = (key: string): StructClass | null => {
      const value = values.get(key);
      if (!value) return null;
      if (value.kind !== 'type' || value.value.kind !== 'struct') throw new MetadataSyntaxError(`${kind}.${key} must be a struct`, this.offset());
      return value.value;
    };
    switch (kind) {
      case 'trace':
        this.metadata.byteOrder = text('byte_order') === 'be' || text('byte_order') === 'network' ? 'be' : 'le';
        this.metadata.uuid = text('uuid');
        this.metadata.packetHeader = struct('packet.header');
        return;
      case 'env':
        for (const [key, value] of values) {
          if (value.kind === 'int') this.metadata.env.set(key, value.value);
          else if (value.kind === 'text' || value.kind === 'path') this.metadata.env.set(key, value.value);
        }
        return;
      case 'clock': {
        const name = text('name');
        if (!name) throw new MetadataSyntaxError('clock without a name', this.offset());
        const clock: ClockClass = { name, freq: int('freq', 1_000_000_000n), offsetSeconds: int('offset_s', 0n), offsetCycles: int('offset', 0n) };
        this.metadata.clocks.set(name, clock);
        return;
      }
      case 'stream': {
        const stream = this.streamFor(Number(int('id', 0n)));
        this.streamLines.set(stream.id, line);
        stream.packetContext = struct('packet.context');
        stream.eventHeader = struct('event.header');
        stream.eventContext = struct('event.context');
        this.mapTimestamps(stream.packetContext, ['timestamp_begin', 'timestamp_end']);
        this.mapTimestamps(stream.eventHeader, ['timestamp']);
        return;
      }
      case 'event':
        if (!this.streamLines.has(Number(int('stream_id', 0n)))) this.streamLines.set(Number(int('stream_id', 0n)), line);
        this.pendingEvents.push({
          id: Number(int('id', 0n)),
          name: text('name') ?? '',
          streamId: Number(int('stream_id', 0n)),
          context: struct('context'),
          payload: struct('fields'),
        });
        return;
    }
  }
}

/**
 * offset -> 1-based line of `text`. The parser asks in text order: from the
 * last answer, newlines are counted forward; an earlier offset (an error
 * found later) counts from the start.
 */
export function lineFinder(text: string): (offset: number) => number {
  let lastOffset = 0;
  let lastLine = 1;
  return (offset) => {
    if (offset < lastOffset) {
      lastOffset = 0;
      lastLine = 1;
    }
    for (let i = text.indexOf('\n', lastOffset); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) lastLine++;
    lastOffset = offset;
    return lastLine;
  };
}

export function parseMetadataText(text: string): TraceMetadata {
  const parser = new Parser(text, lineFinder(text));
  const metadata = parser.parse();
  if (metadata.streams.size === 0) metadata.streams.set(0, { id: 0, clock: null, packetContext: null, eventHeader: null, eventContext: null, events: new Map() });
  return metadata;
}
