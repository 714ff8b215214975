// query and the end of a run, end to end as root: a private Redis recorded
// through tracefs by the CLI, then its tables (built by `query` on first
// use, kept in RUN/tables/) held against analyze --json and babeltrace2's
// text; the cache is reused, rebuilt when the trace changes, and does not
// disturb babeltrace2 reading the run directory.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisReport } from '../src/analysis/model.js';
import { SqlSession } from '../src/query/sql-session.js';
import { readManifest } from '../src/query/tables-dir.js';
import { onlyRun, requireTool, runCli, tempOutputDir } from './helpers/cli.js';
import { assertSchema, assertTablesAgree, babeltraceNameCounts, entryCounts } from './helpers/table-checks.js';

const outputs: string[] = [];
after(() => {
  for (const dir of outputs) rmSync(dir, { recursive: true, force: true });
});

function isRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('end-to-end tests record kernel events and must run as root');
}

let redisRun: string | null = null;

test('a Redis run ends with its figures, the trace and the next commands; -q prints the one line', async () => {
  isRoot();
  requireTool('redis-server', 'redis-server');
  requireTool('redis-benchmark', 'redis-tools');
  const output = tempOutputDir();
  outputs.push(output);
  const run = await runCli(['redis', '--duration', '2', '--output', output], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr);
  const { dir, metadata } = onlyRun(output);
  redisRun = dir;
  const figures = metadata.benchmark!.figures;
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `trace: ${dir} (${metadata.trace!.events_total.toLocaleString('en-US')} events, ${lines[0]!.split(', ')[1]}, 0 lost)`);
  const rps = (value: number) => Math.round(value).toLocaleString('en-US');
  assert.match(lines[1]!, new RegExp(`^redis-benchmark: SET ${rps(figures.set_rps!)} req/s \\(p99 [\\d.]+ ms\\), GET ${rps(figures.get_rps!)} req/s`));
  assert.ok(lines.some((l) => l.startsWith(`next:  benchmark-tracer analyze `)), run.stdout);
  assert.ok(lines.some((l) => /benchmark-tracer query \S+ "SELECT/.test(l)), run.stdout);

  const quiet = tempOutputDir();
  outputs.push(quiet);
  const q = await runCli(['--custom', 'dd if=/dev/zero of=/dev/null bs=4096 count=100 status=none', '--output', quiet, '-q']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^trace: \S+ \([\d,]+ events, [\d.]+ (?:[KMG]i)?B, 0 lost\)\n$/);
});

test('query on the recorded run: the tables agree with analyze --json and babeltrace2; kept in RUN/tables, reused, rebuilt when the trace changes', async () => {
  assert.ok(redisRun, 'the Redis run of the test before');
  const run = redisRun;
  const first = await runCli(['query', run, 'SELECT name, count(*) AS calls FROM syscalls GROUP BY name ORDER BY name', '--json', '-q'], { timeoutMs: 300_000 });
  assert.equal(first.code, 0, first.stderr);
  const tables = join(run, 'tables');
  assert.ok(existsSync(join(tables, 'tables.json')), 'tables kept beside the trace');
  assert.deepEqual(readdirSync(join(run, 'kernel')).filter((f) => f.endsWith('.parquet') || f === 'tables'), [], 'nothing written inside the CTF directory');

  const analyzed = await runCli(['analyze', run, '--json', '-q'], { timeoutMs: 300_000 });
  assert.equal(analyzed.code, 0, analyzed.stderr);
  const report = JSON.parse(analyzed.stdout) as AnalysisReport;
  const text = await babeltraceNameCounts(join(run, 'kernel'));
  assert.equal(text.code, 0, text.stderr);
  const viaCli = Object.fromEntries((JSON.parse(first.stdout) as Array<{ name: string; calls: number }>).map((r) => [r.name, r.calls]));
  assert.deepEqual(viaCli, entryCounts(text.counts), 'query --json: calls per syscall = babeltrace2 entry lines');
  assert.ok((viaCli.read ?? 0) > 1000 && (viaCli.write ?? 0) > 1000, 'redis-benchmark made the server read and write');

  const session = await SqlSession.open(tables);
  try {
    await assertSchema(session, tables);
    await assertTablesAgree(session, report, text.counts);
  } finally {
    session.close();
  }

  // babeltrace2 still reads the run directory (it recurses into tables/, which holds no trace), and so do we.
  const whole = await babeltraceNameCounts(run);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(whole.stderr, '');
  assert.equal(whole.lines, text.lines);
  assert.equal(report.trace.events, text.lines);

  // Reused: the second query does not build again.
  const built = statSync(join(tables, 'tables.json')).mtimeMs;
  const again = await runCli(['query', run, 'SELECT count(*) AS n FROM events', '--csv']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, `n\n${report.trace.events}\n`);
  assert.equal(statSync(join(tables, 'tables.json')).mtimeMs, built, 'cached tables reused');

  // A trace that changed (here its mtime) is read again.
  const stream = readdirSync(join(run, 'kernel')).find((f) => f !== 'metadata')!;
  const key = readManifest(tables)!.source_key;
  const later = new Date(Date.now() + 5000);
  utimesSync(join(run, 'kernel', stream), later, later);
  const rebuilt = await runCli(['query', run, 'SELECT count(*) AS n FROM events', '--csv', '-q']);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.equal(rebuilt.stdout, `n\n${report.trace.events}\n`);
  assert.notEqual(readManifest(tables)!.source_key, key, 'rebuilt for the changed trace');
});

test('query: the README examples run; bad SQL is DuckDB\'s error in one line, exit 2; convert --to parquet then query the directory', async () => {
  assert.ok(redisRun, 'the Redis run of the first test');
  const run = redisRun;
  const slowest = await runCli(['query', run, "SELECT ts, dur, tid, name, fd, path, ret FROM syscalls WHERE procname = 'redis-server' AND name <> 'epoll_wait' ORDER BY dur DESC LIMIT 10"]);
  assert.equal(slowest.code, 0, slowest.stderr);
  assert.match(slowest.stdout, /^ +ts +dur +tid +name +fd +path +ret\n[- ]+\n(\d+ +\d+ +\d+ +\w+ .*\n){10}\(10 rows\)\n$/);
  assert.match(slowest.stdout, /\(10 rows\)\n$/);
  const p99 = await runCli(['query', run, 'SELECT tid, procname, count(runqueue_ns) AS wakeups, quantile_cont(runqueue_ns, 0.99) AS p99_ns FROM sched_slices WHERE runqueue_ns IS NOT NULL GROUP BY ALL ORDER BY p99_ns DESC LIMIT 5', '--json']);
  assert.equal(p99.code, 0, p99.stderr);
  assert.ok((JSON.parse(p99.stdout) as unknown[]).length > 0);

  const bad = await runCli(['query', run, 'SELEC name FROM syscalls']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^benchmark-tracer: Parser Error: syntax error at or near "SELEC"\n$/);
  const unknown = await runCli(['query', run, 'SELECT * FROM nosuchtable']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.split('\n').length, 2, unknown.stderr);

  const out = join(tempOutputDir(), 'tables');
  outputs.push(join(out, '..'));
  const converted = await runCli(['convert', run, '--to', 'parquet', '-o', out]);
  assert.equal(converted.code, 0, converted.stderr);
  const counted = await runCli(['query', out, "SELECT count(*) AS n FROM events WHERE name LIKE 'syscall_entry_%'", '--csv']);
  assert.equal(counted.code, 0, counted.stderr);
  const { metadata } = onlyRun(join(run, '..'));
  const entries = Object.entries(metadata.trace!.event_counts).filter(([n]) => n.startsWith('syscall_entry_')).reduce((sum, [, c]) => sum + c, 0);
  assert.equal(counted.stdout, `n\n${entries}\n`);
});
