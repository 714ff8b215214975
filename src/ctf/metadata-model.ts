// The CTF 1.8 metadata as the reader sees it: field classes and the trace,
// clock, stream and event blocks that own them. Built by metadata-parser.ts.

/** Metadata that parses but cannot be decoded with (an unresolvable length, an unsupported size). */
export class MetadataError extends Error {
  /** `line`: where in the metadata text, when known. */
  constructor(message: string, readonly line: number | null = null) {
    super(message);
    this.name = 'MetadataError';
  }
}

export type ByteOrder = 'le' | 'be' | 'native';

export interface IntegerClass {
  kind: 'int';
  size: number;
  align: number;
  signed: boolean;
  byteOrder: ByteOrder;
  /** 2, 8, 10 or 16: how a printer shows the value. */
  base: number;
  encoding: 'none' | 'utf8' | 'ascii';
  /** Clock name from `map = clock.NAME.value`. */
  mappedClock: string | null;
}

export interface EnumMapping {
  label: string;
  low: bigint;
  high: bigint;
}

export interface EnumClass {
  kind: 'enum';
  container: IntegerClass;
  mappings: EnumMapping[];
}

export interface FloatClass {
  kind: 'float';
  expDig: number;
  mantDig: number;
  align: number;
  byteOrder: ByteOrder;
}

export interface StringClass {
  kind: 'string';
}

export interface NamedField {
  name: string;
  type: FieldClass;
}

export interface StructClass {
  kind: 'struct';
  /** Minimum alignment from `align(N)`; the effective one also covers the members. */
  minAlign: number;
  members: NamedField[];
}

export interface VariantClass {
  kind: 'variant';
  /** Path of the tag field, as written (`id`, `stream.event.header.id`). */
  tag: string;
  options: NamedField[];
  /** Line of the metadata text that declares it, for errors. */
  line: number;
}

export interface ArrayClass {
  kind: 'array';
  length: number;
  element: FieldClass;
}

export interface SequenceClass {
  kind: 'sequence';
  /** Path of the length field, as written. */
  lengthPath: string;
  element: FieldClass;
  /** Line of the metadata text that declares it, for errors. */
  line: number;
}

export type FieldClass = IntegerClass | EnumClass | FloatClass | StringClass | StructClass | VariantClass | ArrayClass | SequenceClass;

export interface ClockClass {
  name: string;
  freq: bigint;
  offsetSeconds: bigint;
  offsetCycles: bigint;
}

export interface EventClass {
  id: number;
  name: string;
  streamId: number;
  context: StructClass | null;
  payload: StructClass | null;
}

export interface StreamClass {
  id: number;
  /**
   * babeltrace2's default clock class: the clock some field of the stream
   * class maps to. Without one, events have no time (and text no `[time]`).
   */
  clock: ClockClass | null;
  packetContext: StructClass | null;
  eventHeader: StructClass | null;
  eventContext: StructClass | null;
  events: Map<number, EventClass>;
}

export interface TraceMetadata {
  byteOrder: 'le' | 'be';
  uuid: string | null;
  packetHeader: StructClass | null;
  env: Map<string, string | bigint>;
  clocks: Map<string, ClockClass>;
  streams: Map<number, StreamClass>;
}

export function alignmentOf(type: FieldClass): number {
  switch (type.kind) {
    case 'int':
    case 'float':
      return type.align;
    case 'enum':
      return type.container.align;
    case 'string':
      return 8;
    case 'struct':
      return type.members.reduce((align, member) => Math.max(align, alignmentOf(member.type)), type.minAlign);
    case 'variant':
      return 1;
    case 'array':
    case 'sequence':
      return alignmentOf(type.element);
  }
}

/** CTF 1.8 reserves a leading underscore to escape keywords; readers show the name without it. */
export function displayName(name: string): string {
  return name.startsWith('_') ? name.slice(1) : name;
}
