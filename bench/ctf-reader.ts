// Our CTF reader against babeltrace2 on the same trace, in the same run:
// decode only (babeltrace2 `-o dummy`) and the default text to /dev/null.
// Each side runs as its own process, best of N runs; prints events/s and the
// ratios (above 1: we are faster), and our peak memory. A benchmark, not a test.
//
//   node dist/bench/ctf-reader.js TRACE_DIR [--runs N]

import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readEvents } from '../src/ctf/trace-reader.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    // Internal: the decode-only child.
    'decode-only': { type: 'boolean' },
  },
});

if (values['decode-only']) {
  let events = 0;
  for (const _event of readEvents(positionals)) events++;
  process.stdout.write(`${JSON.stringify({ events, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const traceDir = positionals[0];
if (!traceDir) {
  console.error('usage: node dist/bench/ctf-reader.js TRACE_DIR [--runs N]');
  process.exit(2);
}
const runs = Number(values.runs);

/** Best wall time of `runs` runs, stdout to /dev/null unless it is wanted. */
function best(command: string, args: string[], keepStdout = false): { seconds: number; stdout: string } {
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

const ours = best(process.execPath, [SELF, '--decode-only', traceDir], true);
const { events, maxRssKiB } = JSON.parse(ours.stdout) as { events: number; maxRssKiB: number };
const theirsDecode = best('babeltrace2', ['-o', 'dummy', traceDir]);
const oursText = best(process.execPath, [CLI, 'convert', traceDir, '--to', 'text']);
const theirsText = best('babeltrace2', [traceDir]);

const rate = (seconds: number) => `${(events / seconds / 1e6).toFixed(2)} M events/s`;
console.log(`${traceDir}: ${events.toLocaleString('en-US')} events, best of ${runs}`);
console.log(`decode only   ours ${ours.seconds.toFixed(2)} s (${rate(ours.seconds)}, peak RSS ${Math.round(maxRssKiB / 1024)} MiB)   babeltrace2 -o dummy ${theirsDecode.seconds.toFixed(2)} s (${rate(theirsDecode.seconds)})   ratio ${(theirsDecode.seconds / ours.seconds).toFixed(2)}`);
console.log(`text output   ours ${oursText.seconds.toFixed(2)} s (${rate(oursText.seconds)})   babeltrace2 ${theirsText.seconds.toFixed(2)} s (${rate(theirsText.seconds)})   ratio ${(theirsText.seconds / oursText.seconds).toFixed(2)}`);
