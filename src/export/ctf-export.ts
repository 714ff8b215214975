// A CTF trace -> text (babeltrace2's format) or JSON lines, written to a
// stream in 1 MiB chunks. Everything decoded before a broken spot is
// written before the error surfaces.

import type { Writable } from 'node:stream';
import { openMessages } from '../ctf/trace-reader.js';
import { JsonLineFormatter } from './jsonl.js';
import { formatBackwardsPacket, formatDiscarded, PrettyTextFormatter } from './pretty-text.js';

export type ExportFormat = 'text' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['text', 'jsonl'];

const CHUNK_BYTES = 1 << 20;

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
  const formatter = format === 'text' ? new PrettyTextFormatter() : new JsonLineFormatter();
  // Text keeps the trace's bytes (latin1 strings); JSON lines are UTF-8.
  const encoding: BufferEncoding = format === 'text' ? 'latin1' : 'utf8';
  // Lines are written straight into a chunk buffer: no long strings to build and flatten.
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
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
    if (used === 0) return;
    const ready = out.write(chunk.subarray(0, used));
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
    if (!ready) {
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
  try {
    for (let message = messages.next(); message; message = messages.next()) {
      if (message.kind !== 'event') {
        const warning = message.kind === 'discarded' ? formatDiscarded(message) : formatBackwardsPacket(message);
        warningLines.push(warning);
        warnings?.write(Buffer.from(warning, 'latin1'));
        continue;
      }
      const line = formatter.format(message);
      // latin1 takes one byte per char; UTF-8 at most three per UTF-16 unit.
      const room = encoding === 'latin1' ? line.length : line.length * 3;
      if (used + room > chunk.length) {
        await flush();
        if (room > chunk.length) chunk = Buffer.allocUnsafe(room);
      }
      used += chunk.write(line, used, encoding);
      events++;
    }
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
