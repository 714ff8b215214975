// Our CTF reader against babeltrace2 on the same traces, in the same run:
// decode only (babeltrace2 `-o dummy`, ours: every event decoded, nothing
// printed) and the default text to /dev/null (`babeltrace2 DIR` against
// `benchmark-tracer convert DIR --to text`). Each side is its own process;
// the rounds alternate the sides, and each figure is the best of N rounds.
// Prints babeltrace2's time / ours (above 1: we are faster) with the spread
// of those ratios over the rounds, and our peak memory.
//
//   npm run bench:reader                 a 3 M-event LTTng-UST trace and a ~2 M-event kernel trace of ours,
//                                        made once under --cache (see reader-traces.ts)
//   node dist/bench/ctf-reader.js DIR... [--runs N]
//
// The machine is shared: the run waits while /tmp/bt-heavy.lock exists and
// holds /tmp/bt-bench.lock while it measures.

import { spawnSync } from 'node:child_process';
import { existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openMessages } from '../src/ctf/trace-reader.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const HEAVY_LOCK = '/tmp/bt-heavy.lock';
const BENCH_LOCK = '/tmp/bt-bench.lock';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    cache: { type: 'string', default: '/var/tmp/benchmark-tracer-bench' },
    'ust-events': { type: 'string', default: '3000000' },
    'redis-seconds': { type: 'string', default: '2' },
    // Internal: the decode-only child.
    'decode-only': { type: 'boolean' },
  },
});

// The child loads the reader only: the modules that make traces and find babeltrace2 are the parent's (imported below).
if (values['decode-only']) {
  // As convert and analyze read: the time-ordered merge of every stream.
  let events = 0;
  const messages = openMessages(positionals);
  for (let message = messages.next(); message; message = messages.next()) if (message.kind === 'event') events++;
  messages.close();
  process.stdout.write(`${JSON.stringify({ events, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

interface Timed {
  seconds: number;
  stdout: string;
  maxRssKiB: number | null;
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** One run, stdout to /dev/null unless wanted; peak RSS from GNU time when it is there. */
function timeOnce(command: string, args: string[], keepStdout = false): Timed {
  const [program, programArgs] = GNU_TIME ? [GNU_TIME, ['-f', '%M', command, ...args]] : [command, args];
  const start = process.hrtime.bigint();
  const run = spawnSync(program, programArgs, {
    stdio: ['ignore', keepStdout ? 'pipe' : openSync('/dev/null', 'w'), 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, TZ: 'UTC' },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  const rss = GNU_TIME ? Number(run.stderr.trim().split('\n').pop()) : NaN;
  return { seconds, stdout: run.stdout ?? '', maxRssKiB: Number.isFinite(rss) ? rss : null };
}

const spread = (ratios: number[]) => `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
const mib = (kib: number | null) => (kib === null ? '?' : `${Math.round(kib / 1024)} MiB`);

const { findExecutable } = await import('../src/util/executables.js');
const { redisKernelTrace, ustMallocTrace } = await import('./reader-traces.js');

function compare(traceDir: string, runs: number): void {
  const babeltrace = findExecutable('babeltrace2');
  if (!babeltrace) throw new Error('babeltrace2 is not installed: apt-get install babeltrace2');
  const rounds: Array<{ ours: Timed; theirs: Timed; oursText: Timed; theirsText: Timed }> = [];
  for (let i = 0; i < runs; i++) {
    rounds.push({
      ours: timeOnce(process.execPath, [SELF, '--decode-only', traceDir], true),
      theirs: timeOnce(babeltrace, ['-o', 'dummy', traceDir]),
      oursText: timeOnce(process.execPath, [CLI, 'convert', traceDir, '--to', 'text']),
      theirsText: timeOnce(babeltrace, [traceDir]),
    });
  }
  const { events } = JSON.parse(rounds[0]!.ours.stdout) as { events: number };
  const best = (pick: (r: (typeof rounds)[number]) => Timed) => Math.min(...rounds.map((r) => pick(r).seconds));
  const peak = (pick: (r: (typeof rounds)[number]) => Timed) => Math.max(...rounds.map((r) => pick(r).maxRssKiB ?? 0)) || null;
  const rate = (seconds: number) => `${(events / seconds / 1e6).toFixed(2)} M ev/s`;
  const line = (label: string, ours: (r: (typeof rounds)[number]) => Timed, theirs: (r: (typeof rounds)[number]) => Timed) => {
    const o = best(ours);
    const t = best(theirs);
    const ratios = rounds.map((r) => theirs(r).seconds / ours(r).seconds);
    console.log(
      `${label}  babeltrace2 ${t.toFixed(2)} s (${rate(t)}, ${mib(peak(theirs))})   ours ${o.toFixed(2)} s (${rate(o)}, ${mib(peak(ours))})   ` +
        `babeltrace2/ours ${(t / o).toFixed(2)} (rounds ${spread(ratios)})`,
    );
  };
  console.log(`${traceDir}: ${events.toLocaleString('en-US')} events, best of ${runs}`);
  line('decode', (r) => r.ours, (r) => r.theirs);
  line('text  ', (r) => r.oursText, (r) => r.theirsText);
}

async function waitForHeavyTests(): Promise<void> {
  let said = false;
  while (existsSync(HEAVY_LOCK)) {
    if (!said) console.error(`waiting: ${HEAVY_LOCK} says heavy tests are running`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

const runs = Number(values.runs);
let traces = positionals;
if (traces.length === 0) {
  // Made before the lock: making them is not measuring.
  traces = [
    await ustMallocTrace(join(values.cache, `ust-malloc-${values['ust-events']}`), Number(values['ust-events'])),
    redisKernelTrace(join(values.cache, `redis-${values['redis-seconds']}s`), Number(values['redis-seconds'])),
  ];
}
await waitForHeavyTests();
writeFileSync(BENCH_LOCK, `${process.pid}\n`);
try {
  for (const trace of traces) compare(trace, runs);
} finally {
  rmSync(BENCH_LOCK, { force: true });
}
