// An event's payload as one JSON object, built as text by a function made
// once per event class (no object per event, no JSON.stringify of it):
// the events table's `payload` column. Fields as the text shows them, under
// the same names; see docs/tables.md for why JSON rather than typed columns.

import type { FieldValue, VariantValue } from '../ctf/field-decoder.js';
import { isTextElement } from '../ctf/field-decoder.js';
import { displayName, type FieldClass, type StructClass } from '../ctf/metadata-model.js';
import type { CtfTrace } from '../ctf/trace-reader.js';
import { utf8 } from '../export/jsonl.js';
import { isVisible, type VisibilityRules } from '../export/pretty-text.js';

export type PayloadJson = (payload: FieldValue[] | null) => string;

type Piece = (value: FieldValue) => string;

/** An integer: a JSON number while exact, else a string of its digits. */
function integerText(value: FieldValue): string {
  if (typeof value === 'number') return String(value);
  const n = Number(value as bigint);
  return Number.isSafeInteger(n) ? String(n) : `"${String(value)}"`;
}

function pieceFor(type: FieldClass, rules: VisibilityRules): Piece {
  switch (type.kind) {
    case 'int':
    case 'enum':
      return integerText;
    case 'float':
      return (value) => (Number.isFinite(value) ? String(value) : `"${String(value)}"`);
    case 'string':
      return (value) => JSON.stringify(utf8(value as string));
    case 'array':
    case 'sequence': {
      if (isTextElement(type.element)) return (value) => JSON.stringify(utf8(value as string));
      const element = pieceFor(type.element, rules);
      return (value) => `[${(value as FieldValue[]).map(element).join(',')}]`;
    }
    case 'struct':
      return structPiece(type, rules, false);
    case 'variant': {
      const options = type.options.map((o) => ({ key: JSON.stringify(displayName(o.name)), piece: pieceFor(o.type, rules) }));
      return (value) => {
        const selected = value as VariantValue;
        const option = options[selected.option]!;
        return `{${option.key}:${option.piece(selected.value)}}`;
      };
    }
  }
}

function structPiece(type: StructClass, rules: VisibilityRules, topLevel: boolean): Piece {
  const members = type.members
    .map((member, index) => ({ member, index }))
    .filter(({ member }) => isVisible(member.type, member.name, topLevel, rules))
    .map(({ member, index }, n) => ({ prefix: `${n === 0 ? '' : ','}${JSON.stringify(displayName(member.name))}:`, index, piece: pieceFor(member.type, rules) }));
  return (value) => {
    const values = value as FieldValue[];
    let text = '{';
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      text += m.prefix + m.piece(values[m.index]!);
    }
    return `${text}}`;
  };
}

/** The payload writer of one event class. */
export function payloadJsonFor(payload: StructClass | null, trace: CtfTrace): PayloadJson {
  if (!payload) return () => '{}';
  const piece = structPiece(payload, { referenced: trace.referencedNames, meanings: null }, true);
  return (values) => (values ? piece(values) : '{}');
}
