// `analyze --json` against babeltrace2 printing the same trace as text, in
// the same run, each as its own process, best of N; prints the ratio (above
// 1: analyze is faster) and the peak memory of analyze next to that of a
// bare decode of the trace (what reading alone costs). A benchmark, not a test.
//
//   npm run bench:analyze -- TRACE_DIR [--runs N]

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { bestOf } from './best-of.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const READER_BENCH = fileURLToPath(new URL('./ctf-reader.js', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    // Internal: the child that measures its own peak memory.
    'measure-memory': { type: 'boolean' },
  },
});

if (values['measure-memory']) {
  const events = (await analyzeTrace(positionals)).trace.events;
  process.stdout.write(`${JSON.stringify({ events, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const traceDir = positionals[0];
if (!traceDir) {
  console.error('usage: npm run bench:analyze -- TRACE_DIR [--runs N]');
  process.exit(2);
}
const runs = Number(values.runs);

/** Peak memory of a child that analyzes, or only decodes (the CTF reader benchmark's child). */
function memory(what: 'analyze' | 'decode'): { events: number; maxRssKiB: number } {
  const args = what === 'analyze' ? [SELF, '--measure-memory', traceDir!] : [READER_BENCH, '--decode-only', traceDir!];
  return JSON.parse(bestOf(1, process.execPath, args, true).stdout) as { events: number; maxRssKiB: number };
}

const analyzeSeconds = bestOf(runs, process.execPath, [CLI, 'analyze', traceDir, '--json', '-q']).seconds;
const babeltraceSeconds = bestOf(runs, 'babeltrace2', [traceDir]).seconds;
const analyzed = memory('analyze');
const decoded = memory('decode');
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
const rate = (seconds: number) => `${(analyzed.events / seconds / 1e6).toFixed(2)} M events/s`;
console.log(`${traceDir}: ${analyzed.events.toLocaleString('en-US')} events, best of ${runs}`);
console.log(
  `analyze --json ${analyzeSeconds.toFixed(2)} s (${rate(analyzeSeconds)})   babeltrace2 text ${babeltraceSeconds.toFixed(2)} s (${rate(babeltraceSeconds)})   ratio ${(babeltraceSeconds / analyzeSeconds).toFixed(2)}`,
);
console.log(`peak RSS: analyze ${mib(analyzed.maxRssKiB)}, decode alone ${mib(decoded.maxRssKiB)}`);
