// A CTF trace -> text (babeltrace2's format), JSON lines or Perfetto's
// JSON, written to a stream in 1 MiB chunks. Everything decoded before a broken spot is
// written before the error surfaces.

import type { Writable } from 'node:stream';
import { openMessages } from '../ctf/trace-reader.js';
import { JsonLineFormatter } from './jsonl.js';
import { PerfettoJsonWriter } from './perfetto.js';
import { ByteChunk, formatBackwardsPacket, formatDiscarded, PrettyTextFormatter } from './pretty-text.js';
import type { ExportFormat } from './formats.js';

export { EXPORT_FORMATS, type ExportFormat } from './formats.js';

const CHUNK_BYTES = 1 << 20;
/** Room past a full chunk for the line that fills it, so most lines never grow the buffer. */
const CHUNK_SLACK = 1 << 16;

export interface ExportSummary {
  events: number;
  /** babeltrace2's warnings about discarded events and packets, and ours about packets out of order, in time order. */
  warnings: string[];
}

/**
 * Writes every event under `roots` (trace directories, or directories holding
 * them) to `out`; the loss warnings go to `warnings` as they come, like
 * babeltrace2's stderr.
 */
export async function exportTrace(roots: string[], format: ExportFormat, out: Writable, warnings: Writable | null = null): Promise<ExportSummary> {
  if (format === 'parquet') throw new Error('parquet is a directory of tables, written by tables/trace-tables.ts, not a stream');
  const text = format === 'text' ? new PrettyTextFormatter() : null;
  const jsonl = format === 'jsonl' ? new JsonLineFormatter() : null;
  const perfetto = format === 'perfetto' ? new PerfettoJsonWriter(roots) : null;
  // Lines go straight into a chunk buffer: no long strings to build and flatten.
  const chunk = new ByteChunk(CHUNK_BYTES + CHUNK_SLACK);
  let events = 0;
  const warningLines: string[] = [];
  const messages = openMessages(roots);
  // Kept for the whole export: a write error (EPIPE from a closed pager) can come between flushes.
  let failure: Error | null = null;
  const onError = (error: Error) => {
    failure = error;
  };
  out.on('error', onError);
  const flush = async (): Promise<void> => {
    if (failure) throw failure;
    if (chunk.pos === 0) return;
    if (!out.write(chunk.take())) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('error', done);
          resolve();
        };
        out.on('drain', done);
        out.on('error', done);
      });
      if (failure) throw failure;
    }
  };
  // The loop runs in a plain function, a chunk at a time: V8 cannot optimize a long loop inside an async function.
  const fill = (): boolean => {
    for (let message = messages.next(); message; message = messages.next()) {
      if (message.kind !== 'event') {
        const warning = message.kind === 'discarded' ? formatDiscarded(message) : formatBackwardsPacket(message);
        warningLines.push(warning);
        warnings?.write(Buffer.from(warning, 'latin1'));
        if (perfetto && message.kind === 'discarded') perfetto.discarded(chunk, message);
        continue;
      }
      // Text keeps the trace's bytes (latin1 strings); JSON lines are UTF-8.
      if (text) text.write(chunk, message);
      else if (perfetto) perfetto.event(chunk, message);
      else chunk.utf8(jsonl!.format(message));
      events++;
      if (chunk.pos >= CHUNK_BYTES) return true;
    }
    return false;
  };
  try {
    while (fill()) await flush();
    perfetto?.finish(chunk);
  } finally {
    messages.close();
    try {
      await flush();
    } finally {
      out.off('error', onError);
    }
  }
  return { events, warnings: warningLines };
}
