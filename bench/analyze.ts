// `analyze --json` against babeltrace2 printing the same trace as text, in
// the same run, each as its own process, best of N; prints the ratio (above
// 1: analyze is faster) and the peak memory of analyze next to that of a
// bare decode of the trace (what reading alone costs). A benchmark, not a test.
//
//   npm run bench:analyze -- TRACE_DIR [--runs N]

import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { readEvents } from '../src/ctf/trace-reader.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    // Internal: the child that measures its own peak memory.
    'measure-memory': { type: 'string' },
  },
});

const mode = values['measure-memory'];
if (mode) {
  let events = 0;
  if (mode === 'analyze') events = (await analyzeTrace(positionals)).trace.events;
  else for (const _event of readEvents(positionals)) events++;
  process.stdout.write(`${JSON.stringify({ events, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const traceDir = positionals[0];
if (!traceDir) {
  console.error('usage: npm run bench:analyze -- TRACE_DIR [--runs N]');
  process.exit(2);
}
const runs = Number(values.runs);

function best(command: string, args: string[]): number {
  let seconds = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(command, args, { stdio: ['ignore', openSync('/dev/null', 'w'), 'pipe'], encoding: 'utf8' });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
    seconds = Math.min(seconds, elapsed);
  }
  return seconds;
}

function memory(what: 'analyze' | 'decode'): { events: number; maxRssKiB: number } {
  const run = spawnSync(process.execPath, [SELF, '--measure-memory', what, traceDir!], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${what} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { events: number; maxRssKiB: number };
}

const analyzeSeconds = best(process.execPath, [CLI, 'analyze', traceDir, '--json', '-q']);
const babeltraceSeconds = best('babeltrace2', [traceDir]);
const analyzed = memory('analyze');
const decoded = memory('decode');
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
const rate = (seconds: number) => `${(analyzed.events / seconds / 1e6).toFixed(2)} M events/s`;
console.log(`${traceDir}: ${analyzed.events.toLocaleString('en-US')} events, best of ${runs}`);
console.log(
  `analyze --json ${analyzeSeconds.toFixed(2)} s (${rate(analyzeSeconds)})   babeltrace2 text ${babeltraceSeconds.toFixed(2)} s (${rate(babeltraceSeconds)})   ratio ${(babeltraceSeconds / analyzeSeconds).toFixed(2)}`,
);
console.log(`peak RSS: analyze ${mib(analyzed.maxRssKiB)}, decode alone ${mib(decoded.maxRssKiB)}`);
