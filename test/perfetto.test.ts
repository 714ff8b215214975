// convert --to perfetto: Chrome trace-event JSON as Perfetto's importer reads
// it, checked against babeltrace2's text of the same trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { convertCaptureToCtf } from '../src/backends/ftrace/convert.js';
import { exportTrace } from '../src/export/ctf-export.js';
import { micros } from '../src/export/perfetto.js';
import { babeltrace } from './helpers/babeltrace.js';
import { runCli } from './helpers/cli.js';
import { MemorySink } from './helpers/ctf-text.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/captures/sh-ls-dd-sort/', import.meta.url));
const CORPUS_TRACES = [
  'lttng-kernel/tc-many-threads',
  'lttng-kernel/tc-bug446190-arm',
  'lttng-kernel/tc-flipping-endianness-be',
  'lttng-kernel/tviz-wget-k',
  'lttng-kernel-ust/cat-kernel',
];
/** The synthetic "CPU n" processes sit above PID_MAX_LIMIT. */
const PID_MAX_LIMIT = 4_194_304;

interface TraceEvent {
  ph: string;
  name: string;
  cat?: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  args: Record<string, unknown>;
}

/** What babeltrace2's text says, worked out the simple way: syscall pairs per thread, who each CPU switched to. */
function reference(traceDir: string) {
  const run = babeltrace(traceDir);
  assert.equal(run.code, 0, run.stderr);
  const running = new Map<number, number>();
  const open = new Map<string, string>();
  const pairs = new Map<string, number>();
  const switchedTo = new Map<number, string[]>();
  const threadsOf = new Map<string, Set<string>>();
  const namesOf = new Map<number, Set<string>>();
  for (const line of run.lines) {
    const m = /^\[[^\]]+\] \([^)]+\) \S+ (\S+): \{ cpu_id = (\d+) \}, (.*)$/.exec(line);
    assert.ok(m, line);
    const [, name, cpuText, rest] = m;
    const cpu = Number(cpuText);
    const context = /^\{ pid = (-?\d+), tid = (-?\d+), procname = "([^"]*)" \}/.exec(rest!);
    if (name === 'sched_switch') {
      const next = /next_comm = "([^"]*)", next_tid = (\d+)/.exec(rest!)!;
      running.set(cpu, Number(next[2]));
      if (next[2] !== '0') switchedTo.set(cpu, [...(switchedTo.get(cpu) ?? []), `${next[1]} ${next[2]}`]);
      continue;
    }
    const thread = context ? `${context[1]}/${context[2]}` : running.has(cpu) ? `?/${running.get(cpu)}` : `cpu${cpu}`;
    if (context && context[2] !== '0') namesOf.set(Number(context[2]), (namesOf.get(Number(context[2])) ?? new Set()).add(context[3]!));
    const entry = /^(?:syscall_entry_|sys_)(.+)$/.exec(name!);
    const exit = /^syscall_exit_(.+)$|^exit_syscall$/.exec(name!);
    if (entry) {
      open.set(thread, entry[1]!);
    } else if (exit) {
      const opened = open.get(thread);
      if (opened !== undefined && (exit[1] === undefined || exit[1] === opened)) {
        open.delete(thread);
        pairs.set(opened, (pairs.get(opened) ?? 0) + 1);
        threadsOf.set(opened, (threadsOf.get(opened) ?? new Set()).add(thread));
      }
    }
  }
  return { lines: run.lines.length, pairs, switchedTo, threadsOf, namesOf };
}

async function perfettoOf(traceDir: string): Promise<{ text: string; writes: number; events: TraceEvent[] }> {
  const sink = new MemorySink();
  await exportTrace([traceDir], 'perfetto', sink);
  const text = sink.bytes().toString('utf8');
  const document = JSON.parse(text) as { traceEvents: TraceEvent[]; metadata: Record<string, string> };
  return { text, writes: sink.chunks.length, events: document.traceEvents };
}

const ns = (us: number) => Math.round(us * 1000);

/** Slices of one track, in time order, must not overlap: Perfetto would spill them to an overflow track. */
function assertNoOverlap(slices: TraceEvent[], what: string): void {
  const byTrack = new Map<string, TraceEvent[]>();
  for (const s of slices) byTrack.set(`${s.pid}/${s.tid}`, [...(byTrack.get(`${s.pid}/${s.tid}`) ?? []), s]);
  for (const [track, list] of byTrack) {
    list.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < list.length; i++) {
      const previousEnd = ns(list[i - 1]!.ts) + ns(list[i - 1]!.dur!);
      assert.ok(previousEnd <= ns(list[i]!.ts), `${what} on ${track} overlap: ${JSON.stringify(list[i - 1])} and ${JSON.stringify(list[i])}`);
    }
  }
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function checkAgainstBabeltrace(traceDir: string, out: { text: string; events: TraceEvent[] }) {
  const ref = reference(traceDir);
  assert.match(out.text, /^\{"/, "Perfetto's JSON sniffer wants the file to start with {\"");
  for (const e of out.events) {
    assert.ok(['X', 'i', 'M'].includes(e.ph), e.ph);
    assert.ok(Number.isFinite(e.ts) && e.ts >= 0, `ts ${e.ts}`);
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid));
    if (e.ph === 'X') assert.ok(Number.isFinite(e.dur) && e.dur! >= 0, `dur ${e.dur}`);
  }
  const syscalls = out.events.filter((e) => e.ph === 'X' && e.cat === 'syscall');
  const sched = out.events.filter((e) => e.ph === 'X' && e.cat === 'sched');
  assert.ok(syscalls.length + sched.length > 0, 'the trace has slices');

  assert.deepEqual(countBy(syscalls, (e) => e.name), ref.pairs, 'a syscall slice per entry/exit pair, per syscall');
  assert.ok(syscalls.every((e) => e.pid < PID_MAX_LIMIT || e.tid >= PID_MAX_LIMIT));
  assertNoOverlap(syscalls, 'syscall slices');

  const cpuSlices = new Map<number, string[]>();
  for (const e of sched) {
    const cpu = e.pid - PID_MAX_LIMIT;
    assert.ok(cpu >= 0 && e.tid === e.pid, `CPU track ${e.pid}`);
    assert.equal(e.name, `${/^(.*) \d+$/.exec(e.name)![1]} ${e.args.tid}`);
    cpuSlices.set(cpu, [...(cpuSlices.get(cpu) ?? []), e.name]);
  }
  // Who ran where: one slice per switch to a task, named as the switch names it.
  assert.deepEqual(new Map([...cpuSlices].map(([cpu, names]) => [cpu, names.sort()])), new Map([...ref.switchedTo].map(([cpu, names]) => [cpu, names.sort()])));
  assertNoOverlap(sched, 'CPU slices');
  const cpuNames = out.events.filter((e) => e.ph === 'M' && e.name === 'process_name' && e.pid >= PID_MAX_LIMIT && e.pid < PID_MAX_LIMIT + 65536);
  assert.deepEqual(cpuNames.map((e) => e.args.name).sort(), [...cpuSlices.keys()].map((cpu) => `CPU ${cpu}`).sort());
  return { ref, syscalls };
}

/**
 * The export and the analysis read the trace through the same model: per
 * syscall, slices equal the analysis's latencies (entry/exit pairs), and
 * slices plus entries left open (instants syscall_entry_X) equal its calls,
 * which the corpus test holds against babeltrace2's entry lines.
 */
async function checkAgainstAnalysis(traceDir: string, out: { events: TraceEvent[] }): Promise<void> {
  const report = await analyzeTrace([traceDir]);
  const slices = countBy(out.events.filter((e) => e.ph === 'X' && e.cat === 'syscall'), (e) => e.name);
  const openEntries = countBy(out.events.filter((e) => e.ph === 'i' && /^(compat_)?syscall_entry_|^sys_/.test(e.name)), (e) => e.name.replace(/^syscall_entry_|^sys_/, '').replace(/^compat_syscall_entry_/, 'compat_'));
  const pairs = new Map(report.syscalls.bySyscall.filter((s) => s.latency.count > 0).map((s) => [s.name, s.latency.count]));
  assert.deepEqual(slices, pairs, 'slices per syscall = the analysis latencies per syscall');
  for (const s of report.syscalls.bySyscall) {
    assert.equal((slices.get(s.name) ?? 0) + (openEntries.get(s.name) ?? 0), s.count, `${s.name}: slices + open entries = calls`);
  }
}

for (const name of CORPUS_TRACES) {
  test(`corpus ${name}: slices match babeltrace2's pairs and switches, never overlap, and the analysis's counts`, async () => {
    const dir = join(CORPUS, name);
    const out = await perfettoOf(dir);
    const { ref } = checkAgainstBabeltrace(dir, out);
    assert.ok(ref.lines > 1000);
    await checkAgainstAnalysis(dir, out);
  });
}

test('our trace: pids, tids and names of the slices are those of the events', async () => {
  const work = mkdtempSync(join(tmpdir(), 'bt-perfetto-'));
  try {
    const kernel = join(work, 'kernel');
    await convertCaptureToCtf({
      captureDir: FIXTURE,
      outDir: kernel,
      env: { hostname: 'fixture-host', kernelRelease: '6.18.44', kernelVersion: '#1 SMP', tracerName: 'benchmark-tracer', tracerVersion: '0.1.0' },
    });
    const out = await perfettoOf(kernel);
    const { ref, syscalls } = checkAgainstBabeltrace(kernel, out);
    await checkAgainstAnalysis(kernel, out);
    assert.ok(syscalls.length > 100);
    for (const slice of syscalls) {
      assert.ok(ref.threadsOf.get(slice.name)?.has(`${slice.pid}/${slice.tid}`), `${slice.name} of ${slice.pid}/${slice.tid} is in the text`);
    }
    const threadNames = out.events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid < PID_MAX_LIMIT);
    assert.ok(threadNames.length > 0);
    for (const m of threadNames) assert.ok(ref.namesOf.get(m.tid)?.has(String(m.args.name)), `thread ${m.tid} named ${String(m.args.name)}`);
    const named = new Set(threadNames.map((m) => String(m.args.name)));
    for (const command of ['sh', 'ls', 'dd', 'sort']) assert.ok(named.has(command), `a thread named ${command}`);

    const file = join(work, 'trace.json');
    const cli = await runCli(['convert', kernel, '--to', 'perfetto', '-o', file]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(readFileSync(file, 'utf8'), out.text, 'the CLI writes the same document');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a big trace is written as it is read, not built whole', async () => {
  const out = await perfettoOf(join(CORPUS, 'lttng-kernel/tc-many-threads'));
  assert.ok(out.text.length > 8 << 20);
  assert.ok(out.writes >= Math.floor(out.text.length / (2 << 20)), `${out.writes} writes for ${out.text.length} bytes`);
});

test('microseconds keep every nanosecond, as Perfetto reads them back (llround(us * 1000))', () => {
  for (const value of [0, 1, 999, 1000, 1001, 123_456_789, 9_007_199_254_740]) {
    const text = micros(value);
    assert.match(text, /^\d+(\.\d{3})?$/);
    assert.equal(Math.round(Number(text) * 1000), value);
  }
});
