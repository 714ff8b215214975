// analyze and compare end to end, as root: the CLI records real commands
// through tracefs, then analyzes what it wrote; babeltrace2's text is the
// independent count.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport } from '../src/analysis/model.js';
import type { Comparison } from '../src/analysis/compare.js';
import { CLI, onlyRun, runCli, tempOutputDir } from './helpers/cli.js';
import { babeltraceSyscallCounts } from './helpers/syscall-counts.js';
import { freePort } from '../src/util/ports.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));


/** Runs the CLI with the given stdout and stderr fds (files the traced command inherits). */
function runCliWithFds(args: string[], stdoutFd: number, stderrFd: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', stdoutFd, stderrFd] });
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

async function analyzeJson(traceDir: string): Promise<AnalysisReport> {
  const result = await runCli(['analyze', traceDir, '--json', '-q'], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as AnalysisReport;
}

async function assertCountsEqualBabeltrace(traceDir: string, report: AnalysisReport): Promise<void> {
  const expected = await babeltraceSyscallCounts(join(traceDir, 'kernel'));
  const ours = new Map(report.syscalls.bySyscall.filter((s) => s.count > 0).map((s) => [s.name, s.count]));
  assert.deepEqual(Object.fromEntries([...ours].sort()), Object.fromEntries([...expected].sort()));
}

const BLOCK = 4096;
const BLOCKS = 25;
const SLEEP_S = 0.3;
let knownRun: string | null = null;
const outputs: string[] = [];
after(() => {
  for (const dir of outputs) rmSync(dir, { recursive: true, force: true });
});

testNeeding(ROOT)('a command with known I/O: exactly N bytes in K writes to the file, read back, and the sleep latency', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bt-known-'));
  const file = join(scratch, 'data.bin');
  // The traced command inherits the CLI's stdout and stderr: both this file,
  // opened twice (own offsets), so the start statedump names them.
  const readFd = openSync(file, 'w+');
  const writeFd = openSync(file, 'r+');
  const output = tempOutputDir();
  outputs.push(output);
  const command =
    `dd if=/dev/zero bs=${BLOCK} count=${BLOCKS} status=none >&2; ` +
    `dd bs=${BLOCK} count=${BLOCKS} status=none <&1 >/dev/null; sleep ${SLEEP_S}`;
  let code: number | null;
  try {
    code = await runCliWithFds(['--custom', command, '--runs-dir', output, '-q'], readFd, writeFd);
  } finally {
    closeSync(readFd);
    closeSync(writeFd);
  }
  assert.equal(code, 0);
  const { dir, metadata } = onlyRun(output);
  assert.equal(metadata.success, true);
  knownRun = dir;

  const report = await analyzeJson(dir);
  const entry = report.io.byFile.find((f) => f.path === file);
  assert.ok(entry, `no I/O on ${file}: ${JSON.stringify(report.io.byFile.slice(0, 5))}`);
  assert.equal(entry.writes, BLOCKS);
  assert.equal(entry.writeBytes, BLOCK * BLOCKS);
  assert.equal(entry.reads, BLOCKS);
  assert.equal(entry.readBytes, BLOCK * BLOCKS);
  assert.equal(entry.kind, 'file');

  const sleep = report.syscalls.bySyscall.find((s) => s.name === 'clock_nanosleep' || s.name === 'nanosleep');
  assert.ok(sleep, 'no nanosleep in the trace');
  assert.ok(sleep.latency.maxNs >= SLEEP_S * 1e9, `sleep latency ${sleep.latency.maxNs} ns is shorter than ${SLEEP_S} s`);
  assert.ok(sleep.latency.maxNs < SLEEP_S * 1e9 + 250e6, `sleep latency ${sleep.latency.maxNs} ns is far above ${SLEEP_S} s`);

  const execs = JSON.stringify(report.processes.roots);
  assert.match(execs, /\/dd"/);
  assert.match(execs, /\/sleep"/);
  await assertCountsEqualBabeltrace(dir, report);
  rmSync(scratch, { recursive: true, force: true });
});

testNeeding(ROOT, tool('bpftrace', 'bpftrace'))('a file opened during the run: its path comes from the openat events, with exact bytes and counts', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bt-known-'));
  const file = join(scratch, 'written.bin');
  const output = tempOutputDir();
  outputs.push(output);
  const command =
    `dd if=/dev/zero of=${file} bs=${BLOCK} count=${BLOCKS} status=none; ` +
    `dd if=${file} of=/dev/null bs=${BLOCK} count=${BLOCKS} status=none; sleep ${SLEEP_S}`;
  const result = await runCli(['--custom', command, '--runs-dir', output, '-q']);
  assert.equal(result.code, 0, result.stderr);
  const { dir } = onlyRun(output);
  const report = await analyzeJson(dir);
  const entry = report.io.byFile.find((f) => f.path === file);
  assert.ok(entry, `no I/O on ${file}: ${JSON.stringify(report.io.byFile.slice(0, 5))}`);
  assert.deepEqual(
    { writes: entry.writes, writeBytes: entry.writeBytes, reads: entry.reads, readBytes: entry.readBytes, kind: entry.kind },
    { writes: BLOCKS, writeBytes: BLOCK * BLOCKS, reads: BLOCKS, readBytes: BLOCK * BLOCKS, kind: 'file' },
  );
  assert.equal(entry.processes.length, 2, 'the writing dd and the reading dd');
  assert.ok(report.io.resolvedShare > 0.9, `only ${report.io.resolvedShare} of fd operations resolved`);
  await assertCountsEqualBabeltrace(dir, report);
  rmSync(scratch, { recursive: true, force: true });
});

testNeeding(ROOT, tool('bpftrace', 'bpftrace'), tool('redis-server', 'redis-server'), tool('redis-benchmark', 'redis-tools'))('connections accepted and made, each with its peer address from the trace', async () => {
  const port = await freePort();
  const clients = 3;
  const output = tempOutputDir();
  outputs.push(output);
  const result = await runCli([
    '--custom', `exec redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no`,
    '--workload', `redis-benchmark -p ${port} -n 300 -c ${clients} -t ping -q`,
    '--trace-workload',
    '--events', 'sched:sched_switch,syscalls:*',
    '--runs-dir', output, '-q',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = await analyzeJson(onlyRun(output).dir);
  const connections = report.network.connections;
  const accepted = connections.filter((c) => c.direction === 'accepted' && c.process === 'redis-server');
  const made = connections.filter((c) => c.direction === 'connected' && c.process === 'redis-benchmark');
  assert.ok(accepted.length >= clients, `${accepted.length} connections accepted by the server`);
  assert.ok(made.length >= clients, `${made.length} connections made by redis-benchmark`);
  assert.deepEqual([...new Set(made.map((c) => c.peer))], [`127.0.0.1:${port}`], 'the client connected to the server');
  for (const c of accepted) assert.match(c.peer ?? 'none', /^127\.0\.0\.1:\d+$/, `accepted fd ${c.fd}`);
  assert.equal(new Set(accepted.map((c) => c.peer)).size, accepted.length, 'each accepted connection has its own client port');
  assert.ok(accepted.every((c) => c.receivedBytes > 0 && c.sentBytes > 0), 'requests came in and answers went out on each');
});

testNeeding(ROOT, tool('babeltrace2', 'babeltrace2'))('system-wide: per CPU, busy + idle = traced time, and busy time equals a count from babeltrace2 text', async () => {
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'sleep 1', '--system-wide', '--events', 'sched:sched_switch,sched:sched_waking,syscalls:sys_enter_write,syscalls:sys_exit_write', '--runs-dir', output, '-q']);
  assert.equal(result.code, 0, result.stderr);
  const { dir } = onlyRun(output);
  const report = await analyzeJson(dir);
  assert.ok(report.cpu.byCpu.length >= 1);

  // Independently: the text's sched_switch lines, per CPU, from its first switch to the trace's last event.
  const text = spawn('babeltrace2', [join(dir, 'kernel')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const perCpu = new Map<number, { first: bigint; since: bigint; running: number; busy: bigint }>();
  let last = 0n;
  const LINE = /^\[(\d+):(\d+):(\d+)\.(\d{9})\] \([^)]+\) \S+ ([^:]+): \{ cpu_id = (\d+) \}(.*)$/;
  for await (const line of createInterface({ input: text.stdout, crlfDelay: Infinity })) {
    const m = LINE.exec(line);
    if (!m) continue;
    const ns = ((BigInt(m[1]!) * 60n + BigInt(m[2]!)) * 60n + BigInt(m[3]!)) * 1_000_000_000n + BigInt(m[4]!);
    last = ns;
    if (m[5] !== 'sched_switch') continue;
    const cpu = Number(m[6]);
    const next = Number(/next_tid = (\d+)/.exec(m[7]!)![1]);
    const state = perCpu.get(cpu);
    if (!state) perCpu.set(cpu, { first: ns, since: ns, running: next, busy: 0n });
    else {
      if (state.running !== 0) state.busy += ns - state.since;
      state.since = ns;
      state.running = next;
    }
  }
  for (const cpu of report.cpu.byCpu) {
    assert.equal(cpu.busyNs + cpu.idleNs, cpu.tracedNs, `CPU ${cpu.cpu}: busy + idle = traced`);
    const expected = perCpu.get(cpu.cpu)!;
    if (expected.running !== 0) expected.busy += last - expected.since;
    assert.equal(BigInt(cpu.tracedNs), last - expected.first, `CPU ${cpu.cpu}: traced = last event - first switch`);
    assert.equal(BigInt(cpu.busyNs), expected.busy, `CPU ${cpu.cpu}: busy time`);
    assert.ok(cpu.idleNs > 0, 'a CPU of a mostly idle machine was idle at some point');
  }
  assert.deepEqual(report.cpu.byCpu.map((c) => c.cpu), [...perCpu.keys()].sort((a, b) => a - b));
  await assertCountsEqualBabeltrace(dir, report);

  // compare: the known command's trace against this one.
  assert.ok(knownRun, 'the known-I/O test ran first');
  const a = await analyzeJson(knownRun);
  const compared = await runCli(['compare', knownRun, dir, '--json', '-q'], { timeoutMs: 300_000 });
  assert.equal(compared.code, 0, compared.stderr);
  const comparison = JSON.parse(compared.stdout) as Comparison;
  const events = comparison.rows.find((r) => r.section === 'trace' && r.metric === 'events')!;
  assert.equal(events.a, a.trace.events);
  assert.equal(events.b, report.trace.events);
  assert.equal(events.ratio, report.trace.events / a.trace.events);
  const writesA = a.syscalls.bySyscall.find((s) => s.name === 'write')?.count ?? 0;
  const writesB = report.syscalls.bySyscall.find((s) => s.name === 'write')?.count ?? 0;
  const writes = comparison.rows.find((r) => r.section === 'syscalls' && r.name === 'write' && r.metric === 'calls')!;
  assert.deepEqual([writes.a, writes.b], [writesA, writesB]);
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT)('compare: a trace against itself gives ratio 1 on every figure; the terminal view shows x1.00', async () => {
  assert.ok(knownRun, 'the known-I/O test ran first');
  const json = await runCli(['compare', knownRun, knownRun, '--json', '-q']);
  assert.equal(json.code, 0, json.stderr);
  const comparison = JSON.parse(json.stdout) as Comparison;
  assert.ok(comparison.rows.length > 20);
  for (const row of comparison.rows) if (row.a !== null) assert.equal(row.ratio, 1, `${row.section} ${row.name} ${row.metric}`);
  const text = await runCli(['compare', knownRun, knownRun, '-q']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /x1\.00/);
  assert.doesNotMatch(text.stdout, /x(?!1\.00)\d/);
  const terminal = await runCli(['analyze', knownRun, '-q', '--top', '5']);
  assert.equal(terminal.code, 0, terminal.stderr);
  assert.match(terminal.stdout, /^Syscalls: /m);
  for (const line of terminal.stdout.split('\n')) assert.ok(line.length <= 100 || line.startsWith('trace '), `too wide: ${line}`);
});

test('bad input: one line and a non-zero exit; a damaged trace is analyzed up to the damage', async () => {
  const missing = await runCli(['analyze', '/nonexistent/trace']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /no such trace directory/);

  const empty = mkdtempSync(join(tmpdir(), 'bt-empty-'));
  const notTrace = await runCli(['analyze', empty]);
  assert.notEqual(notTrace.code, 0);
  assert.equal(notTrace.stderr.trim().split('\n').length, 1, notTrace.stderr);
  assert.doesNotMatch(notTrace.stderr, /\n\s+at /);

  for (const args of [['compare', empty], ['analyze', empty, '--top', '0'], ['analyze', 'a', 'b'], ['view', empty, '--json']]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }

  const damaged = join(empty, 'damaged');
  cpSync(join(CORPUS, 'lttng-kernel', 'tviz-wget-k'), damaged, { recursive: true });
  const stream = join(damaged, readdirSync(damaged).find((f) => f.startsWith('k_'))!);
  truncateSync(stream, Math.floor(statSync(stream).size / 2) + 100);
  const result = await runCli(['analyze', damaged, '--json', '-q']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /damaged/);
  const report = JSON.parse(result.stdout) as AnalysisReport;
  assert.ok(report.trace.damage);
  assert.ok(report.trace.events > 0);
  assert.ok(report.notes.some((n) => n.startsWith('damaged trace')));
  rmSync(empty, { recursive: true, force: true });
});
