// How a trace that cannot be read reaches the user, and the progress line of
// a command reading one: apart from the commands, so that analyze does not
// load the exporters to say it.

import { existsSync, statSync } from 'node:fs';
import { TraceFormatError } from '../ctf/metadata-file.js';
import { TraceInputError } from '../ctf/trace-reader.js';
import { MetadataFormatError } from '../metadata/run-metadata.js';
import { UserError } from '../util/errors.js';
import { TerminalReporter, type ProgressPhase } from './progress.js';

/**
 * What the reader can throw, as the CLI says it: a path that is no trace
 * (missing, a file, unreadable, empty) is bad input, exit 2; a damaged trace
 * exit 1, as is a metadata.json beside it that is not ours, damaged or of a
 * newer format; one line each. Shared by convert, view and analyze.
 */
export function traceErrorToUser(error: unknown): unknown {
  if (error instanceof TraceInputError) return new UserError(error.message, 2);
  if (error instanceof TraceFormatError || error instanceof MetadataFormatError) return new UserError(error.message, 1);
  return error;
}

/** A trace argument that is no directory is bad input before anything is read. */
export function checkTraceDirectory(path: string): void {
  if (!existsSync(path)) throw new UserError(`no such trace directory: ${path}`);
  if (!statSync(path).isDirectory()) throw new UserError(`not a directory: ${path}`);
}

/** Runs a pass over a trace with its progress line on a terminal; its read errors as the CLI says them. */
export async function withReadProgress<T>(phase: ProgressPhase, quiet: boolean, work: (progress: (events: number, traceBytes: number) => void) => Promise<T>): Promise<T> {
  const reporter = TerminalReporter.forStderr(quiet);
  const counters = { events: 0, bytes: 0, lost: 0 };
  reporter.phase(phase, () => counters);
  try {
    return await work((events, traceBytes) => {
      counters.events = events;
      counters.bytes = traceBytes;
    });
  } catch (error) {
    throw traceErrorToUser(error);
  } finally {
    reporter.finish();
  }
}
