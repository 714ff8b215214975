// Shared by the tables tests: read a query's rows whole, count babeltrace2's
// events per name (the independent count), and hold a trace's tables
// against analyze's report and the documented schema.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AnalysisReport, ProcessNode } from '../../src/analysis/model.js';
import type { Cell } from '../../src/query/result-format.js';
import { jsonValue } from '../../src/query/result-format.js';
import type { SqlSession } from '../../src/query/sql-session.js';
import { TABLES, TABLES_SCHEMA_VERSION } from '../../src/tables/schema.js';
import { requireTool } from './cli.js';

export async function rows(session: SqlSession, sql: string): Promise<unknown[][]> {
  const result = await session.query(sql);
  const all: unknown[][] = [];
  for (let chunk = await result.next(); chunk; chunk = await result.next()) all.push(...chunk.map((row: Cell[]) => row.map(jsonValue)));
  return all;
}

/** [key, value] rows -> an object sorted by key. */
export async function keyed(session: SqlSession, sql: string): Promise<Record<string, unknown>> {
  const found = await rows(session, sql);
  return Object.fromEntries(found.map(([k, v]) => [String(k), v]).sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)));
}

const EVENT_NAME = /^\[[^\]]+\] \([^)]+\) \S+ (\S+): /;

/** babeltrace2's text of a trace, streamed: events per name, and its exit code. */
export async function babeltraceNameCounts(trace: string, args: string[] = []): Promise<{ counts: Map<string, number>; lines: number; stderr: string; code: number | null }> {
  requireTool('babeltrace2', 'babeltrace2');
  const child = spawn('babeltrace2', [...args, trace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const counts = new Map<string, number>();
  let lines = 0;
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    lines++;
    const name = EVENT_NAME.exec(line)?.[1];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return { counts, lines, stderr, code: await closed };
}

/** Syscall entries per syscall, from event counts (syscall_entry_X, compat_syscall_entry_X, sys_X of LTTng 2.5). */
export function entryCounts(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, count] of counts) {
    const m = /^(?:(compat_)syscall_entry_|syscall_entry_|sys_)(.+)$/.exec(name);
    if (m) out[(m[1] ?? '') + m[2]!] = (out[(m[1] ?? '') + m[2]!] ?? 0) + count;
  }
  return sorted(out);
}

export function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function flatten(nodes: ProcessNode[], into: Array<[number, number | null]> = []): Array<[number, number | null]> {
  for (const node of nodes) {
    into.push([node.pid, node.parentPid]);
    flatten(node.children, into);
  }
  return into;
}

/** The documented columns and types, the schema version in every file's key-value metadata. */
export async function assertSchema(session: SqlSession, dir: string): Promise<void> {
  for (const table of TABLES) {
    const described = await rows(session, `SELECT column_name, column_type FROM (DESCRIBE "${table.name}")`);
    assert.deepEqual(described, table.columns.map((c) => [c.name, c.type]), `columns of ${table.name}`);
    const file = join(dir, `${table.name}.parquet`).replaceAll("'", "''");
    const kv = await keyed(session, `SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}') WHERE decode(key) LIKE 'benchmark_tracer_%'`);
    assert.equal(kv.benchmark_tracer_schema_version, String(TABLES_SCHEMA_VERSION), `${table.name}: schema version in the file`);
    assert.equal(kv.benchmark_tracer_table, table.name);
  }
}

/** Every table against analyze's figures of the same trace, and events against babeltrace2's text. */
export async function assertTablesAgree(session: SqlSession, report: AnalysisReport, text: Map<string, number>): Promise<void> {
  // events: every event, per name, as babeltrace2 prints them.
  assert.deepEqual(await keyed(session, 'SELECT name, count(*) FROM events GROUP BY name'), sorted(Object.fromEntries(text)));

  // syscalls: one row per entry; the calls, latencies and their totals of analyze.
  const calls = await keyed(session, 'SELECT name, count(*) FROM syscalls GROUP BY name');
  assert.deepEqual(calls, entryCounts(text), 'syscall rows per name = babeltrace2 entry lines');
  const analyzed = report.syscalls.bySyscall.filter((s) => s.count > 0);
  assert.deepEqual(calls, sorted(Object.fromEntries(analyzed.map((s) => [s.name, s.count]))), 'syscall rows per name = analyze');
  const latencies = await keyed(session, 'SELECT name, [count(dur), coalesce(sum(dur), 0), coalesce(max(dur), 0)] FROM syscalls GROUP BY name');
  assert.deepEqual(latencies, sorted(Object.fromEntries(analyzed.map((s) => [s.name, [s.latency.count, s.latency.totalNs, s.latency.maxNs]]))), 'latency count, total, max');

  // sched_slices: busy and idle time per CPU, switches, run-queue latencies.
  const perCpu = await keyed(
    session,
    'SELECT cpu, [coalesce(sum(dur) FILTER (WHERE tid <> 0), 0), coalesce(sum(dur) FILTER (WHERE tid = 0), 0), count(*)] FROM sched_slices GROUP BY cpu',
  );
  assert.deepEqual(perCpu, sorted(Object.fromEntries(report.cpu.byCpu.map((c) => [String(c.cpu), [c.busyNs, c.idleNs, c.switches]]))), 'busy, idle, switches per CPU');
  const [[runqueue, runqueueMax]] = (await rows(session, 'SELECT count(runqueue_ns), coalesce(max(runqueue_ns), 0) FROM sched_slices')) as [[number, number]];
  assert.equal(runqueue, report.cpu.runQueueLatency.count, 'run-queue latencies');
  if (runqueue > 0) assert.equal(runqueueMax, report.cpu.runQueueLatency.maxNs);
  // The payload column is in step with the rows: each slice starts at its sched_switch, whose next_tid it names.
  const [[joined, mismatched]] = (await rows(
    session,
    `SELECT count(*), count(*) FILTER (WHERE (e.payload->>'next_tid')::BIGINT <> s.tid) FROM events e JOIN sched_slices s ON e.ts = s.ts AND e.cpu = s.cpu WHERE e.name = 'sched_switch'`,
  )) as [[number, number]];
  assert.equal(mismatched, 0, 'payload of each sched_switch = its slice');
  assert.ok(joined >= (text.get('sched_switch') ?? 0));

  // processes: the tree.
  const tree = (await rows(session, 'SELECT pid, parent_pid FROM processes ORDER BY pid')) as Array<[number, number | null]>;
  assert.deepEqual(tree, flatten(report.processes.roots).sort((a, b) => a[0] - b[0]), 'processes and parents');

  // files: I/O per path (analyze folds files by path, or by kind when unnamed).
  const files = await keyed(
    session,
    "SELECT coalesce(path, chr(0) || kind), [sum(reads), sum(writes), sum(read_bytes), sum(write_bytes)] FROM files WHERE reads + writes > 0 GROUP BY coalesce(path, chr(0) || kind)",
  );
  assert.deepEqual(files, sorted(Object.fromEntries(report.io.byFile.map((f) => [f.path ?? `\0${f.kind}`, [f.reads, f.writes, f.readBytes, f.writeBytes]]))), 'I/O per file');

  // Every file a syscall or connection names has its row, once.
  const [[dangling, duplicated]] = (await rows(
    session,
    'SELECT (SELECT count(*) FROM syscalls WHERE file_id IS NOT NULL AND file_id NOT IN (SELECT id FROM files)) + (SELECT count(*) FROM connections WHERE file_id NOT IN (SELECT id FROM files)), (SELECT count(*) - count(DISTINCT id) FROM files)',
  )) as [[number, number]];
  assert.equal(dangling, 0, 'file ids without a files row');
  assert.equal(duplicated, 0, 'a file written twice');

  // connections: as many as analyze counted, the same bytes.
  const [[connections, sent, received]] = (await rows(session, 'SELECT count(*), coalesce(sum(sent_bytes), 0), coalesce(sum(received_bytes), 0) FROM connections')) as [[number, number, number]];
  const byProcess = report.network.byProcess;
  assert.equal(connections, byProcess.reduce((n, p) => n + p.connections, 0), 'connections');
  assert.equal(sent, byProcess.reduce((n, p) => n + p.sentBytes, 0), 'bytes sent');
  assert.equal(received, byProcess.reduce((n, p) => n + p.receivedBytes, 0), 'bytes received');

  // lost_events.
  const [[lost]] = (await rows(session, "SELECT coalesce(sum(count), 0) FROM lost_events WHERE what = 'event'")) as [[number]];
  assert.equal(lost, report.lost.total, 'events lost');
}
