import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { convertCaptureToCtf, type ConvertResult } from '../src/backends/ftrace/convert.js';
import { CAPTURE_MANIFEST, pagesFileName, type CaptureManifest } from '../src/backends/ftrace/capture-files.js';
import { babeltrace, type BabeltraceRun } from './helpers/babeltrace.js';
import { buildPage, encodeRecord, writeCapture, type PageItem } from './helpers/pages.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/captures/sh-ls-dd-sort/', import.meta.url));
const FIXTURE_MANIFEST = JSON.parse(readFileSync(join(FIXTURE, CAPTURE_MANIFEST), 'utf8')) as CaptureManifest;
const ENV = { hostname: 'fixture-host', kernelRelease: '6.18.44', kernelVersion: '#1 SMP', tracerName: 'benchmark-tracer', tracerVersion: '0.1.0' };
const CLONE_THREAD = 0x10000;

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'convert-'));
  dirs.push(dir);
  return dir;
}

interface Line {
  date: string;
  time: string;
  name: string;
  cpu: number;
  pid: number;
  tid: number;
  procname: string;
  fields: string;
}

const LINE = /^\[(?:(\d{4}-\d\d-\d\d) )?([\d:.]+)\] \([^)]+\) \S+ (\S+): \{ cpu_id = (\d+) \}, \{ pid = (-?\d+), tid = (-?\d+), procname = "([^"]*)" \}, \{ ?(.*?) ?\}$/;

function parseLines(run: BabeltraceRun): Line[] {
  return run.lines.map((text) => {
    const m = LINE.exec(text);
    assert.ok(m, `unexpected babeltrace2 line: ${text}`);
    return { date: m[1] ?? '', time: m[2]!, name: m[3]!, cpu: Number(m[4]), pid: Number(m[5]), tid: Number(m[6]), procname: m[7]!, fields: m[8]! };
  });
}

/** The value of one field in babeltrace2's text (strings without their quotes). */
function field(line: Line, key: string): string | undefined {
  const m = new RegExp(`(?:^|, )${key} = ("[^"]*"|[^,]+)`).exec(line.fields);
  return m ? m[1]!.replace(/^"(.*)"$/, '$1') : undefined;
}

async function convert(captureDir: string, outDir: string, onProgress?: (p: { events: number; bytes: number }) => void): Promise<ConvertResult> {
  return convertCaptureToCtf({ captureDir, outDir, env: ENV, onProgress });
}

describe('the recorded fixture', () => {
  let result: ConvertResult;
  let run: BabeltraceRun;
  let lines: Line[];
  let outDir: string;
  const progress: Array<{ events: number; bytes: number }> = [];

  before(async () => {
    outDir = join(tempDir(), 'session-name', 'kernel');
    result = await convert(FIXTURE, outDir, (p) => progress.push(p));
    run = babeltrace(outDir, ['--clock-gmt', '--clock-date']);
    lines = parseLines(run);
  });

  test('babeltrace2 reads it without a word on stderr and prints every event', () => {
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.lines.length, result.eventsTotal);
    assert.equal(
      Object.values(result.eventCounts).reduce((a, b) => a + b, 0),
      result.eventsTotal,
    );
    for (const [name, count] of Object.entries(result.eventCounts)) {
      assert.equal(lines.filter((l) => l.name === name).length, count, name);
    }
  });

  test('the result describes the files written', () => {
    assert.deepEqual(result.streams, ['channel0_0', 'channel0_1']);
    for (const file of [...result.streams, 'metadata']) assert.ok(existsSync(join(outDir, file)), file);
    assert.deepEqual(result.lostPerCpu, { 0: 0, 1: 0 });
    assert.equal(result.skippedRecords, 0);
    assert.equal(result.firstTimestampNs, FIXTURE_MANIFEST.statedumps[0]!.timestampNs);
    assert.ok(BigInt(result.lastTimestampNs!) > BigInt(result.firstTimestampNs!));
    assert.deepEqual(progress.at(-1), { events: result.eventsTotal, bytes: result.bytesWritten });
  });

  test('metadata: LTTng kernel environment and a monotonic clock correlated by boot id', () => {
    const metadata = readFileSync(join(outDir, 'metadata'), 'utf8');
    assert.ok(metadata.startsWith('/* CTF 1.8 */'));
    for (const line of [
      'hostname = "fixture-host";',
      'domain = "kernel";',
      'sysname = "Linux";',
      'kernel_release = "6.18.44";',
      'kernel_version = "#1 SMP";',
      'tracer_name = "benchmark-tracer";',
      'tracer_major = 0;',
      'tracer_minor = 1;',
      'tracer_patchlevel = 0;',
      'trace_buffering_scheme = "global";',
      'trace_name = "session-name";',
      'name = monotonic;',
      `uuid = "${FIXTURE_MANIFEST.bootId}";`,
    ]) {
      assert.ok(metadata.includes(`\t${line}\n`), line);
    }
  });

  test('wall-clock times fall on the day the fixture was recorded', () => {
    const wallNs = BigInt(FIXTURE_MANIFEST.realtimeOffsetNs) + BigInt(FIXTURE_MANIFEST.statedumps[0]!.timestampNs);
    const day = new Date(Number(wallNs / 1_000_000n)).toISOString().slice(0, 10);
    assert.equal(day, '2026-11-26');
    assert.ok(lines.every((l) => l.date === day));
  });

  test('event and field names follow LTTng', () => {
    const names = new Set(lines.map((l) => l.name));
    for (const name of names) {
      assert.match(name, /^(syscall_(entry|exit)_\w+|sched_\w+|task_\w+|lttng_statedump_\w+)$/, name);
    }
    for (const name of ['syscall_entry_read', 'syscall_exit_read', 'syscall_entry_openat', 'sched_switch', 'sched_process_fork', 'task_newtask']) {
      assert.ok(names.has(name), name);
    }
    const first = (name: string) => lines.find((l) => l.name === name)!;
    assert.deepEqual(fieldNames(first('syscall_entry_read')), ['fd', 'buf', 'count']);
    assert.deepEqual(fieldNames(first('syscall_exit_read')), ['ret']);
    assert.deepEqual(fieldNames(first('sched_switch')), ['prev_comm', 'prev_tid', 'prev_prio', 'prev_state', 'next_comm', 'next_tid', 'next_prio']);
    assert.deepEqual(fieldNames(first('sched_wakeup')), ['comm', 'tid', 'prio', 'target_cpu']);
    assert.deepEqual(fieldNames(first('sched_process_fork')), ['parent_comm', 'parent_tid', 'child_comm', 'child_tid']);
    assert.deepEqual(fieldNames(first('sched_process_exec')), ['filename', 'tid', 'old_tid']);
    assert.deepEqual(fieldNames(first('task_newtask')), ['tid', 'comm', 'clone_flags', 'oom_score_adj']);
    // Pointers in hex, int arguments as LTTng's 32-bit ints.
    assert.match(field(first('syscall_entry_read'), 'buf')!, /^0x[0-9A-F]+$/);
    assert.ok(lines.some((l) => l.name === 'syscall_entry_openat' && field(l, 'dfd') === '-100'));
    assert.ok(lines.some((l) => l.name === 'syscall_entry_wait4' && field(l, 'upid') === '-1'));
  });

  test('every syscall entry has its exit, in the same thread', () => {
    const pending = new Map<number, string>();
    const seen = new Set<number>();
    for (const line of lines) {
      const m = /^syscall_(entry|exit)_(\w+)$/.exec(line.name);
      if (!m) continue;
      const [, kind, call] = m;
      const first = !seen.has(line.tid);
      seen.add(line.tid);
      if (kind === 'entry') {
        assert.equal(pending.get(line.tid), undefined, `${line.tid}: ${call} entered while in ${pending.get(line.tid)}`);
        if (call !== 'exit_group') pending.set(line.tid, call!);
      } else if (pending.has(line.tid)) {
        assert.equal(call, pending.get(line.tid), `${line.tid}: exit of ${call} while in ${pending.get(line.tid)}`);
        pending.delete(line.tid);
      } else {
        // A new thread returns from clone without entering it; the shell was in read() when tracing began.
        assert.ok(first && /^(clone3?|read)$/.test(call!), `${line.tid}: exit of ${call} without an entry`);
      }
    }
    assert.deepEqual([...pending], []);
  });

  test('dd read fd 0 and wrote fd 1 exactly 100 times, under its own name', () => {
    const dd = lines.filter((l) => l.procname === 'dd');
    assert.equal(dd.filter((l) => l.name === 'syscall_entry_read' && field(l, 'fd') === '0').length, 100);
    assert.equal(dd.filter((l) => l.name === 'syscall_entry_write' && field(l, 'fd') === '1').length, 100);
    assert.equal(new Set(dd.map((l) => l.tid)).size, 1);
    assert.ok(dd.every((l) => l.pid === l.tid));
  });

  test('each ls is named from its exec on, and was the forked shell before', () => {
    const execs = lines.filter((l) => l.name === 'sched_process_exec' && field(l, 'filename')!.endsWith('/ls'));
    assert.equal(execs.length, 3);
    for (const exec of execs) {
      const own = lines.filter((l) => l.tid === exec.tid);
      const at = own.indexOf(exec);
      assert.equal(exec.procname, 'ls');
      assert.ok(own.slice(at).every((l) => l.procname === 'ls' && l.pid === exec.tid));
      assert.ok(own.slice(0, at).some((l) => l.procname === 'sh'));
    }
  });

  test("sort's second thread belongs to sort's process", () => {
    const newThread = lines.find((l) => l.name === 'task_newtask' && (Number(field(l, 'clone_flags')) & CLONE_THREAD) !== 0);
    assert.ok(newThread, 'no thread created');
    assert.equal(newThread.procname, 'sort');
    const threadTid = Number(field(newThread, 'tid'));
    const threadEvents = lines.filter((l) => l.tid === threadTid);
    assert.ok(threadEvents.length > 10);
    assert.ok(threadEvents.every((l) => l.pid === newThread.pid && l.pid !== threadTid && l.procname === 'sort'));
  });

  test('the context comes from the event itself where it says more', () => {
    for (const line of lines.filter((l) => l.name === 'sched_switch')) {
      assert.equal(line.procname, field(line, 'prev_comm'));
      assert.equal(String(line.tid), field(line, 'prev_tid'));
    }
  });

  test('an LTTng statedump opens the trace, in the first stream', () => {
    const dump = FIXTURE_MANIFEST.statedumps[0]!;
    const count = 2 + dump.tasks.length + dump.fds.length;
    assert.deepEqual(
      lines.slice(0, count).map((l) => [l.name, l.cpu]),
      [
        ['lttng_statedump_start', 0],
        ...dump.tasks.map(() => ['lttng_statedump_process_state', 0]),
        ...dump.fds.map(() => ['lttng_statedump_file_descriptor', 0]),
        ['lttng_statedump_end', 0],
      ],
    );
    const shell = dump.tasks[0]!;
    assert.equal(
      lines[1]!.fields,
      `tid = ${shell.tid}, vtid = ${shell.tid}, pid = ${shell.pid}, vpid = ${shell.pid}, ppid = ${shell.ppid}, vppid = ${shell.ppid}, ` +
        `name = "sh", type = 0, mode = 5, submode = 0, status = 5, ns_level = 0, file_table_address = 0x${shell.pid.toString(16).toUpperCase()}`,
    );
    const devNull = lines.slice(0, count).find((l) => l.name === 'lttng_statedump_file_descriptor' && field(l, 'fd') === '1')!;
    assert.equal(field(devNull, 'filename'), '/dev/null');
    assert.equal(field(devNull, 'flags'), '0100002');
    assert.equal(field(devNull, 'fmode'), '0x3');
    assert.equal(field(devNull, 'pid'), String(shell.pid));
  });
});

describe('lost events', () => {
  test('record counters and RB_MISSED marks become events_discarded, totals as the capture says', async () => {
    const capture = join(tempDir(), 'capture');
    cpSync(FIXTURE, capture, { recursive: true });
    // CPU 1: drains stamped 0, then 7, then 9 lost so far; 10 at the end of the run.
    const cpu1 = rewritePages(join(capture, pagesFileName(1)), (page, i, count) => {
      page.lost = i < count / 3 ? 0 : i < (2 * count) / 3 ? 7 : 9;
    });
    // CPU 0: the kernel marks 3 events lost before one page, with the count stored.
    let marked = false;
    rewritePages(join(capture, pagesFileName(0)), (page, i) => {
      const commit = Number(page.view.getBigUint64(page.start + 8, true));
      if (marked || i < 2 || commit + 16 + 8 > page.size) return;
      page.view.setBigUint64(page.start + 16 + commit, 3n, true);
      page.view.setBigUint64(page.start + 8, BigInt(commit + 2 ** 31 + 2 ** 30), true);
      marked = true;
    });
    assert.ok(marked && cpu1 > 6);
    const manifest = { ...FIXTURE_MANIFEST, lostAtEnd: { 0: 0, 1: 10 } };
    writeFileSync(join(capture, CAPTURE_MANIFEST), JSON.stringify(manifest));

    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    assert.deepEqual(result.lostPerCpu, { 0: 3, 1: 10 });
    const run = babeltrace(outDir);
    assert.equal(run.code, 0);
    assert.equal(run.lines.length, result.eventsTotal);
    const warnings = run.stderr.trim().split('\n');
    const reported = warnings.map((w) => {
      const m = /^WARNING: Tracer discarded (\d+) events between .* within stream "[^"]*channel0_(\d)"/.exec(w);
      assert.ok(m, w);
      return [Number(m[2]), Number(m[1])];
    });
    assert.deepEqual(reported.sort(), [
      [0, 3],
      [1, 3],
      [1, 7],
    ]);
  });
});

describe('built captures', () => {
  const formats = new Map(FIXTURE_MANIFEST.events.map((e) => [e.name, e]));
  const record = (name: string, values: Record<string, number | bigint | string>) => encodeRecord(formats.get(name)!.format, values);
  const data = (delta: number, payload: Uint8Array): PageItem => ({ kind: 'data', delta, payload });
  const base = {
    version: 2 as const,
    headerPage: FIXTURE_MANIFEST.headerPage,
    headerEvent: FIXTURE_MANIFEST.headerEvent,
    events: FIXTURE_MANIFEST.events,
    clock: 'mono',
    realtimeOffsetNs: '1700000000000000000',
    statedumps: [{ label: 'start', timestampNs: '1000000000', tasks: [{ tid: 500, pid: 500, ppid: 1, name: 'server' }], fds: [] }],
    lostAtEnd: {},
  };
  const T0 = 1_000_000_000n;

  test('drain numbers place what a drain counted as lost between its pages and the next drain\'s', async () => {
    const capture = join(tempDir(), 'capture');
    const page = (at: bigint, n: number) =>
      buildPage({ timestamp: at, items: Array.from({ length: n }, (_, i) => data(i === 0 ? 0 : 10, record('sys_enter_close', { common_pid: 500, fd: i }))) });
    const drained = (drain: number, lostSoFar: number, at: bigint, n: number) => ({ page: page(at, n), drain, lostSoFar });
    writeCapture(capture, { ...base, lostAtEnd: { 0: 8 } }, [
      {
        cpu: 0,
        pages: [
          drained(1, 0, T0 + 100n, 2),
          drained(2, 5, T0 + 200n, 2), // 5 lost while the buffer was full after these
          drained(3, 5, T0 + 300n, 2), // the same stamp: only the drain number shows the new pass
          drained(4, 8, T0 + 400n, 1), // 3 more, lost after the last event read
        ],
      },
    ]);
    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    assert.deepEqual(result.lostPerCpu, { 0: 8 });
    const run = babeltrace(outDir, ['--clock-gmt']);
    assert.equal(run.code, 0);
    assert.equal(run.lines.length, result.eventsTotal);
    // T0 is 1 s of uptime: 22:13:21 UTC on the realtime offset's day.
    const ranges = run.stderr
      .trim()
      .split('\n')
      .map((w) => /discarded (\d+) events between \[22:13:21\.(\d+)\] and \[22:13:21\.(\d+)\]/.exec(w)?.slice(1).map(Number));
    assert.deepEqual(ranges, [
      [5, 210, 400],
      [3, 400, 400],
    ]);
  });

  test('a capture on the local clock: times mapped onto CLOCK_MONOTONIC through its samples, drift included, on every CPU', async () => {
    const capture = join(tempDir(), 'capture');
    // local runs 5 ms behind mono at first, 5 ms - 1000 ns a second later (NTP slewing mono).
    const LOCAL_BEHIND = 5_000_000n;
    const sample = (local: bigint, lag: bigint) => ({ localNs: String(local), monoNs: String(local + lag), errorNs: 500, cpu: 0 });
    const L0 = T0 - LOCAL_BEHIND; // local's reading at the origin
    const events = (at: bigint, fds: number[]) => ({
      page: buildPage({ timestamp: at, items: fds.map((fd, i) => data(i === 0 ? 0 : 100, record('sys_enter_close', { common_pid: 500, fd }))) }),
    });
    writeCapture(capture, { ...base, clock: 'local', clockSamples: [sample(L0 + 1_000_000_000n, LOCAL_BEHIND - 1000n), sample(L0, LOCAL_BEHIND)] }, [
      { cpu: 0, pages: [events(L0 + 10n, [1, 2]), events(L0 + 500_000_000n, [3])] },
      { cpu: 1, pages: [events(L0 + 200n, [4]), events(L0 + 2_000_000_000n, [5])] },
    ]);
    const outDir = join(tempDir(), 'kernel');
    await convert(capture, outDir);
    const run = babeltrace(outDir, ['--clock-cycles']);
    assert.equal(run.stderr, '');
    const times = run.lines.flatMap((line) => {
      const match = /^\[(\d+)\].*syscall_entry_close: .*\{ fd = (\d+) \}/.exec(line);
      return match ? [[Number(match[2]), BigInt(match[1]!) - T0]] : [];
    });
    assert.deepEqual(times, [
      [1, 10n],
      [2, 110n],
      [4, 200n],
      [3, 500_000_000n - 500n], // halfway between the samples: half the drift
      [5, 2_000_000_000n - 1000n], // after the last sample: its offset
    ]);
  });

  test('threads and names follow fork, exec and rename across CPUs, in time order', async () => {
    const capture = join(tempDir(), 'capture');
    writeCapture(capture, base, [
      {
        cpu: 0,
        pages: [
          {
            page: buildPage({
              timestamp: T0 + 100n,
              items: [
                data(0, record('task_newtask', { common_pid: 500, pid: 501, comm: 'server', clone_flags: CLONE_THREAD | 0x100 })),
                data(10, record('task_newtask', { common_pid: 500, pid: 502, comm: 'server', clone_flags: 0x11 })),
                data(400, record('sys_enter_close', { common_pid: 500, fd: 3 })),
              ],
            }),
          },
        ],
      },
      {
        cpu: 1,
        pages: [
          {
            page: buildPage({
              timestamp: T0 - 50n,
              items: [
                // Before the statedump and before the fork: 501 is not known yet.
                data(0, record('sys_enter_read', { common_pid: 501, fd: 1, buf: 0x1000, count: 8 })),
                data(170, record('sys_enter_read', { common_pid: 501, fd: 2, buf: 0x1000, count: 8 })),
                data(50, record('sys_enter_write', { common_pid: 502, fd: 1, buf: 0x2000, count: 1 })),
                data(50, record('sched_process_exec', { common_pid: 502, filename: '/usr/local/bin/a-very-long-program-name', pid: 502, old_pid: 502 })),
                data(50, record('task_rename', { common_pid: 501, pid: 501, oldcomm: 'server', newcomm: 'worker' })),
                data(10, record('sys_exit_read', { common_pid: 501, ret: -11 })),
                data(10, record('sys_enter_read', { common_pid: 777, fd: 0, buf: 0, count: 0 })),
                data(10, record('sched_switch', { common_pid: 0, prev_comm: 'swapper/1', prev_pid: 0, prev_prio: 120, prev_state: 0, next_comm: 'late', next_pid: 778, next_prio: 120 })),
                data(10, record('sys_enter_read', { common_pid: 778, fd: 0, buf: 0, count: 0 })),
              ],
            }),
          },
        ],
      },
    ]);
    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    const run = babeltrace(outDir);
    assert.equal(run.stderr, '');
    assert.equal(run.lines.length, result.eventsTotal);
    assert.equal(result.firstTimestampNs, String(T0 - 50n));
    assert.deepEqual(
      parseLines(run).map((l) => [l.name, l.cpu, l.pid, l.tid, l.procname]),
      [
        ['syscall_entry_read', 1, 501, 501, ''],
        ['lttng_statedump_start', 0, 0, 0, 'benchmark-trace'],
        ['lttng_statedump_process_state', 0, 0, 0, 'benchmark-trace'],
        ['lttng_statedump_end', 0, 0, 0, 'benchmark-trace'],
        ['task_newtask', 0, 500, 500, 'server'],
        ['task_newtask', 0, 500, 500, 'server'],
        ['syscall_entry_read', 1, 500, 501, 'server'],
        ['syscall_entry_write', 1, 502, 502, 'server'],
        ['sched_process_exec', 1, 502, 502, 'a-very-long-pro'],
        ['task_rename', 1, 500, 501, 'server'],
        ['syscall_exit_read', 1, 500, 501, 'worker'],
        ['syscall_entry_read', 1, 777, 777, ''],
        ['sched_switch', 1, 0, 0, 'swapper/1'],
        ['syscall_entry_read', 1, 778, 778, 'late'],
        ['syscall_entry_close', 0, 500, 500, 'server'],
      ],
    );
  });

  test('several statedumps, each at its own time among the events, with sockets, naming the threads they list', async () => {
    const capture = join(tempDir(), 'capture');
    const socket = { protocol: 'tcp' as const, state: 'LISTEN', local: '127.0.0.1:6379', peer: '' };
    const statedumps = [
      base.statedumps[0]!,
      {
        label: 'ready',
        timestampNs: String(T0 + 200n),
        tasks: [
          { tid: 500, pid: 500, ppid: 1, name: 'server' },
          // A thread the recording never saw start: the dump names it.
          { tid: 503, pid: 500, ppid: 1, name: 'io-thread' },
        ],
        fds: [
          { pid: 500, fd: 3, path: '/var/log/server.log', flags: 0o2101 },
          { pid: 500, fd: 4, path: 'socket:[4242]', flags: 0o2, socket },
        ],
      },
      { label: 'end', timestampNs: String(T0 + 400n), tasks: [], fds: [] },
    ];
    writeCapture(capture, { ...base, statedumps }, [
      {
        cpu: 0,
        pages: [
          {
            page: buildPage({
              timestamp: T0 + 100n,
              items: [
                data(0, record('sys_enter_close', { common_pid: 503, fd: 1 })),
                data(100, record('sys_enter_close', { common_pid: 503, fd: 2 })),
                data(100, record('sys_enter_close', { common_pid: 500, fd: 3 })),
                data(100, record('sys_enter_close', { common_pid: 500, fd: 4 })),
              ],
            }),
          },
        ],
      },
      {
        cpu: 1,
        pages: [{ page: buildPage({ timestamp: T0 + 250n, items: [data(0, record('sys_enter_close', { common_pid: 503, fd: 5 }))] }) }],
      },
    ]);
    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    const run = babeltrace(outDir);
    assert.equal(run.stderr, '');
    assert.equal(run.lines.length, result.eventsTotal);
    const lines = parseLines(run);
    assert.deepEqual(
      lines.map((l) => [l.name, l.cpu, l.tid, l.procname, field(l, 'fd') ?? '']),
      [
        ['lttng_statedump_start', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_process_state', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_end', 0, 0, 'benchmark-trace', ''],
        ['syscall_entry_close', 0, 503, '', '1'],
        // At T0 + 200: the dump comes after every event before it, and before the event at its time.
        ['lttng_statedump_start', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_process_state', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_process_state', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_file_descriptor', 0, 0, 'benchmark-trace', '3'],
        ['lttng_statedump_file_descriptor', 0, 0, 'benchmark-trace', '4'],
        ['lttng_statedump_socket', 0, 0, 'benchmark-trace', '4'],
        ['lttng_statedump_end', 0, 0, 'benchmark-trace', ''],
        ['syscall_entry_close', 0, 503, 'io-thread', '2'],
        ['syscall_entry_close', 1, 503, 'io-thread', '5'],
        ['syscall_entry_close', 0, 500, 'server', '3'],
        ['lttng_statedump_start', 0, 0, 'benchmark-trace', ''],
        ['lttng_statedump_end', 0, 0, 'benchmark-trace', ''],
        ['syscall_entry_close', 0, 500, 'server', '4'],
      ],
    );
    const times = lines.map((l) => l.time);
    assert.deepEqual([...times].sort(), times, 'babeltrace2 prints the events in time order');
    const socketLine = lines.find((l) => l.name === 'lttng_statedump_socket')!;
    assert.equal(socketLine.fields, 'pid = 500, fd = 4, inode = 4242, protocol = "tcp", state = "LISTEN", local = "127.0.0.1:6379", peer = "*"');
    const ready = lines.filter((l) => l.name === 'lttng_statedump_file_descriptor');
    assert.equal(field(ready[0]!, 'filename'), '/var/log/server.log');
    assert.equal(field(ready[1]!, 'filename'), 'socket:[4242]');
    assert.equal(result.eventCounts.lttng_statedump_start, 3);
    assert.equal(result.eventCounts.lttng_statedump_socket, 1);
  });

  test('large sub-buffers, long records, records of no known class, corrupt or cut short, a CPU without pages', async () => {
    const capture = join(tempDir(), 'capture');
    const longName = `/${'d'.repeat(300)}/tool`;
    const unknown = record('sys_enter_close', { common_pid: 500, fd: 1 });
    new DataView(unknown.buffer).setUint16(0, 9999, true);
    // More events than a 4 KiB page holds, and than the decoder's first columns.
    const items = Array.from({ length: 550 }, (_, i) => data(1000, record('sys_enter_close', { common_pid: 500, fd: i })));
    writeCapture(capture, base, [
      { cpu: 0, pages: [] },
      {
        cpu: 3,
        pages: [
          { page: buildPage({ timestamp: T0 + 1n, pageSize: 16384, items }) },
          {
            page: buildPage({
              timestamp: T0 + 10_000_000n,
              pageSize: 16384,
              items: [data(0, unknown), data(5, record('sched_process_exec', { common_pid: 500, filename: longName, pid: 500, old_pid: 500 }))],
            }),
          },
          // A corrupt page: its timestamp is centuries away from the rest.
          { page: buildPage({ timestamp: 2n ** 62n, items: [data(0, unknown), data(1, unknown)] }) },
        ],
      },
    ]);
    // A capture cut short in the middle of a record.
    appendFileSync(join(capture, pagesFileName(3)), new Uint8Array(100).fill(7));
    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    assert.equal(result.skippedRecords, 1 + 2 + 1);
    assert.deepEqual(result.streams, ['channel0_0', 'channel0_3']);
    const run = babeltrace(outDir);
    assert.equal(run.stderr, '');
    assert.equal(run.lines.length, result.eventsTotal);
    const lines = parseLines(run);
    const closes = lines.filter((l) => l.name === 'syscall_entry_close');
    assert.deepEqual(closes.map((l) => field(l, 'fd')), items.map((_, i) => String(i)));
    const exec = lines.find((l) => l.name === 'sched_process_exec')!;
    assert.equal(field(exec, 'filename'), longName);
    assert.equal(exec.procname, 'tool');
    assert.equal(exec.cpu, 3);
  });

  test('an event name two subsystems share gets the subsystem prefix', async () => {
    const capture = join(tempDir(), 'capture');
    const irq = formats.get('irq_handler_entry')!;
    const copy = { ...irq, system: 'other', id: 4242, format: irq.format.replace(/^ID: \d+$/m, 'ID: 4242') };
    writeCapture(capture, { ...base, events: [irq, copy] }, [
      {
        cpu: 0,
        pages: [
          {
            page: buildPage({
              timestamp: T0 + 1n,
              items: [
                data(0, record('irq_handler_entry', { common_pid: 500, irq: 1, name: 'timer' })),
                data(1, encodeRecord(copy.format, { common_pid: 500, irq: 2, name: 'other' })),
              ],
            }),
          },
        ],
      },
    ]);
    const outDir = join(tempDir(), 'kernel');
    const result = await convert(capture, outDir);
    const run = babeltrace(outDir);
    assert.equal(run.stderr, '');
    assert.deepEqual(
      parseLines(run).slice(-2).map((l) => [l.name, l.fields]),
      [
        ['irq_irq_handler_entry', 'irq = 1, name = "timer"'],
        ['other_irq_handler_entry', 'irq = 2, name = "other"'],
      ],
    );
    assert.equal(result.eventCounts['irq_irq_handler_entry'], 1);
  });
});

function fieldNames(line: Line): string[] {
  return [...line.fields.matchAll(/(?:^|, )(\w+) = /g)].map((m) => m[1]!);
}

interface PageRef {
  view: DataView;
  start: number;
  size: number;
  lost: number;
}

/** Rewrites a pages file in place, one page record at a time; returns the number of pages. */
function rewritePages(path: string, edit: (page: PageRef, index: number, count: number) => void): number {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer);
  const starts: number[] = [];
  for (let at = 0; at < bytes.length; at += 16 + view.getUint32(at, true)) starts.push(at);
  starts.forEach((at, i) => {
    const page: PageRef = { view, start: at + 16, size: view.getUint32(at, true), lost: Number(view.getBigUint64(at + 8, true)) };
    edit(page, i, starts.length);
    view.setBigUint64(at + 8, BigInt(page.lost), true);
  });
  writeFileSync(path, bytes);
  return starts.length;
}
