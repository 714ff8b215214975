// Shared by the apache and nginx end-to-end tests.

import { readdirSync, statSync } from 'node:fs';
import type { TextEvent } from './cli.js';

// What those tests read, and no more: with every syscall, 5 s of ab or wrk
// makes ~650 MB of babeltrace2 text, slow to read back in a test.
export const WEB_SERVER_EVENTS = [
  'sched_process_fork',
  'sched_process_exit',
  ...['setuid', 'accept', 'accept4', 'writev', 'sendfile64'].flatMap((s) => [`syscall_entry_${s}`, `syscall_exit_${s}`]),
].join(',');

/** Names and mtimes of a system instance's files and dirs (and their entries): a run must change none. */
export function systemPathsState(paths: string[]): string[] {
  return paths.flatMap((path) => {
    try {
      const entries = statSync(path).isDirectory() ? readdirSync(path).map((entry) => `${path}/${entry}`) : [];
      return [path, ...entries].map((p) => `${p} ${statSync(p).mtimeMs}`);
    } catch {
      return [`${path} absent`];
    }
  });
}

export const payloadNumber = (event: TextEvent, field: string) =>
  Number(new RegExp(`\\b${field} = (-?\\d+)`).exec(event.payload)?.[1]);
