// Unit tests of the analyses' pure parts and of the shared state, on small
// traces written with our CTF writer, where every figure is known.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { compareReports, ratioOf } from '../src/analysis/compare.js';
import { errnoName, isErrorReturn } from '../src/analysis/errno.js';
import { LatencyHistogram, PERCENTILE_RELATIVE_ERROR } from '../src/analysis/histogram.js';
import { writeEventTrace, type TestEvent } from './helpers/event-trace.js';

test('errno names: Linux numbers, kernel-internal restarts, unknown ones as numbers', () => {
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(104), 'ECONNRESET');
  assert.equal(errnoName(115), 'EINPROGRESS');
  assert.equal(errnoName(512), 'ERESTARTSYS');
  assert.equal(errnoName(3000), '-3000');
  assert.equal(isErrorReturn(-4), true);
  assert.equal(isErrorReturn(-4096), false);
  assert.equal(isErrorReturn(0), false);
});

test('histogram: exact count/min/max/total; percentiles within the stated relative error', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values: number[] = [];
  const histogram = new LatencyHistogram();
  for (let i = 0; i < 50_000; i++) {
    const value = Math.round(10 ** (1 + random() * 7)); // 10 ns .. 100 ms, log-uniform
    values.push(value);
    histogram.add(value);
  }
  values.sort((a, b) => a - b);
  const summary = histogram.summary();
  assert.equal(summary.count, values.length);
  assert.equal(summary.minNs, values[0]);
  assert.equal(summary.maxNs, values.at(-1));
  assert.equal(summary.totalNs, values.reduce((a, b) => a + b, 0));
  for (const q of [0.5, 0.95, 0.99]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    const estimate = histogram.quantile(q);
    assert.ok(Math.abs(estimate - exact) / exact <= PERCENTILE_RELATIVE_ERROR + 1e-9, `p${q * 100}: ${estimate} vs exact ${exact}`);
  }
  const exported = histogram.exportHistogram();
  assert.equal(exported.counts.reduce((a, b) => a + b, 0), values.length);
  assert.equal(exported.boundsNs.length, exported.counts.length + 1);
});

test('ratios: B/A, 1 for equal values, none when A is 0', () => {
  assert.equal(ratioOf(2, 3), 1.5);
  assert.equal(ratioOf(0, 0), 1);
  assert.equal(ratioOf(0, 5), null);
  assert.equal(ratioOf(null, 5), null);
});

const APP = { pid: 100, comm: 'app' };
const sys = (timeNs: number, name: string, fields: Record<string, number | string>, who = APP): TestEvent => ({ name, timeNs, ...who, fields });

/** An app opens a file (path recorded as a pointer, as our traces do), writes, dup2s it to stdout, forks; a statedump at the end names stdout. */
const FD_EVENTS: TestEvent[] = [
  { name: 'sched_switch', timeNs: 5, cpu: 1, pid: 0, comm: 'swapper/1', fields: { prev_tid: 0, next_tid: 200 } },
  sys(10, 'syscall_entry_openat', { dfd: -100, filename: 0x7f001234, flags: 0, mode: 0 }),
  sys(20, 'syscall_exit_openat', { ret: 5 }),
  sys(30, 'syscall_entry_write', { fd: 5, buf: 0, count: 100 }),
  sys(40, 'syscall_exit_write', { ret: 100 }),
  sys(50, 'syscall_entry_dup2', { oldfd: 5, newfd: 1 }),
  sys(60, 'syscall_exit_dup2', { ret: 1 }),
  { name: 'sched_switch', timeNs: 65, cpu: 1, pid: 200, comm: 'worker', fields: { prev_tid: 200, next_tid: 0 } },
  sys(70, 'syscall_entry_close', { fd: 5 }),
  sys(75, 'sys_read', { fd: 1, buf: 0, count: 4096 }, { pid: 300, comm: 'old' }),
  sys(78, 'exit_syscall', { ret: 12 }, { pid: 300, comm: 'old' }),
  { name: 'sched_waking', timeNs: 79, pid: 100, comm: 'app', fields: { tid: 200, target_cpu: 1 } },
  sys(80, 'syscall_exit_close', { ret: 0 }),
  sys(90, 'syscall_entry_write', { fd: 1, buf: 0, count: 50 }),
  { name: 'sched_switch', timeNs: 95, cpu: 1, pid: 0, comm: 'swapper/1', fields: { prev_tid: 0, next_tid: 200 } },
  sys(100, 'syscall_exit_write', { ret: 50 }),
  sys(110, 'syscall_entry_read', { fd: 7, buf: 0, count: 10 }),
  sys(120, 'syscall_exit_read', { ret: -11 }),
  sys(125, 'syscall_entry_clone', { clone_flags: 0x11 }),
  { name: 'task_newtask', timeNs: 128, ...APP, fields: { tid: 101, comm: 'app', clone_flags: 0x11 } },
  { name: 'sched_process_fork', timeNs: 130, ...APP, fields: { parent_comm: 'app', parent_tid: 100, child_comm: 'app', child_tid: 101 } },
  sys(131, 'syscall_exit_clone', { ret: 101 }),
  sys(132, 'syscall_exit_clone', { ret: 0 }, { pid: 101, comm: 'app' }),
  sys(140, 'syscall_entry_write', { fd: 1, buf: 0, count: 25 }, { pid: 101, comm: 'app' }),
  sys(145, 'syscall_exit_write', { ret: 25 }, { pid: 101, comm: 'app' }),
  sys(146, 'syscall_entry_accept4', { fd: 3, upeer_sockaddr: 0, upeer_addrlen: 0, flags: 0 }),
  sys(147, 'syscall_exit_accept4', { ret: 9 }),
  sys(148, 'syscall_entry_read', { fd: 9, buf: 0, count: 100 }),
  sys(149, 'syscall_exit_read', { ret: 30 }),
  { name: 'lttng_statedump_file_descriptor', timeNs: 150, pid: 1, comm: 'tracer', fields: { pid: 100, fd: 1, flags: 0, fmode: 0, filename: '/var/log/app.log' } },
  { name: 'lttng_statedump_file_descriptor', timeNs: 151, pid: 1, comm: 'tracer', fields: { pid: 100, fd: 9, flags: 0, fmode: 0, filename: 'socket:[555]' } },
  {
    name: 'lttng_statedump_socket',
    timeNs: 152,
    pid: 1,
    comm: 'tracer',
    fields: { pid: 100, fd: 9, inode: 555, protocol: 'tcp', state: 'ESTABLISHED', local: '127.0.0.1:6379', peer: '127.0.0.1:50000' },
  },
];

test('fd table: a path learnt at the end names earlier writes, through dup2 and fork; old exit_syscall pairs with its entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-analysis-'));
  try {
    writeEventTrace(dir, FD_EVENTS);
    const report = await analyzeTrace([dir]);
    const counts = Object.fromEntries(report.syscalls.bySyscall.map((s) => [s.name, s.count]));
    assert.deepEqual(counts, { openat: 1, write: 3, dup2: 1, close: 1, read: 3, clone: 1, accept4: 1 });
    const write = report.syscalls.bySyscall.find((s) => s.name === 'write')!;
    assert.equal(write.latency.count, 3);
    assert.equal(write.latency.minNs, 5);
    assert.equal(write.latency.maxNs, 10);
    assert.equal(write.latency.totalNs, 25);
    const read = report.syscalls.bySyscall.find((s) => s.name === 'read')!;
    assert.deepEqual(read.errors, { EAGAIN: 1 });
    assert.equal(read.latency.count, 3, 'sys_read + exit_syscall is one read with a latency');
    assert.equal(report.syscalls.unmatchedExits, 0, "the child's clone return is not an unmatched exit");
    assert.equal(report.syscalls.unmatchedEntries, 0);

    const log = report.io.byFile.find((f) => f.path === '/var/log/app.log');
    assert.ok(log, JSON.stringify(report.io.byFile));
    assert.deepEqual({ writes: log.writes, writeBytes: log.writeBytes, reads: log.reads, processes: log.processes }, { writes: 3, writeBytes: 175, reads: 0, processes: [100, 101] });
    const old = report.io.byProcess.find((p) => p.pid === 300)!;
    assert.equal(old.readBytes, 12);
    assert.equal(report.io.fdOperations, 5);
    assert.equal(report.io.fdOperationsResolved, 4, 'the old process reads an fd nobody named');

    // The accepted socket: named by the statedump's socket table after the fact.
    assert.equal(report.network.accepted, 1);
    const [connection] = report.network.connections;
    assert.deepEqual(
      { direction: connection?.direction, local: connection?.local, peer: connection?.peer, received: connection?.receivedBytes, pid: connection?.pid, fd: connection?.fd },
      { direction: 'accepted', local: '127.0.0.1:6379', peer: '127.0.0.1:50000', received: 30, pid: 100, fd: 9 },
    );

    const child = report.processes.roots.flatMap((r) => [r, ...r.children]).find((p) => p.pid === 101);
    assert.equal(child?.parentPid, 100);

    // CPU 1: first switch at 5, end of trace at 152: 147 ns traced; 200 runs 5..65 and 95..152.
    const cpu1 = report.cpu.byCpu.find((c) => c.cpu === 1)!;
    assert.deepEqual(cpu1, { cpu: 1, busyNs: 117, idleNs: 30, tracedNs: 147, switches: 3 });
    assert.equal(report.cpu.byThread.find((t) => t.tid === 200)?.cpuNs, 117);
    assert.equal(report.cpu.runQueueLatency.count, 1);
    assert.equal(report.cpu.runQueueLatency.maxNs, 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compare: a report against itself gives ratio 1 everywhere there is a value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-analysis-'));
  try {
    writeEventTrace(dir, FD_EVENTS);
    const report = await analyzeTrace([dir]);
    const comparison = compareReports(report, report);
    assert.ok(comparison.rows.length > 20);
    for (const row of comparison.rows) {
      if (row.a === null) assert.equal(row.ratio, null);
      else assert.equal(row.ratio, 1, `${row.section} ${row.name} ${row.metric}`);
    }
    assert.ok(comparison.rows.some((r) => r.section === 'syscalls' && r.name === 'write' && r.metric === 'calls' && r.a === 3));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lost events: counted per CPU with their time range, and the results they make uncertain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-analysis-'));
  try {
    writeEventTrace(dir, [
      sys(10, 'syscall_entry_read', { fd: 0, buf: 0, count: 1 }),
      sys(20, 'syscall_exit_read', { ret: 1 }),
      { ...sys(30, 'syscall_entry_write', { fd: 1, buf: 0, count: 1 }), cpu: 1 },
      { ...sys(1000, 'syscall_exit_write', { ret: 1 }), cpu: 1, lostBefore: 7 },
    ]);
    const report = await analyzeTrace([dir]);
    assert.equal(report.lost.total, 7);
    assert.deepEqual(report.lost.byCpu, { 1: 7 });
    assert.equal(report.lost.ranges.length, 1);
    assert.equal(report.lost.ranges[0]!.cpu, 1);
    assert.ok(BigInt(report.lost.ranges[0]!.beginNs!) <= BigInt(report.lost.ranges[0]!.endNs!));
    assert.match(report.lost.uncertain[0]!, /7 events lost on CPU 1 between/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cpu timeline: each bucket its busiest thread and busy share, as summed directly at the final width, over thousands of switches', async () => {
  // Two CPUs switching among idle and three threads at random, each run 1, 2,
  // then 4 us long: the buckets widen while the trace is read (the analysis
  // puts runs in buckets a thousand at a time), and runs that fill whole
  // buckets make ties, which go to the thread that ran first in the bucket.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const TIDS = [0, 201, 202, 203];
  const events: TestEvent[] = [];
  const switches: Array<{ cpu: number; timeNs: number; tid: number }> = [];
  for (const cpu of [0, 1]) {
    let timeNs = cpu * 3 * 1024;
    let previous = 0;
    for (let i = 0; i < 3000; i++) {
      const tid = TIDS[Math.floor(random() * TIDS.length)]!;
      switches.push({ cpu, timeNs, tid });
      events.push({ name: 'sched_switch', timeNs, cpu, pid: previous, comm: 'x', fields: { prev_tid: previous, next_tid: tid } });
      previous = tid;
      timeNs += 1024 * 2 ** Math.floor(i / 1000);
    }
  }
  events.sort((a, b) => a.timeNs - b.timeNs);
  const endNs = events[events.length - 1]!.timeNs;

  let bucketNs = 1024;
  while (endNs > bucketNs * 1000) bucketNs *= 2;
  let ties = 0;
  const bucketCount = Math.min(1000, Math.ceil(endNs / bucketNs) || 1);
  const expected = [0, 1].map((cpu) => {
    const mine = switches.filter((s) => s.cpu === cpu);
    const buckets: Array<Map<number, number> | undefined> = [];
    mine.forEach((s, i) => {
      const to = i + 1 < mine.length ? mine[i + 1]!.timeNs : endNs;
      for (let b = Math.floor(s.timeNs / bucketNs); b * bucketNs < to; b++) {
        const overlap = Math.min(to, (b + 1) * bucketNs) - Math.max(s.timeNs, b * bucketNs);
        if (overlap <= 0) continue;
        const map = (buckets[b] ??= new Map());
        map.set(s.tid, (map.get(s.tid) ?? 0) + overlap);
      }
    });
    return Array.from({ length: bucketCount }, (_, b) => {
      const map = buckets[b];
      if (!map) return null;
      let top = 0;
      let topNs = 0;
      let busy = 0;
      for (const [tid, ns] of map) {
        if (tid === 0) continue;
        busy += ns;
        if (ns === topNs) ties++;
        if (ns > topNs) [top, topNs] = [tid, ns];
      }
      return { tid: top, busyShare: Math.min(1, busy / bucketNs) };
    });
  });

  const dir = mkdtempSync(join(tmpdir(), 'bt-analysis-'));
  try {
    writeEventTrace(dir, events);
    const timeline = (await analyzeTrace([dir])).cpu.timeline;
    assert.equal(timeline.bucketNs, bucketNs);
    assert.ok(bucketNs >= 1024 * 8, 'the buckets widened several times');
    assert.ok(ties > 100, `buckets where threads tie: ${ties}`);
    assert.deepEqual(timeline.cpus.map((c) => c.cpu), [0, 1]);
    timeline.cpus.forEach((cpu, i) => assert.deepEqual(cpu.buckets, expected[i], `CPU ${cpu.cpu}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
