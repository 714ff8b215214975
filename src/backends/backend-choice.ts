// The values --backend takes: apart from select.ts, so that parsing the
// command line does not load the recorders.

import type { BackendName } from './backend.js';

export type BackendChoice = BackendName | 'auto';

export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'ftrace', 'lttng'];
