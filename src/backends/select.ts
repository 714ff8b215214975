// --backend auto|ftrace|lttng: which kernel tracer records this run, and why.

import { UserError } from '../util/errors.js';
import type { BackendName } from './backend.js';
import { lttngKernelTracer } from './lttng/probe.js';

export type BackendChoice = BackendName | 'auto';

export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'ftrace', 'lttng'];

export async function selectBackend(requested: BackendChoice): Promise<{ name: BackendName; reason: string }> {
  if (requested === 'ftrace') return { name: 'ftrace', reason: 'requested with --backend ftrace' };
  const lttng = await lttngKernelTracer();
  if (requested === 'lttng') {
    if (!lttng.usable) {
      throw new UserError(`--backend lttng: the LTTng kernel tracer is not usable here: ${lttng.reason}${lttng.fix ? ` (fix: ${lttng.fix})` : ''}; use --backend ftrace`);
    }
    throw new UserError('--backend lttng: recording with LTTng is not available in this version yet; use --backend ftrace');
  }
  if (!lttng.usable) return { name: 'ftrace', reason: `auto: LTTng kernel tracer not usable (${lttng.reason}); using tracefs` };
  return { name: 'ftrace', reason: 'auto: LTTng kernel tracer found, but this version records with tracefs only' };
}
