// The tracepoints this kernel offers, read from tracefs: for resolving
// --events and for `list --events`. Here, so that only backends/ reads the
// kernel's tracing files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAvailableEvents, type Tracepoint } from './event-set.js';
import { ensureTracefs } from './ftrace/tracefs.js';

/** tracefs's available_events as it is: one system:name a line. */
export function availableEventsText(): string {
  return readFileSync(join(ensureTracefs(), 'available_events'), 'utf8');
}

export function availableTracepoints(): Tracepoint[] {
  return parseAvailableEvents(availableEventsText());
}
