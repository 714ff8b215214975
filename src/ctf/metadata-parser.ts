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
} from './metadata-model.js';

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

const PUNCTUATION = [':=', '...', '->', '{', '}', '[', ']', '(', ')', ';', ':', '=', ',', '<', '>', '.', '+', '-'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\0') {
      i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new MetadataSyntaxError('unterminated comment', i);
      i = end + 2;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_$]/.test(text[i]!)) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), offset: start });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < text.length && /[0-9A-Za-z]/.test(text[i]!)) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), offset: start });
    } else if (c === '"' || c === "'") {
      const start = i++;
      let value = '';
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          const escaped = text[i + 1] ?? '';
          value += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
          i += 2;
        } else {
          value += text[i++];
        }
      }
      if (i >= text.length) throw new MetadataSyntaxError('unterminated string', start);
      i++;
      tokens.push({ kind: 'string', text: value, offset: start });
    } else {
      const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
      if (!punct) throw new MetadataSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
      tokens.push({ kind: 'punct', text: punct, offset: i });
      i += punct.length;
    }
  }
  return tokens;
}

function parseIntegerLiteral(text: string, offset: number): bigint {
  const digits = text.replace(/[uUlL]+$/, '');
  try {
    if (/^0[xX]/.test(digits)) return BigInt(digits);
    if (/^0[0-7]+$/.test(digits)) return BigInt(`0o${digits.slice(1)}`);
    return BigInt(digits);
  } catch {
    throw new MetadataSyntaxError(`bad number ${text}`, offset);
  }
}

type Value = { kind: 'int'; value: bigint } | { kind: 'text'; value: string } | { kind: 'path'; value: string } | { kind: 'type'; value: FieldClass };

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
  private position = 0;
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

  constructor(private readonly tokens: Token[], private readonly textLength: number) {}

  parse(): TraceMetadata {
    while (!this.atEnd()) this.topLevel();
    for (const event of this.pendingEvents) {
      const stream = this.streamFor(event.streamId);
      stream.events.set(event.id, event);
    }
    return this.metadata;
  }

  private streamFor(id: number): StreamClass {
    let stream = this.metadata.streams.get(id);
    if (!stream) {
      stream = { id, packetContext: null, eventHeader: null, eventContext: null, events: new Map() };
      this.metadata.streams.set(id, stream);
    }
    return stream;
  }

  private atEnd(): boolean {
    return this.position >= this.tokens.length;
  }

  private peek(ahead = 0): Token | undefined {
    return this.tokens[this.position + ahead];
  }

  private offset(): number {
    return this.peek()?.offset ?? this.textLength;
  }

  private next(): Token {
    const token = this.tokens[this.position++];
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
    while (this.isPunct(';')) this.position++;
  }

  private topLevel(): void {
    const token = this.peek()!;
    if (token.kind === 'punct' && token.text === ';') {
      this.position++;
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
            this.position++;
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
      this.position++;
      switch (token.text) {
        case 'integer':
          return this.integer(this.attributes());
        case 'floating_point':
          return this.floatingPoint(this.attributes());
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
    this.position += foundLength;
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
    this.expect('}');
    return attrs;
  }

  private value(): Value {
    const token = this.peek();
    if (!token) throw new MetadataSyntaxError('unexpected end of metadata', this.textLength);
    if (token.kind === 'string') {
      this.position++;
      return { kind: 'text', value: token.text };
    }
    if (token.kind === 'number' || (token.kind === 'punct' && (token.text === '-' || token.text === '+'))) {
      let sign = 1n;
      if (token.kind === 'punct') {
        this.position++;
        if (token.text === '-') sign = -1n;
      }
      const number = this.next();
      return { kind: 'int', value: sign * parseIntegerLiteral(number.text, number.offset) };
    }
    if (token.kind === 'ident' && TYPE_KEYWORDS.has(token.text)) return { kind: 'type', value: this.typeSpecifier() };
    const parts = [this.identifier()];
    while (this.isPunct('.') || this.isPunct('->')) {
      this.position++;
      parts.push(this.identifier());
    }
    return { kind: 'path', value: parts.join('.') };
  }

  private integer(attrs: Map<string, Value>): IntegerClass {
    const size = Number(this.intAttribute(attrs, 'size', null));
    const signed = this.boolAttribute(attrs, 'signed');
    const encodingValue = attrs.get('encoding');
    const encodingName = (encodingValue?.value ?? 'none').toString().toLowerCase();
    const map = attrs.get('map');
    const mapMatch = map?.kind === 'path' ? /^clock\.(.+)\.value$/.exec(map.value) : null;
    return {
      kind: 'int',
      size,
      align: Number(this.intAttribute(attrs, 'align', size % 8 === 0 ? 8n : 1n)),
      signed,
      byteOrder: this.byteOrderAttribute(attrs),
      base: this.baseAttribute(attrs),
      encoding: encodingName === 'utf8' ? 'utf8' : encodingName === 'ascii' ? 'ascii' : 'none',
      mappedClock: mapMatch ? mapMatch[1]! : null,
    };
  }

  private floatingPoint(attrs: Map<string, Value>): FieldClass {
    return {
      kind: 'float',
      expDig: Number(this.intAttribute(attrs, 'exp_dig', null)),
      mantDig: Number(this.intAttribute(attrs, 'mant_dig', null)),
      align: Number(this.intAttribute(attrs, 'align', 8n)),
      byteOrder: this.byteOrderAttribute(attrs),
    };
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
      this.position++;
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
        this.position++;
        low = this.signedNumber();
        high = low;
        if (this.isPunct('...')) {
          this.position++;
          high = this.signedNumber();
        }
      }
      mappings.push({ label, low, high });
      nextValue = high + 1n;
      if (this.isPunct(',')) this.position++;
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
      this.position++;
      this.expect('(');
      minAlign = Number(this.signedNumber());
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
      this.position++;
      const parts = [this.identifier()];
      while (this.isPunct('.')) {
        this.position++;
        parts.push(this.identifier());
      }
      this.expect('>');
      tag = parts.join('.');
    }
    if (!this.isPunct('{')) {
      const known = name ? this.scope.lookup(`variant ${name}`) : undefined;
      if (!known || known.kind !== 'variant') throw new MetadataSyntaxError(`unknown variant ${name ?? ''}`, this.offset());
      return { ...known, tag };
    }
    const type: FieldClass = { kind: 'variant', tag, options: this.fieldList() };
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
          this.position++;
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
      this.position++;
    }
    this.expect(';');
    return fields;
  }

  /** `[16]`, `[len]`, `[a][b]`: the first dimension is the outermost. */
  private declaratorSuffix(base: FieldClass, name: string | null): { name: string | null; type: FieldClass } {
    const dims: Array<{ length: number } | { path: string }> = [];
    while (this.isPunct('[')) {
      this.position++;
      const value = this.value();
      if (value.kind === 'int') dims.push({ length: Number(value.value) });
      else if (value.kind === 'path') dims.push({ path: value.value });
      else throw new MetadataSyntaxError('bad array length', this.offset());
      this.expect(']');
    }
    let type = base;
    for (let i = dims.length - 1; i >= 0; i--) {
      const dim = dims[i]!;
      type = 'length' in dim ? { kind: 'array', length: dim.length, element: type } : { kind: 'sequence', lengthPath: dim.path, element: type };
    }
    return { name, type };
  }

  private block(kind: string): void {
    this.expect('{');
    const values = new Map<string, Value>();
    this.scope = new Scope(this.scope);
    try {
      while (!this.isPunct('}')) {
        if (this.isPunct(';')) {
          this.position++;
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
          this.position++;
          parts.push(this.identifier());
        }
        const key = parts.join('.');
        if (this.isPunct(':=')) {
          this.position++;
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
    this.applyBlock(kind, values);
  }

  private applyBlock(kind: string, values: Map<string, Value>): void {
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
        stream.packetContext = struct('packet.context');
        stream.eventHeader = struct('event.header');
        stream.eventContext = struct('event.context');
        return;
      }
      case 'event':
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

export function parseMetadataText(text: string): TraceMetadata {
  const parser = new Parser(tokenize(text), text.length);
  const metadata = parser.parse();
  if (metadata.streams.size === 0) metadata.streams.set(0, { id: 0, packetContext: null, eventHeader: null, eventContext: null, events: new Map() });
  return metadata;
}
