// End to end, as root, against the real kernel: the CLI records through
// tracefs, and babeltrace2 (the reference reader) reads what it wrote.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { babeltraceEvents, CLI, ftraceDetails, onlyRun, runCli, tempOutputDir } from './helpers/cli.js';
import { babeltrace } from './helpers/babeltrace.js';
import { recordDdAgainstStrace } from './helpers/strace.js';
import { assertOnlyTreeTraced } from './helpers/tree-scope.js';
import { freePort } from '../src/util/ports.js';
import { readStat } from '../src/util/procfs.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

const TRACEFS = '/sys/kernel/tracing';

function ourInstances(): string[] {
  return existsSync(join(TRACEFS, 'instances'))
    ? readdirSync(join(TRACEFS, 'instances')).filter((n) => n.startsWith('benchmark-tracer-'))
    : [];
}


testNeeding(ROOT)('dd: read and write counts equal strace -f -c, every entry has its exit, babeltrace2 agrees', async () => {
  const { output, dir } = await recordDdAgainstStrace(20000);
  assert.equal(readlinkSync(join(output, 'latest')), dir.split('/').pop());
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT)('children forked and exec-ed later are traced; an unrelated busy process is not', async () => {
  const unrelated = spawn('/bin/sh', ['-c', 'while :; do cat /proc/self/stat >/dev/null; done'], { stdio: 'ignore' });
  try {
    const output = tempOutputDir();
    const result = await runCli(['--custom', "sh -c 'for i in 1 2 3; do ls / >/dev/null; done'", '--runs-dir', output]);
    assert.equal(result.code, 0, result.stderr);
    const { dir, metadata } = onlyRun(output);
    const text = await babeltraceEvents(join(dir, 'kernel'));
    assert.equal(text.stderr, '');

    const lsThreads = new Set(text.events.filter((e) => e.procname === 'ls' && e.name.startsWith('syscall_')).map((e) => e.tid));
    assert.equal(lsThreads.size, 3, 'three ls children, each with its syscalls');
    assert.equal(text.events.filter((e) => e.name === 'sched_process_exec' && e.payload.includes('/ls"')).length, 3);

    assertOnlyTreeTraced(text.events, metadata.scope.root_pids[0]!, unrelated.pid!);
    rmSync(output, { recursive: true, force: true });
  } finally {
    unrelated.kill('SIGKILL');
  }
});

testNeeding(ROOT)('system-wide: other processes are recorded, the tracer itself never', async () => {
  const output = tempOutputDir();
  const child = spawn(process.execPath, [CLI, '--system-wide', '--custom', 'sleep 1', '--events', 'syscalls:*,sched:sched_switch', '--runs-dir', output], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 0, stderr);
  const { dir } = onlyRun(output);
  const text = await babeltraceEvents(join(dir, 'kernel'));
  assert.equal(text.stderr, '');
  assert.ok(text.events.some((e) => e.procname === 'sleep'), 'the command is recorded');
  // The kernel's pid filter keeps a context switch when either side is
  // recorded, so the tracer may appear as the task switched out; nothing
  // else of it may be there.
  const ofTracer = text.events.filter((e) => e.pid === child.pid);
  assert.deepEqual(ofTracer.filter((e) => e.name !== 'sched_switch').map((e) => e.name), [], 'no event of the tracer process');
  for (const e of ofTracer) assert.doesNotMatch(e.payload, new RegExp(`next_tid = (${child.pid})\\b`));
  rmSync(output, { recursive: true, force: true });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  testNeeding(ROOT)(`${signal} mid-run: no tracefs instance, no child left, metadata says interrupted, trace kept`, async () => {
    const output = tempOutputDir();
    const before = new Set(ourInstances());
    const child = spawn(process.execPath, [CLI, '--custom', 'sleep 60', '--runs-dir', output], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 20_000;
    while (!ourInstances().some((n) => n.startsWith(`benchmark-tracer-${child.pid}-`) && !before.has(n))) {
      assert.ok(Date.now() < deadline, 'the run never created its tracefs instance');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 130, stderr);
    assert.deepEqual(ourInstances().filter((n) => n.startsWith(`benchmark-tracer-${child.pid}-`)), []);
    const { dir, metadata } = onlyRun(output);
    assert.equal(metadata.interrupted, signal);
    assert.equal(metadata.success, false);
    const sleeper = metadata.scope.root_pids[0]!;
    assert.equal(existsSync(`/proc/${sleeper}`), false, 'the traced command is gone');
    assert.ok(existsSync(join(dir, 'kernel', 'metadata')), 'what was recorded is kept');
    assert.equal((await babeltraceEvents(join(dir, 'kernel'))).code, 0);
    rmSync(output, { recursive: true, force: true });
  });
}

testNeeding(ROOT)('a stale instance of a killed run is removed by the next run; a live run\'s is not', async () => {
  // An owner pid that cannot be alive: above pid_max.
  const stale = join(TRACEFS, 'instances', 'benchmark-tracer-99999999-stale1');
  // A live owner (this test process, whose command line does not say benchmark-tracer) with its start time...
  const live = join(TRACEFS, 'instances', `benchmark-tracer-${process.pid}-${readStat(process.pid)!.startTicks}-live1`);
  // ...and the same pid with another start time: a pid reused since the run that made it.
  const reused = join(TRACEFS, 'instances', `benchmark-tracer-${process.pid}-1-reused1`);
  for (const dir of [stale, live, reused]) spawnSync('mkdir', [dir]);
  try {
    assert.ok(existsSync(stale) && existsSync(live) && existsSync(reused));
    const output = tempOutputDir();
    const result = await runCli(['--custom', 'true', '--runs-dir', output, '--events', 'sched:sched_switch']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(stale), false, 'dead owner: removed');
    assert.equal(existsSync(reused), false, 'reused pid: removed');
    assert.equal(existsSync(live), true, 'a live run keeps its instance');
    rmSync(output, { recursive: true, force: true });
  } finally {
    for (const dir of [stale, live, reused]) spawnSync('rmdir', [dir]);
  }
});

testNeeding(ROOT)('--no-user-args: no bpftrace, paths stay the pointers the tracepoints record, and metadata.json says so', async () => {
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'cat /etc/hostname', '--events', 'syscalls:sys_enter_openat', '--no-user-args', '--runs-dir', output]);
  assert.equal(result.code, 0, result.stderr);
  const { dir, metadata } = onlyRun(output);
  const status = ftraceDetails(metadata).user_arguments!;
  assert.equal(status.recorded, false);
  assert.match(status.reason, /--no-user-args/);
  const opens = (await babeltraceEvents(join(dir, 'kernel'), (e) => e.name === 'syscall_entry_openat')).events;
  assert.ok(opens.length > 0 && opens.every((e) => /filename = 0x[0-9A-F]+,/.test(e.payload)), opens[0]?.payload);
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT, tool('bpftrace', 'bpftrace'))('open paths are in the trace as strings, read by bpftrace (at the exits on x86_64, where every path is read)', async () => {
  const output = tempOutputDir();
  const scratch = mkdtempSync(join(tmpdir(), 'bt-paths-'));
  const file = join(scratch, 'written file.bin');
  const result = await runCli([
    // cat opens the file three times in a row: bpftrace prints the path once, the trace has it three times.
    '--custom', `sh -c 'dd if=/dev/zero of="${file}" bs=1000 count=7 2>/dev/null; cat "${file}" "${file}" "${file}" > /dev/null'`,
    '--events', 'syscalls:sys_enter_openat,syscalls:sys_exit_openat,syscalls:sys_enter_close',
    '--runs-dir', output,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const { dir, metadata } = onlyRun(output);
  const paths = ftraceDetails(metadata).user_arguments!;
  assert.equal(paths.recorded, true, JSON.stringify(paths));
  const opens = (await babeltraceEvents(join(dir, 'kernel'), (e) => e.name === 'syscall_entry_openat')).events;
  assert.ok(opens.length > 5, `${opens.length} openat entries`);
  assert.equal(paths.matched, opens.length, 'every openat entry found its bpftrace record');
  const byProgram = (name: string) => opens.filter((e) => e.procname === name).map((e) => /filename = "([^"]*)"/.exec(e.payload)?.[1]);
  assert.ok(byProgram('dd').includes(file), `dd opened ${byProgram('dd').join(', ')}`);
  assert.equal(byProgram('cat').filter((path) => path === file).length, 3, `cat opened ${byProgram('cat').join(', ')}`);
  assert.ok((paths.repeated ?? 0) >= 2, `cat's second and third opens had no line of their own: ${JSON.stringify(paths)}`);
  const unread = opens.filter((e) => e.payload.includes('filename = "(not read)"')).length;
  assert.equal(unread, paths.unread);
  // At the exit the kernel has just read the string: it is paged in. At the entry it may not be yet: rare, and said so.
  if (process.arch === 'x64') assert.equal(unread, 0, `${unread} of ${opens.length} paths not read at the exits`);
  else assert.ok(unread <= opens.length / 10, `${unread} of ${opens.length} paths not read`);
  assert.match(paths.reason, process.arch === 'x64' ? /at the syscalls' exits/ : /at the syscall tracepoints/);
  assert.ok(opens.every((e) => /filename = "(\/|\(not read\)")/.test(e.payload)), 'every path is absolute here (dynamic loader, locale, the file)');
  rmSync(output, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

testNeeding(ROOT, tool('redis-server', 'redis-server'))('--workload waits until the command listens, runs untraced, and ends the run', async () => {
  const port = await freePort();
  const output = tempOutputDir();
  const began = Date.now();
  const result = await runCli([
    '--custom', `redis-server --port ${port} --bind 127.0.0.1 --save ''`,
    '--workload', `redis-cli -p ${port} SET benchmark-tracer ok`,
    '--duration', '60',
    '--events', 'syscalls:*',
    '--runs-dir', output,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^OK$/m, "the workload's output is shown");
  const { dir, metadata } = onlyRun(output);
  assert.ok((metadata.execution_time ?? 60) < 30, 'the run ended with the workload, not at --duration');
  // Not a timing claim: the CLI must not sit out the 60 s --duration once the workload is done.
  assert.ok(Date.now() - began < 45_000, `the CLI exited ${Date.now() - began} ms after it started, waiting for --duration`);
  const workload = metadata.commands.find((c) => c.role === 'benchmark');
  assert.equal(workload?.return_code, 0);
  assert.equal(workload?.traced, false);
  assert.deepEqual(
    metadata.phases.map((p) => p.name),
    ['prepare', 'launch', 'ready', 'workload', 'stop', 'write'],
    'every phase of the run, in order',
  );
  assert.deepEqual(metadata.phases.at(-1)?.steps?.map((s) => s.name), ['ctf', 'text'], 'the writing: the CTF, then its text');
  const phaseSeconds = metadata.phases.reduce((sum, p) => sum + p.seconds, 0);
  assert.ok(phaseSeconds > (metadata.execution_time ?? 0) - 0.5, `the phases (${phaseSeconds} s) cover the recording (${metadata.execution_time} s) and the writing after it`);
  assert.ok(workload!.seconds <= metadata.phases.find((p) => p.name === 'workload')!.seconds + 0.01, 'the workload ran within its phase');
  const text = await babeltraceEvents(join(dir, 'kernel'), (e) => e.name.startsWith('syscall_entry_'));
  assert.ok(text.events.some((e) => e.procname === 'redis-server' && /^syscall_entry_accept4?$/.test(e.name)), 'the server accepted the client');
  assert.equal(text.events.filter((e) => e.procname === 'redis-cli').length, 0, 'the workload is not traced');
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT)('stopping waits for the whole process group: a child still shutting down after its shell died is recorded to its exit', async () => {
  const output = tempOutputDir();
  // SIGTERM kills the outer shell at once; the subshell (same group, orphaned
  // out of the tree) takes 0.5 s to end. The run must not stop recording first.
  const command = `sh -c '(trap "sleep 0.5; exit 0" TERM; while :; do sleep 0.05; done) & wait'`;
  const result = await runCli(['--custom', command, '--duration', '1', '--runs-dir', output, '--events', 'syscalls:*,sched:sched_process_exit']);
  assert.equal(result.code, 0, result.stderr);
  const { dir, metadata } = onlyRun(output);
  const text = await babeltraceEvents(join(dir, 'kernel'));
  assert.equal(text.stderr, '');
  const root = metadata.scope.root_pids[0]!;
  const subshellExits = text.events.filter((e) => e.name === 'syscall_entry_exit_group' && e.procname === 'sh' && e.pid !== root);
  assert.equal(subshellExits.length, 1, 'the subshell\'s exit after its 0.5 s trap handler is in the trace');
  assert.ok(text.events.some((e) => e.name === 'sched_process_exit' && e.procname === 'sleep'), 'the sleep of the trap handler too');
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT, tool('babeltrace2', 'babeltrace2'))('event times are CLOCK_MONOTONIC: syscalls fall between the traced process\'s own readings of it, on whichever trace clock the run chose', async () => {
  const output = tempOutputDir();
  const work = mkdtempSync(join(tmpdir(), 'bt-clock-'));
  // Reads of /dev/zero recognisable by their byte counts, spread over 2.5 s, across the recorder's clock samples.
  const script = join(work, 'reads.mjs');
  writeFileSync(
    script,
    `import { openSync, readSync, writeFileSync } from 'node:fs';
const fd = openSync('/dev/zero', 'r');
const buffer = Buffer.alloc(${READ_BYTES + 100});
const readings = [];
for (let i = 0; i < 25; i++) {
  const before = process.hrtime.bigint();
  readSync(fd, buffer, 0, ${READ_BYTES} + i, null);
  readings.push([String(before), String(process.hrtime.bigint())]);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
writeFileSync(process.argv[2], JSON.stringify(readings));
`,
  );
  try {
    const readingsFile = join(work, 'readings.json');
    const result = await runCli(['--custom', `${process.execPath} ${script} ${readingsFile}`, '--events', 'syscalls:sys_enter_read,syscalls:sys_exit_read', '--runs-dir', output]);
    assert.equal(result.code, 0, result.stderr);
    const { dir, metadata } = onlyRun(output);
    const details = ftraceDetails(metadata);
    const readings = (JSON.parse(readFileSync(readingsFile, 'utf8')) as [string, string][]).map(([a, b]) => [BigInt(a), BigInt(b)] as const);
    const run = babeltrace(join(dir, 'kernel'), ['--clock-cycles']);
    assert.equal(run.stderr, '');
    // Each read: its entry's time, then its exit's (the next exit of the thread).
    const calls = new Map<number, { entry: bigint; exit?: bigint }>();
    let open: { entry: bigint; exit?: bigint } | null = null;
    for (const line of run.lines) {
      const entry = /^\[(\d+)\].*syscall_entry_read: .*count = (\d+) \}/.exec(line);
      const index = entry ? Number(entry[2]) - READ_BYTES : -1;
      if (entry && index >= 0 && index < readings.length) calls.set(index, (open = { entry: BigInt(entry[1]!) }));
      const exit = /^\[(\d+)\].*syscall_exit_read: .*ret = (\d+)/.exec(line);
      if (exit && open && Number(exit[2]) >= READ_BYTES) {
        open.exit = BigInt(exit[1]!);
        open = null;
      }
    }
    assert.equal(calls.size, readings.length, 'every read is in the trace');
    // The `local` clock is mapped through samples good to about a microsecond.
    const slack = details.trace_clock === 'local' ? 2000n : 0n;
    let closest: bigint | null = null;
    readings.forEach(([before, after], i) => {
      const { entry, exit } = calls.get(i)!;
      assert.ok(exit !== undefined, `read #${i} has its exit`);
      for (const gap of [entry - before, after - exit]) if (closest === null || gap < closest) closest = gap;
      assert.ok(entry >= before - slack && exit <= after + slack, `read #${i} from ${entry} to ${exit} ns, read between ${before} and ${after}`);
    });
    console.log(`trace clock ${details.trace_clock}${details.trace_clock_reason ? ` (${details.trace_clock_reason})` : ''}: the closest event was ${closest} ns inside its bracket`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(output, { recursive: true, force: true });
  }
});

/** Above anything else the traced node process reads at once. */
const READ_BYTES = 777000;
