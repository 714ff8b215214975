// Pure parts of query and of the end of a run: the result as a table, CSV
// and JSON; DuckDB's error in one line; the run summary from metadata of
// the shapes the application profiles record (their own parsers, fed the
// tools' real report formats).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TABLES, TABLES_SCHEMA_VERSION } from '../src/tables/schema.js';
import { csvHeader, csvRows, formatAligned, jsonRows } from '../src/query/result-format.js';
import { oneLine } from '../src/query/sql-session.js';
import { formatFigure, formatRunSummary, headlineFigures, type RunSummaryInput } from '../src/cli/run-summary.js';
import { parseRedisBenchmarkCsv } from '../src/apps/redis.js';
import { parseAbOutput, parseWrkOutput } from '../src/apps/web-server.js';
import { parsePgbenchReport } from '../src/apps/postgresql.js';
import { parseSlapReport } from '../src/apps/mysql.js';
import { parseLifecycle } from '../src/apps/docker.js';
import { parseCommandLine } from '../src/cli/args.js';

test('aligned table: numbers right-aligned, text left, NULL, long cells cut, the row count', () => {
  const text = formatAligned(['name', 'calls', 'path'], [
    ['read', 12n, '/etc/hosts'],
    ['epoll_wait', 3n, null],
    ['openat', 1234567n, `/${'x'.repeat(80)}`],
  ]);
  assert.equal(
    text,
    [
      'name          calls  path',
      '----------  -------  ------------------------------------------------------------',
      'read             12  /etc/hosts',
      'epoll_wait        3  NULL',
      `openat      1234567  /${'x'.repeat(58)}…`,
      '(3 rows)',
      '',
    ].join('\n'),
  );
  assert.equal(formatAligned(['n'], []), 'n\n-\n(0 rows)\n');
  assert.match(formatAligned(['n'], [[1]], { truncatedAt: 1 }), /\(1 row shown; more not shown: add LIMIT, or use --csv or --json for every row\)\n$/);
});

test('CSV: RFC 4180 quoting, NULL empty; JSON: 64-bit integers exact, JSON columns parsed', () => {
  assert.equal(csvHeader(['a', 'b,c']), 'a,"b,c"\n');
  assert.equal(csvRows([['say "hi"', null, 3n, [1n, 2n]]]), '"say ""hi""",,3,"[1, 2]"\n');
  const rows = jsonRows(['ts', 'payload', 'names'], [[1796310097224939789n, { json: { fd: 3 } }, ['redis-server']], [5n, null, []]], true);
  assert.equal(rows, '{"ts":"1796310097224939789","payload":{"fd":3},"names":["redis-server"]},\n{"ts":5,"payload":null,"names":[]}');
  assert.equal(jsonRows(['n'], [[1]], false), ',\n{"n":1}');
});

test("DuckDB's errors in one line, without the statement it points into", () => {
  assert.equal(oneLine('Failed to extract statements: Parser Error: syntax error at or near "selec"\n\nLINE 1: selec 1\n        ^'), 'Parser Error: syntax error at or near "selec"');
  assert.equal(oneLine('Catalog Error: Table with name foo does not exist!\nDid you mean "files"?\n\nLINE 1: select * from foo\n                      ^'), 'Catalog Error: Table with name foo does not exist! Did you mean "files"?');
});

test('query command line: trace and statement, one output format, bad input in one line', () => {
  assert.deepEqual(parseCommandLine(['query', 'traces/latest', 'SELECT 1', '--csv']), { kind: 'query', trace: 'traces/latest', sql: 'SELECT 1', output: 'csv', outputFile: null, quiet: false });
  assert.equal((parseCommandLine(['query', 't', 'SELECT 1', '--json', '-q']) as { output: string }).output, 'json');
  assert.throws(() => parseCommandLine(['query', 't']), /missing required argument 'sql'/);
  assert.throws(() => parseCommandLine(['query', 't', 'SELECT', '1']), /too many arguments/);
  assert.throws(() => parseCommandLine(['query', 't', ' ']), /the statement is empty/);
  assert.throws(() => parseCommandLine(['query', 't', 'SELECT 1', '--csv', '--json']), /--csv or --json, not both/);
  assert.throws(() => parseCommandLine(['convert', 't', '--to', 'parquet']), /-o DIR/);
  assert.throws(() => parseCommandLine(['redis', '--csv']), /--csv goes with query/);
  assert.deepEqual(parseCommandLine(['convert', 't', '--to', 'parquet', '-o', 'out']), { kind: 'convert', traceDir: 't', format: 'parquet', outputFile: 'out' });
});

const REDIS_CSV = [
  '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
  '"SET","101332.33","0.316","0.053","0.303","0.455","0.854","3.747"',
  '"GET","98184.74","0.326","0.055","0.298","0.502","1.175","5.818"',
].join('\n');

const AB = [
  'Complete requests:      5000',
  'Failed requests:        0',
  'Requests per second:    8412.66 [#/sec] (mean)',
  'Percentage of the requests served within a certain time (ms)',
  '  50%      5',
  '  99%     14',
  ' 100%     31 (longest request)',
].join('\n');

const WRK = [
  '  Latency Distribution',
  '     50%    1.12ms',
  '     99%  512.00us',
  '  125957 requests in 4.03s, 99.70MB read',
  'Requests/sec:  31239.49',
].join('\n');

const PGBENCH = ['number of clients: 8', 'number of transactions actually processed: 41234', 'number of failed transactions: 0 (0.000%)', 'latency average = 1.940 ms', 'tps = 4123.456789 (without initial connection time)'].join('\n');

const SLAP = [
  'Benchmark',
  '\tAverage number of seconds to run all queries: 0.412 seconds',
  '\tMinimum number of seconds to run all queries: 0.398 seconds',
  '\tMaximum number of seconds to run all queries: 0.431 seconds',
  '\tNumber of clients running queries: 8',
  '\tAverage number of queries per client: 200',
].join('\n');

const LIFECYCLE = ['create_us=81000', 'start_us=240000', 'exec_us=90000', 'stop_us=120000', 'rm_us=30000', 'lifecycle_us=561000'].join('\n');

test('headline figures of each application, from its own parser', () => {
  assert.equal(headlineFigures(parseRedisBenchmarkCsv(REDIS_CSV)), 'SET 101,332 req/s (p99 0.854 ms), GET 98,185 req/s (p99 1.18 ms)');
  assert.equal(headlineFigures(parseAbOutput(AB)), '8,413 req/s (p99 14 ms)');
  assert.equal(headlineFigures(parseWrkOutput(WRK)), '31,239 req/s (p99 0.512 ms)');
  assert.equal(headlineFigures(parsePgbenchReport(PGBENCH)), '4,123 transactions/s (mean latency 1.94 ms)');
  assert.equal(headlineFigures(parseSlapReport(SLAP)), '3,883 queries/s');
  assert.equal(headlineFigures(parseLifecycle(LIFECYCLE)), '1.78 container lifecycles/s (create to rm 561 ms)');
  assert.equal(headlineFigures(parseAbOutput(AB.replace('Failed requests:        0', 'Failed requests:        7'))), '8,413 req/s (p99 14 ms), 7 failed');
  assert.equal(headlineFigures({}), null);
  assert.equal(formatFigure(0.8541), '0.854');
  assert.equal(formatFigure(45.67), '45.7');
});

function metadata(overrides: Partial<RunSummaryInput['metadata']> = {}): RunSummaryInput['metadata'] {
  return {
    success: true,
    trace: {
      kernel_dir: 'kernel',
      events_total: 3488573,
      event_counts: {},
      events_lost_per_cpu: { '0': 0, '1': 0 },
      events_lost_total: 0,
      bytes_written: 170972281,
      records_skipped: 0,
      first_timestamp_ns: null,
      last_timestamp_ns: null,
    },
    userspace: null,
    benchmark: { command: '/usr/bin/redis-benchmark -h 127.0.0.1 -p 33135 -t set,get -c 50 -n 20000 --csv', iterations: 9, figures: parseRedisBenchmarkCsv(REDIS_CSV) },
    ...overrides,
  };
}

test('run summary: the trace, the figures, losses, the next commands; -q the first line only', () => {
  const input = { runDir: '/work/traces/redis_20261203_150136', metadata: metadata(), quiet: false, cwd: '/work' };
  assert.deepEqual(formatRunSummary(input), [
    'trace: /work/traces/redis_20261203_150136 (3,488,573 events, 163 MiB, 0 lost)',
    'redis-benchmark: SET 101,332 req/s (p99 0.854 ms), GET 98,185 req/s (p99 1.18 ms); mean of 9 runs (every figure in metadata.json)',
    'next:  benchmark-tracer analyze traces/redis_20261203_150136',
    '       benchmark-tracer query traces/redis_20261203_150136 "SELECT name, count(*) AS calls, sum(dur) AS total_ns FROM syscalls GROUP BY name ORDER BY total_ns DESC LIMIT 10"',
    '       benchmark-tracer view traces/redis_20261203_150136',
  ]);
  assert.deepEqual(formatRunSummary({ ...input, quiet: true }), ['trace: /work/traces/redis_20261203_150136 (3,488,573 events, 163 MiB, 0 lost)']);

  const lossy = metadata({ benchmark: null });
  lossy.trace = { ...lossy.trace!, events_lost_total: 1200, events_lost_per_cpu: { '0': 0, '1': 1200 } };
  const lines = formatRunSummary({ ...input, metadata: lossy, cwd: '/elsewhere' });
  assert.equal(lines[1], 'lost: 1,200 events (CPU 1: 1,200); a larger --buffer-size or fewer --events keeps them');
  assert.equal(lines[2], 'next:  benchmark-tracer analyze /work/traces/redis_20261203_150136');

  assert.deepEqual(formatRunSummary({ ...input, metadata: metadata({ success: false, trace: null, benchmark: null }) }), ['FAILED run: /work/traces/redis_20261203_150136 (no trace written)']);
});

test('docs/tables.md lists every table and column of the schema, with its type and meaning', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/tables.md', import.meta.url)), 'utf8');
  assert.match(doc, new RegExp(`^# Trace tables \\(schema version ${TABLES_SCHEMA_VERSION}\\)$`, 'm'));
  for (const table of TABLES) {
    const section = doc.split(`\n### ${table.name}\n`)[1]?.split('\n### ')[0];
    assert.ok(section, `a section for ${table.name}`);
    const documented = [...section.matchAll(/^\| `([^`]+)` \| ([^|]+) \| (.*) \|$/gm)].map((m) => [m[1], m[2]!.trim(), m[3]!.replaceAll('\\|', '|')]);
    assert.deepEqual(documented, table.columns.map((c) => [c.name, c.type, c.doc]), `columns of ${table.name}`);
  }
});
