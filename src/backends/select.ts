// --backend auto|ftrace|lttng: which kernel tracer records this run, and why;
// and the backend object for the choice.

import { UserError } from '../util/errors.js';
import type { BackendName, BackendOptions, RecordingBackend } from './backend.js';
import { FtraceBackend } from './ftrace/recorder.js';
import { LttngKernelBackend } from './lttng/kernel-backend.js';
import { lttngKernelTracer, type Availability } from './lttng/probe.js';
import type { BackendChoice } from './backend-choice.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choice.js';

/** The choice, given what the LTTng probe found: pure, so each branch is tested. */
export function decideBackend(requested: BackendChoice, lttng: Availability): { name: BackendName; reason: string } {
  if (requested === 'ftrace') return { name: 'ftrace', reason: 'requested with --backend ftrace' };
  if (lttng.usable) return { name: 'lttng', reason: `${requested === 'lttng' ? 'requested with --backend lttng' : 'auto'}: ${lttng.reason}` };
  if (requested === 'lttng') {
    throw new UserError(`--backend lttng: the LTTng kernel tracer is not usable here: ${lttng.reason}${lttng.fix ? ` (fix: ${lttng.fix})` : ''}; use --backend ftrace`);
  }
  return { name: 'ftrace', reason: `auto: LTTng kernel tracer not usable (${lttng.reason}); using tracefs` };
}

export async function selectBackend(requested: BackendChoice): Promise<{ name: BackendName; reason: string }> {
  if (requested === 'ftrace') return decideBackend(requested, { usable: false, reason: 'not asked', fix: null });
  return decideBackend(requested, await lttngKernelTracer());
}

export function createBackend(name: BackendName, options: BackendOptions): RecordingBackend {
  return name === 'lttng' ? new LttngKernelBackend(options) : new FtraceBackend(options);
}
