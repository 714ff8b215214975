// Our CTF reader against babeltrace2 on the same trace, in the same run:
// decode only (babeltrace2 `-o dummy`) and the default text to /dev/null.
// Each side runs as its own process, best of N runs; prints events/s and the
// ratios (above 1: we are faster), and our peak memory. A benchmark, not a test.
//
//   node dist/bench/ctf-reader.js TRACE_DIR [--runs N]

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readEvents } from '../src/ctf/trace-reader.js';
import { bestOf } from './best-of.js';

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

const best = (command: string, args: string[], keepStdout = false) => bestOf(runs, command, args, keepStdout);

const ours = best(process.execPath, [SELF, '--decode-only', traceDir], true);
const { events, maxRssKiB } = JSON.parse(ours.stdout) as { events: number; maxRssKiB: number };
const theirsDecode = best('babeltrace2', ['-o', 'dummy', traceDir]);
const oursText = best(process.execPath, [CLI, 'convert', traceDir, '--to', 'text']);
const theirsText = best('babeltrace2', [traceDir]);

const rate = (seconds: number) => `${(events / seconds / 1e6).toFixed(2)} M events/s`;
console.log(`${traceDir}: ${events.toLocaleString('en-US')} events, best of ${runs}`);
console.log(`decode only   ours ${ours.seconds.toFixed(2)} s (${rate(ours.seconds)}, peak RSS ${Math.round(maxRssKiB / 1024)} MiB)   babeltrace2 -o dummy ${theirsDecode.seconds.toFixed(2)} s (${rate(theirsDecode.seconds)})   ratio ${(theirsDecode.seconds / ours.seconds).toFixed(2)}`);
console.log(`text output   ours ${oursText.seconds.toFixed(2)} s (${rate(oursText.seconds)})   babeltrace2 ${theirsText.seconds.toFixed(2)} s (${rate(theirsText.seconds)})   ratio ${(theirsText.seconds / oursText.seconds).toFixed(2)}`);
