// The timing the benchmarks share: each side as its own process, best of N.

import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';

/** Best wall time of `runs` runs, stdout to /dev/null unless it is wanted (then the last run's). */
export function bestOf(runs: number, command: string, args: string[], keepStdout = false): { seconds: number; stdout: string } {
  let seconds = Infinity;
  let stdout = '';
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(command, args, {
      stdio: ['ignore', keepStdout ? 'pipe' : openSync('/dev/null', 'w'), 'pipe'],
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
    seconds = Math.min(seconds, elapsed);
    if (keepStdout) stdout = run.stdout;
  }
  return { seconds, stdout };
}
