// Runs the reference reader on a trace. Tests that need it fail when it is
// missing: a test of our CTF that passes without a reader proves nothing.

import { spawnSync } from 'node:child_process';
import { findExecutable } from '../../src/util/executables.js';

export interface BabeltraceRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's lines, without the empty last one. */
  lines: string[];
}

export function babeltrace(traceDir: string, args: string[] = []): BabeltraceRun {
  const executable = findExecutable('babeltrace2');
  if (!executable) throw new Error('babeltrace2 is not installed (apt-get install babeltrace2); these tests need the reference reader');
  const run = spawnSync(executable, [...args, traceDir], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  if (run.error) throw run.error;
  const lines = run.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, lines };
}
