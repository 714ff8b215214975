// A trace's `metadata` file: plain TSDL text, or packetized (a 37-byte
// header per packet, then text), as LTTng writes it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceMetadata } from './metadata-model.js';
import { MetadataError } from './metadata-model.js';
import { lineFinder, MetadataSyntaxError, parseMetadataText } from './metadata-parser.js';

const METADATA_PACKET_MAGIC = 0x75d11d57;
const METADATA_PACKET_HEADER_BYTES = 37;

export class TraceFormatError extends Error {
  constructor(readonly file: string, readonly offset: number | null, detail: string, unit = 'byte') {
    super(offset === null ? `${file}: ${detail}` : `${file}: ${detail} (at ${unit} ${offset})`);
    this.name = 'TraceFormatError';
  }
}

/** The TSDL text of a metadata file; latin1 keeps every byte as one char. */
export function unpackMetadata(bytes: Buffer, file: string): string {
  if (bytes.length < 4) return bytes.toString('latin1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  if (view.getUint32(0, true) === METADATA_PACKET_MAGIC) littleEndian = true;
  else if (view.getUint32(0, false) === METADATA_PACKET_MAGIC) littleEndian = false;
  else return bytes.toString('latin1');
  const parts: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + METADATA_PACKET_HEADER_BYTES > bytes.length) throw new TraceFormatError(file, offset, 'truncated metadata packet header');
    if (view.getUint32(offset, littleEndian) !== METADATA_PACKET_MAGIC) throw new TraceFormatError(file, offset, 'bad metadata packet magic');
    const contentBytes = view.getUint32(offset + 24, littleEndian) / 8;
    const packetBytes = view.getUint32(offset + 28, littleEndian) / 8;
    const compression = view.getUint8(offset + 32);
    if (compression !== 0) throw new TraceFormatError(file, offset, 'compressed metadata is not supported');
    if (contentBytes < METADATA_PACKET_HEADER_BYTES || packetBytes < contentBytes || offset + contentBytes > bytes.length) {
      throw new TraceFormatError(file, offset, `bad metadata packet sizes (content ${contentBytes} B, packet ${packetBytes} B)`);
    }
    parts.push(bytes.toString('latin1', offset + METADATA_PACKET_HEADER_BYTES, offset + contentBytes));
    offset += packetBytes;
  }
  return parts.join('');
}

export function readTraceMetadata(traceDir: string): TraceMetadata {
  const file = join(traceDir, 'metadata');
  const text = unpackMetadata(readFileSync(file), file);
  try {
    return parseMetadataText(text);
  } catch (error) {
    // Lines of the text (of packetized metadata: once the packet headers are removed), as babeltrace2 counts them.
    if (error instanceof MetadataSyntaxError) throw new TraceFormatError(file, lineFinder(text)(error.offset), error.message, 'line');
    if (error instanceof MetadataError) throw metadataError(traceDir, error);
    throw error;
  }
}

/** A metadata file that parses but describes something impossible. */
export function metadataError(traceDir: string, error: MetadataError): TraceFormatError {
  return new TraceFormatError(join(traceDir, 'metadata'), error.line, error.message, 'line');
}
