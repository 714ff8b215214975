// Events -> babeltrace2's default text (the `sink.text.pretty` component),
// byte for byte. Reference: babeltrace src/plugins/text/pretty/print.c, and
// which fields reach its output: src/plugins/ctf/common/metadata/
// ctf-meta-update-in-ir.c (fields with a special meaning or mapped to a clock
// are dropped unless a sequence or variant refers to them).

import type { FieldValue, VariantValue } from '../ctf/field-decoder.js';
import { isTextElement } from '../ctf/field-decoder.js';
import { displayName, type EventClass, type FieldClass, type IntegerClass, type StructClass } from '../ctf/metadata-model.js';
import { PACKET_CONTEXT_MEANINGS, type BackwardsPacketNotice, type CtfEvent, type CtfTrace, type DiscardedNotice } from '../ctf/trace-reader.js';

type Formatter = (value: FieldValue) => string;

const NS_PER_SECOND = 1_000_000_000n;

type LineFormatter = (event: CtfEvent) => string;

/** Formats events one line each; keeps the previous timestamp for the delta. */
export class PrettyTextFormatter {
  private lastNs: bigint | null = null;
  private readonly formatters = new WeakMap<object, Formatter | null>();
  /** Everything after the time and delta, built once per event class. */
  private readonly lines = new WeakMap<EventClass, LineFormatter>();

  /** One event as a line, with its '\n'; latin1, so write it with the latin1 encoding. */
  format(event: CtfEvent): string {
    let line = this.lines.get(event.eventClass);
    if (!line) {
      line = this.compileLine(event);
      this.lines.set(event.eventClass, line);
    }
    return `[${formatClock(event.timestampNs)}] (${this.delta(event.timestampNs)}) ${line(event)}`;
  }

  private compileLine(event: CtfEvent): LineFormatter {
    const hostname = event.trace.metadata.env.get('hostname');
    const head = `${typeof hostname === 'string' ? `${hostname} ` : ''}${event.eventClass.name}: `;
    const scopes: Array<{ read: (e: CtfEvent) => FieldValue[] | null; format: Formatter }> = [];
    const add = (type: StructClass | null, meanings: ReadonlySet<string> | null, read: (e: CtfEvent) => FieldValue[] | null) => {
      const format = type ? this.scopeFormatter(event.trace, type, meanings) : null;
      if (format) scopes.push({ read, format });
    };
    add(event.streamClass.packetContext, PACKET_CONTEXT_MEANINGS, (e) => e.packetContext);
    add(event.streamClass.eventContext, null, (e) => e.streamContext);
    add(event.eventClass.context, null, (e) => e.context);
    add(event.eventClass.payload, null, (e) => e.payload);
    return (e) => {
      let text = head;
      let first = true;
      for (const scope of scopes) {
        const value = scope.read(e);
        if (!value) continue;
        if (!first) text += ', ';
        first = false;
        text += scope.format(value);
      }
      return `${text}\n`;
    };
  }

  private delta(ns: bigint): string {
    const last = this.lastNs;
    this.lastNs = ns;
    if (last === null) return '+?.?????????';
    let delta = ns - last;
    if (delta < 0n) delta = BigInt.asUintN(64, delta);
    return `+${delta / NS_PER_SECOND}.${(delta % NS_PER_SECOND).toString().padStart(9, '0')}`;
  }

  private scopeFormatter(trace: CtfTrace, type: StructClass, meanings: ReadonlySet<string> | null): Formatter | null {
    let formatter = this.formatters.get(type);
    if (formatter === undefined) {
      formatter = compileFormatter(type, { referenced: trace.referencedNames, meanings });
      this.formatters.set(type, formatter);
    }
    return formatter;
  }
}

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

function compileFormatter(type: StructClass, rules: VisibilityRules): Formatter | null {
  if (!isVisible(type, null, false, rules)) return null;
  return compileStruct(type, rules, true);
}

function compileStruct(type: StructClass, rules: VisibilityRules, topLevel: boolean): Formatter {
  const shown: Array<{ index: number; prefix: string; format: Formatter }> = [];
  type.members.forEach((member, index) => {
    if (!isVisible(member.type, member.name, topLevel, rules)) return;
    const prefix = `${shown.length === 0 ? ' ' : ', '}${displayName(member.name)} = `;
    shown.push({ index, prefix, format: compileField(member.type, rules) });
  });
  return (value) => {
    const values = value as FieldValue[];
    let text = '{';
    for (const member of shown) text += member.prefix + member.format(values[member.index]!);
    return `${text} }`;
  };
}

function compileField(type: FieldClass, rules: VisibilityRules): Formatter {
  switch (type.kind) {
    case 'int':
      return integerFormatter(type);
    case 'enum': {
      const container = integerFormatter(type.container);
      const mappings = type.mappings.map((m) => ({ low: m.low, high: m.high, label: escapeString(m.label) }));
      return (value) => {
        const v = BigInt(value as number | bigint);
        const labels = mappings.filter((m) => v >= m.low && v <= m.high).map((m) => m.label);
        return `( ${labels.length ? labels.join(', ') : '<unknown>'} : container = ${container(value)} )`;
      };
    }
    case 'float':
      return (value) => formatG(value as number);
    case 'string':
      return (value) => escapeString(value as string);
    case 'struct':
      return compileStruct(type, rules, false);
    case 'variant': {
      const options = type.options.map((o) => compileField(o.type, rules));
      return (value) => {
        const selected = value as VariantValue;
        return `{ ${options[selected.option]!(selected.value)} }`;
      };
    }
    case 'array':
    case 'sequence': {
      if (isTextElement(type.element)) return (value) => escapeString(value as string);
      const element = compileField(type.element, rules);
      return (value) => {
        const values = value as FieldValue[];
        let text = '[';
        for (let i = 0; i < values.length; i++) text += `${i === 0 ? ' ' : ', '}[${i}] = ${element(values[i]!)}`;
        return `${text} ]`;
      };
    }
  }
}

function integerFormatter(type: IntegerClass): Formatter {
  const size = type.size;
  switch (type.base) {
    case 16: {
      const bits = Math.min(64, (size + 3) & ~3);
      return (value) => {
        const v = typeof value === 'number' && value >= 0 ? value : BigInt.asUintN(bits, BigInt(value as number | bigint));
        return `0x${v.toString(16).toUpperCase()}`;
      };
    }
    case 8: {
      const bits = Math.min(64, Math.ceil(size / 3) * 3);
      return (value) => {
        const v = typeof value === 'number' && value >= 0 ? value : BigInt.asUintN(bits, BigInt(value as number | bigint));
        return `0${v.toString(8)}`;
      };
    }
    case 2:
      return (value) => `0b${BigInt.asUintN(size, BigInt(value as number | bigint)).toString(2).padStart(size, '0')}`;
    default:
      return (value) => String(value);
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
  // eslint-disable-next-line no-control-regex
  if (!/[\\'"?\x00-\x1f\x7f]/.test(text)) return `"${text}"`;
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
