// How a trace that cannot be read reaches the user: apart from the
// commands, so that analyze does not load the exporters to say it.

import { TraceFormatError } from '../ctf/metadata-file.js';
import { TraceInputError } from '../ctf/trace-reader.js';
import { MetadataFormatError } from '../metadata/run-metadata.js';
import { UserError } from '../util/errors.js';

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
