// Events -> one JSON object per line, for pipelines. Fields are the ones the
// text output shows, under the same names; integers past 2^53 and the
// nanosecond timestamp are strings so no digit is lost; enumerations are
// { value, labels }; a variant is { option: value }.

import type { FieldValue, VariantValue } from '../ctf/field-decoder.js';
import { isTextElement } from '../ctf/field-decoder.js';
import { displayName, type FieldClass, type StructClass } from '../ctf/metadata-model.js';
import { PACKET_CONTEXT_MEANINGS, type CtfEvent } from '../ctf/trace-reader.js';
import { isScopeVisible, isVisible, type VisibilityRules } from './pretty-text.js';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Converter = (value: FieldValue) => JsonValue;

export class JsonLineFormatter {
  private readonly converters = new WeakMap<object, Converter | null>();

  format(event: CtfEvent): string {
    const record: { [key: string]: JsonValue } = {
      timestamp_ns: event.timestampNs.toString(),
      name: event.eventClass.name,
      trace: event.trace.dir,
    };
    const hostname = event.trace.metadata.env.get('hostname');
    if (typeof hostname === 'string') record.hostname = utf8(hostname);
    const scopes: Array<[string, StructClass | null, FieldValue[] | null, ReadonlySet<string> | null]> = [
      ['packet_context', event.streamClass.packetContext, event.packetContext, PACKET_CONTEXT_MEANINGS],
      ['stream_context', event.streamClass.eventContext, event.streamContext, null],
      ['context', event.eventClass.context, event.context, null],
      ['payload', event.eventClass.payload, event.payload, null],
    ];
    for (const [key, type, value, meanings] of scopes) {
      if (!type || !value) continue;
      let converter = this.converters.get(type);
      if (converter === undefined) {
        const rules = { referenced: event.trace.referencedNames, meanings };
        converter = isScopeVisible(type, rules) ? structConverter(type, rules, true) : null;
        this.converters.set(type, converter);
      }
      if (converter) record[key] = converter(value);
    }
    return `${JSON.stringify(record)}\n`;
  }
}

/** Strings were decoded one char per byte; JSON wants the text they spell. */
export function utf8(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

function integer(value: FieldValue): JsonValue {
  if (typeof value === 'bigint') return value.toString();
  return value as number;
}

function structConverter(type: StructClass, rules: VisibilityRules, topLevel: boolean): Converter {
  const members = type.members
    .map((member, index) => ({ member, index }))
    .filter(({ member }) => isVisible(member.type, member.name, topLevel, rules))
    .map(({ member, index }) => ({ name: displayName(member.name), index, convert: fieldConverter(member.type, rules) }));
  return (value) => {
    const values = value as FieldValue[];
    const out: { [key: string]: JsonValue } = {};
    for (const member of members) out[member.name] = member.convert(values[member.index]!);
    return out;
  };
}

function fieldConverter(type: FieldClass, rules: VisibilityRules): Converter {
  switch (type.kind) {
    case 'int':
      return integer;
    case 'enum':
      return (value) => {
        const v = BigInt(value as number | bigint);
        return { value: integer(value), labels: type.mappings.filter((m) => v >= m.low && v <= m.high).map((m) => m.label) };
      };
    case 'float':
      return (value) => (Number.isFinite(value) ? (value as number) : String(value));
    case 'string':
      return (value) => utf8(value as string);
    case 'struct':
      return structConverter(type, rules, false);
    case 'variant': {
      const options = type.options.map((o) => ({ name: displayName(o.name), convert: fieldConverter(o.type, rules) }));
      return (value) => {
        const selected = value as VariantValue;
        const option = options[selected.option]!;
        return { [option.name]: option.convert(selected.value) };
      };
    }
    case 'array':
    case 'sequence': {
      if (isTextElement(type.element)) return (value) => utf8(value as string);
      const element = fieldConverter(type.element, rules);
      return (value) => (value as FieldValue[]).map(element);
    }
  }
}
