// Parser of tracefs `format` files (events/<system>/<name>/format, and the
// same field syntax in events/header_page). Everything comes from the
// kernel's own text: offsets, sizes and signedness are the kernel's; the
// type names are only read for what they spell out themselves (`*` for a
// pointer, `char` for text, `__data_loc`/`__rel_loc` for dynamic data).
//
// Reference: libtraceevent event-parse.c (event_read_fields), and the
// kernel's trace_events.c (f_show) which prints these lines.

/** How a field's bytes are laid out in the record. */
export type FieldLayout =
  /** One integer of 1, 2, 4 or 8 bytes (bool and pointers included). */
  | { kind: 'integer' }
  /** A fixed array; a field of an odd size is an array of bytes. */
  | { kind: 'array'; length: number; elementSize: ElementSize; text: boolean }
  /**
   * Data stored elsewhere in the record: __data_loc (u32, offset in the low
   * 16 bits from the record start, length in bytes in the high 16 bits),
   * __rel_loc (the same, offset from the end of the u32), or a zero-size
   * trailing array that runs to the end of the record.
   */
  | { kind: 'dynamic'; location: 'data_loc' | 'rel_loc' | 'tail'; elementSize: ElementSize; text: boolean };

export type ElementSize = 1 | 2 | 4 | 8;

export interface FormatField {
  name: string;
  /** The C type as the kernel printed it, without the name and array bounds. */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  pointer: boolean;
  layout: FieldLayout;
}

export interface EventFormat {
  name: string;
  id: number;
  /** common_type, common_flags, common_preempt_count, common_pid (and any other common_*). */
  commonFields: FormatField[];
  fields: FormatField[];
}

const FIELD_LINE = /^\s*field:\s*(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(-?\d+);/;
const DECLARATION = /^(.*?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$/;

export function parseEventFormat(text: string): EventFormat {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (!name || !id) throw new Error(`not a tracefs event format (no name or ID): ${text.slice(0, 80)}`);
  const all = parseFormatFields(text);
  return {
    name,
    id: Number(id),
    commonFields: all.filter((f) => f.name.startsWith('common_')),
    fields: all.filter((f) => !f.name.startsWith('common_')),
  };
}

/** Every `field:` line of a format text, in order. */
export function parseFormatFields(text: string): FormatField[] {
  const fields: FormatField[] = [];
  for (const line of text.split('\n')) {
    const match = FIELD_LINE.exec(line);
    if (match) fields.push(parseField(match[1]!, Number(match[2]), Number(match[3]), match[4] === '1'));
  }
  return fields;
}

function parseField(declaration: string, offset: number, size: number, signed: boolean): FormatField {
  const decl = DECLARATION.exec(declaration.trim());
  if (!decl) throw new Error(`cannot parse format field "${declaration}"`);
  const type = decl[1]!.trim();
  const name = decl[2]!;
  const bound = decl[3];
  const pointer = type.includes('*');
  const base = { name, type, offset, size, signed, pointer };

  const dynamic = /^__(data|rel)_loc\s+(.*)$/.exec(type);
  if (dynamic) {
    const element = dynamic[2]!.replace(/\[\s*\]$/, '').trim();
    return {
      ...base,
      layout: {
        kind: 'dynamic',
        location: dynamic[1] === 'data' ? 'data_loc' : 'rel_loc',
        elementSize: elementSizeFromName(element),
        text: isCharType(element),
      },
    };
  }
  if (bound !== undefined) {
    const text = isCharType(type);
    if (size === 0) {
      return { ...base, layout: { kind: 'dynamic', location: 'tail', elementSize: text ? 1 : elementSizeFromName(type), text } };
    }
    const length = Number(bound);
    const elementSize = Number.isInteger(length) && length > 0 ? size / length : NaN;
    if (isElementSize(elementSize)) {
      return { ...base, layout: { kind: 'array', length, elementSize, text: text && elementSize === 1 } };
    }
    // The bound is an expression the kernel did not evaluate (older kernels
    // print `u8 saddr[sizeof(struct sockaddr_in6)]`): keep the bytes.
    return { ...base, layout: bytes(size) };
  }
  if (isElementSize(size)) return { ...base, layout: { kind: 'integer' } };
  return { ...base, layout: bytes(size) };
}

function bytes(size: number): FieldLayout {
  return { kind: 'array', length: size, elementSize: 1, text: false };
}

function isElementSize(n: number): n is ElementSize {
  return n === 1 || n === 2 || n === 4 || n === 8;
}

function isCharType(type: string): boolean {
  return /^(const\s+)?char$/.test(type.trim());
}

/**
 * The element size of a dynamic array, which the format does not give (its
 * size is the 4-byte locator): only what the type name spells out (u32,
 * __s16, uint64_t); anything else is read as bytes.
 */
function elementSizeFromName(type: string): ElementSize {
  const bits = /^(?:const\s+)?(?:__)?(?:[us]|u?int)(8|16|32|64)(?:_t)?$/.exec(type.trim())?.[1];
  return bits ? ((Number(bits) / 8) as ElementSize) : 1;
}
