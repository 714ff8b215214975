// npm run fuzz -- --runs N --seed S [--first I] [--workers W]
//
// Seeded fuzzing of every trace of ../shared/corpus through convert --to
// text, jsonl, perfetto and analyze --json (see bench/fuzz/). Prints each
// failing case (rebuild one with --first I --runs 1) and a summary; exits 1
// when any case broke the rules.

import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz/runner.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    first: { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    corpus: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const number = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`fuzz: --${name} must be a whole number, not "${text}"`);
    process.exit(2);
  }
  return value;
};

const runs = number('runs', values.runs);
const seed = number('seed', values.seed);
let done = 0;
const report = await runFuzz({
  runs,
  seed,
  first: number('first', values.first),
  workers: Math.max(1, number('workers', values.workers)),
  ...(values.corpus ? { corpus: values.corpus } : {}),
  onResult: (result) => {
    done++;
    if (result.problem) {
      console.log(`FAIL case ${result.index} (seed ${seed}): ${result.problem}\n  ${result.trace}, ${result.command}: ${result.mutations.join('; ')}\n  ${result.lines.join('  ').trim()}`);
    } else if (values.verbose) {
      console.log(`ok case ${result.index} ${result.trace} ${result.command} exit ${result.code}: ${result.mutations.join('; ')} ${result.lines[0]?.trim() ?? ''}`);
    }
    if (done % 500 === 0) process.stderr.write(`${done}/${runs} cases, ${Math.round(performance.now() / 1000)} s\n`);
  },
});

const commands = Object.entries(report.byCommand)
  .map(([command, t]) => `${command} ${t.runs} (exit 0: ${t.exit0}, exit 1: ${t.exit1})`)
  .join(', ');
console.log(
  `fuzz: ${report.runs} cases, seed ${seed}, ${report.failures.length} failures; ${commands}; ` +
    `slowest case ${report.slowestMs} ms, peak RSS ${report.peakRssMiB} MiB, ${report.seconds.toFixed(0)} s`,
);
process.exitCode = report.failures.length > 0 ? 1 : 0;
