// A small model of CTF 1.8 trace metadata and its TSDL text, as LTTng
// writes it: little-endian, byte-aligned integers, one clock, one stream
// whose packet header, packet context and event header are fixed (the
// stream writer fills exactly these; see stream-writer.ts), and event
// classes described by the caller.
//
// Reference: the CTF 1.8.3 specification (https://diamon.org/ctf/v1.8.3/),
// and the metadata of lttng-modules traces.

export type CtfType =
  | {
      kind: 'integer';
      size: 8 | 16 | 32 | 64;
      signed: boolean;
      base?: 8 | 10 | 16;
      /** UTF8 makes an array of 8-bit integers a string to readers. */
      encoding?: 'UTF8';
    }
  | { kind: 'string' }
  | { kind: 'array'; element: CtfType; length: number }
  /** Its length is an earlier unsigned integer field of the same struct, named lengthField. */
  | { kind: 'sequence'; element: CtfType; lengthField: string };

export interface CtfField {
  /** As readers show it; the TSDL name gets LTTng's leading underscore, which readers strip. */
  name: string;
  type: CtfType;
}

export interface CtfEventClass {
  id: number;
  name: string;
  fields: CtfField[];
}

export interface CtfClock {
  name: string;
  description: string;
  /** Same uuid as another trace's clock tells readers the two can be correlated (LTTng uses the boot id). */
  uuid?: string;
  /** Clock value 0, in ns since the Unix epoch: readers add it to print wall-clock time. */
  offsetNs: bigint;
}

export interface CtfTraceMetadata {
  uuid: string;
  env: Record<string, string | number>;
  clock: CtfClock;
  eventContext: CtfField[];
  events: CtfEventClass[];
}

export const int32: CtfType = { kind: 'integer', size: 32, signed: true };
export const uint32: CtfType = { kind: 'integer', size: 32, signed: false };
export const ctfString: CtfType = { kind: 'string' };

/** A char[length] that readers print as text. */
/** A char[length] of text: signed bytes, as lttng-modules declares comm and procname. */
export function textArray(length: number): CtfType {
  return { kind: 'array', element: { kind: 'integer', size: 8, signed: true, encoding: 'UTF8' }, length };
}

const NS_PER_S = 1_000_000_000n;

export function renderMetadata(meta: CtfTraceMetadata): string {
  const clock = meta.clock.name;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(clock)) throw new Error(`clock name is not a TSDL identifier: ${clock}`);
  let offsetS = meta.clock.offsetNs / NS_PER_S;
  let offset = meta.clock.offsetNs % NS_PER_S;
  if (offset < 0n) {
    offsetS -= 1n;
    offset += NS_PER_S;
  }
  const out: string[] = [
    '/* CTF 1.8 */',
    '',
    'typealias integer { size = 8; align = 8; signed = false; } := uint8_t;',
    'typealias integer { size = 16; align = 8; signed = false; } := uint16_t;',
    'typealias integer { size = 32; align = 8; signed = false; } := uint32_t;',
    'typealias integer { size = 64; align = 8; signed = false; } := uint64_t;',
    '',
    'trace {',
    '\tmajor = 1;',
    '\tminor = 8;',
    `\tuuid = ${quote(meta.uuid)};`,
    '\tbyte_order = le;',
    '\tpacket.header := struct {',
    '\t\tuint32_t magic;',
    '\t\tuint8_t  uuid[16];',
    '\t\tuint32_t stream_id;',
    '\t\tuint64_t stream_instance_id;',
    '\t};',
    '};',
    '',
    'env {',
    ...Object.entries(meta.env).map(([key, value]) => `\t${identifier(key)} = ${typeof value === 'number' ? integerLiteral(value) : quote(value)};`),
    '};',
    '',
    'clock {',
    `\tname = ${clock};`,
    ...(meta.clock.uuid ? [`\tuuid = ${quote(meta.clock.uuid)};`] : []),
    `\tdescription = ${quote(meta.clock.description)};`,
    '\tfreq = 1000000000; /* Frequency, in Hz */',
    '\t/* clock value offset from Epoch is: offset_s + offset * (1/freq) */',
    `\toffset_s = ${offsetS};`,
    `\toffset = ${offset};`,
    '};',
    '',
    'typealias integer {',
    '\tsize = 64; align = 8; signed = false;',
    `\tmap = clock.${clock}.value;`,
    `} := uint64_clock_${clock}_t;`,
    '',
    'stream {',
    '\tid = 0;',
    '\tpacket.context := struct {',
    `\t\tuint64_clock_${clock}_t timestamp_begin;`,
    `\t\tuint64_clock_${clock}_t timestamp_end;`,
    '\t\tuint64_t content_size;',
    '\t\tuint64_t packet_size;',
    '\t\tuint64_t packet_seq_num;',
    '\t\tuint64_t events_discarded;',
    '\t\tuint32_t cpu_id;',
    '\t};',
    '\tevent.header := struct {',
    '\t\tuint16_t id;',
    `\t\tuint64_clock_${clock}_t timestamp;`,
    '\t};',
    ...(meta.eventContext.length > 0 ? ['\tevent.context := struct {', ...renderFields(meta.eventContext, '\t\t'), '\t};'] : []),
    '};',
    '',
  ];
  for (const event of meta.events) {
    out.push(
      'event {',
      `\tname = ${quote(event.name)};`,
      `\tid = ${event.id};`,
      '\tstream_id = 0;',
      '\tfields := struct {',
      ...renderFields(event.fields, '\t\t'),
      '\t};',
      '};',
      '',
    );
  }
  return out.join('\n');
}

function renderFields(fields: CtfField[], indent: string): string[] {
  const names = new Set<string>();
  return fields.map((field) => {
    if (names.has(field.name)) throw new Error(`duplicate CTF field name: ${field.name}`);
    names.add(field.name);
    return `${indent}${declaration(field.type, identifier(`_${field.name}`))};`;
  });
}

function declaration(type: CtfType, name: string): string {
  switch (type.kind) {
    case 'integer':
      return `${integerType(type)} ${name}`;
    case 'string':
      return `string ${name}`;
    case 'array':
      return `${declaration(type.element, name)}[${type.length}]`;
    case 'sequence':
      return `${declaration(type.element, name)}[ ${identifier(`_${type.lengthField}`)} ]`;
  }
}

function integerType(type: Extract<CtfType, { kind: 'integer' }>): string {
  return (
    `integer { size = ${type.size}; align = 8; signed = ${type.signed ? 1 : 0}; ` +
    `encoding = ${type.encoding ?? 'none'}; base = ${type.base ?? 10}; }`
  );
}

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a TSDL identifier: ${name}`);
  return name;
}

function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`TSDL env values must be integers or strings: ${value}`);
  return String(value);
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}
