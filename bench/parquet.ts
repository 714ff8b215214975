// `convert --to parquet` against babeltrace2 printing the same trace as text
// (`babeltrace2 TRACE > /dev/null`), each its own process, side by side in
// one run: rounds alternate which goes first; printed per trace are the
// median ratio babeltrace2 / ours (above 1: the Parquet export is faster)
// with its spread over the rounds, the size of the Parquet files against
// the text's, and the export's peak memory. A benchmark, not a test: it
// asserts no time.
//
//   npm run bench:parquet -- [TRACE_DIR...] [--rounds N] [--lock FILE]
//
// Without a TRACE_DIR it takes the 3.5 M-event Redis trace kept in
// /var/tmp/bt-model-traces/latest, else the ~2 M-event one `npm run
// bench:reader` records in /var/tmp/benchmark-tracer-bench/redis-2s/latest.
// The machine is shared: it waits while /tmp/bt-bench.lock exists (another
// benchmark is measuring) and holds --lock while it measures.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bestOf } from './best-of.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const OTHER_BENCH_LOCK = '/tmp/bt-bench.lock';
const DEFAULT_TRACES = ['/var/tmp/bt-model-traces/latest', '/var/tmp/benchmark-tracer-bench/redis-2s/latest'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    lock: { type: 'string', default: OTHER_BENCH_LOCK },
    // Internal: the child that exports and reports its own peak memory.
    'measure-memory': { type: 'boolean' },
  },
});

if (values['measure-memory']) {
  const { writeTraceTables } = await import('../src/tables/trace-tables.js');
  const result = await writeTraceTables([positionals[0]!], positionals[1]!);
  process.stdout.write(`${JSON.stringify({ events: result.events, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const rounds = Number(values.rounds);
const traces = positionals.length > 0 ? positionals : DEFAULT_TRACES.filter((t) => existsSync(t)).slice(0, 1);
if (traces.length === 0) {
  console.error(`no trace: give one (npm run bench:parquet -- TRACE_DIR), or record one with npm run bench:reader (${DEFAULT_TRACES[1]})`);
  process.exit(2);
}

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** Bytes of babeltrace2's text of the trace, counted as it streams (the text of a big trace is larger than a string can hold). */
function textBytes(trace: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('babeltrace2', [trace], { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`babeltrace2 ${trace} failed (${code})`))));
  });
}

/** Waits while another benchmark holds the lead's lock or the one this run will hold. */
async function waitForOtherBenchmark(): Promise<void> {
  let said = false;
  for (;;) {
    const held = [OTHER_BENCH_LOCK, values.lock!].find((lock) => existsSync(lock));
    if (!held) return;
    if (!said) console.error(`waiting: ${held} says another benchmark is measuring`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Sizes and memory before the lock: they are not timings.
const scratch = mkdtempSync(join(tmpdir(), 'bt-bench-parquet-'));
const measured: Array<{ trace: string; events: number; maxRssKiB: number; parquet: number; text: number }> = [];
try {
  for (const trace of traces) {
    const out = join(scratch, 'memory');
    const { events, maxRssKiB } = JSON.parse(bestOf(1, process.execPath, [SELF, '--measure-memory', trace, out], true).stdout) as { events: number; maxRssKiB: number };
    measured.push({ trace, events, maxRssKiB, parquet: directoryBytes(out), text: await textBytes(trace) });
    rmSync(out, { recursive: true, force: true });
  }

  await waitForOtherBenchmark();
  writeFileSync(values.lock!, `bench:parquet ${process.pid}\n`);
  try {
    console.log(`convert --to parquet vs babeltrace2 text (to /dev/null), each its own process, ${rounds} rounds alternating which goes first`);
    for (const { trace, events, maxRssKiB, parquet, text } of measured) {
      const ours: number[] = [];
      const theirs: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const out = join(scratch, `round-${round}`);
        const timeOurs = () => bestOf(1, process.execPath, [CLI, 'convert', trace, '--to', 'parquet', '-o', out]).seconds;
        const timeTheirs = () => bestOf(1, 'babeltrace2', [trace]).seconds;
        let a: number;
        let b: number;
        if (round % 2 === 0) {
          a = timeOurs();
          b = timeTheirs();
        } else {
          b = timeTheirs();
          a = timeOurs();
        }
        rmSync(out, { recursive: true, force: true });
        ours.push(a);
        theirs.push(b);
        ratios.push(b / a);
        console.log(`  round ${round + 1}: parquet ${a.toFixed(2)} s, babeltrace2 text ${b.toFixed(2)} s, ratio ${(b / a).toFixed(2)}`);
      }
      console.log(`${trace}: ${events.toLocaleString('en-US')} events`);
      console.log(`  time  babeltrace2 / parquet export: median ${median(ratios).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}); median ${median(ours).toFixed(2)} s vs ${median(theirs).toFixed(2)} s`);
      console.log(`  size  parquet / text: ${(parquet / text).toFixed(4)} (1/${(text / parquet).toFixed(0)}): ${(parquet / 1e6).toFixed(1)} MB of Parquet, ${(text / 1e6).toFixed(1)} MB of text`);
      console.log(`  peak memory of the export: ${Math.round(maxRssKiB / 1024)} MiB`);
    }
  } finally {
    rmSync(values.lock!, { force: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
