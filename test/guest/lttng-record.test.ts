// The LTTng kernel backend recording for real (lttng-modules in the guest):
// the same checks as the tracefs recorder's end-to-end tests, plus what only
// LTTng can get wrong: its own session daemon, its tracker, its discards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { babeltraceEvents, CLI, lttngDetails, onlyRun, runCli, tempOutputDir, type TextEvent } from '../helpers/cli.js';
import { recordDdAgainstStrace } from '../helpers/strace.js';
import { assertOnlyTreeTraced } from '../helpers/tree-scope.js';
import { processesNamed, requireLttngKernelTracer } from './lttng-guest.js';

const LTTNG = ['--backend', 'lttng'];
/** x86-64: clone, fork, vfork, clone3. */
const FORK_SYSCALL_NUMBERS = new Set([56, 57, 58, 435]);
const payloadNumber = (event: TextEvent, field: string) => Number(new RegExp(`\\b${field} = (-?\\d+)`).exec(event.payload)?.[1]);

test('doctor says the LTTng kernel tracer is usable; --backend auto records with it and says why', async () => {
  await requireLttngKernelTracer();
  const doctor = await runCli(['doctor']);
  assert.match(doctor.stdout, /^ok\s+LTTng kernel tracer\s+lttng-modules is (installed for \S+|loaded)/m, doctor.stdout);
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'true', '--runs-dir', output]);
  assert.equal(result.code, 0, result.stderr);
  const { metadata } = onlyRun(output);
  assert.equal(metadata.backend?.name, 'lttng');
  assert.match(metadata.backend?.reason ?? '', /^auto: lttng-modules is (installed for \S+; the session daemon loads it|loaded)$/);
  rmSync(output, { recursive: true, force: true });
});

test('lttng, dd: read and write counts equal strace -f -c, every entry has its exit, babeltrace2 agrees', async () => {
  await requireLttngKernelTracer();
  const { output, metadata } = await recordDdAgainstStrace(3000, LTTNG);
  assert.equal(metadata.backend?.name, 'lttng');
  rmSync(output, { recursive: true, force: true });
});

test('lttng: children forked later are recorded from their first syscall; an unrelated busy process is not', async () => {
  await requireLttngKernelTracer();
  const unrelated = spawn('/bin/sh', ['-c', 'while :; do cat /proc/self/stat >/dev/null; done'], { stdio: 'ignore' });
  try {
    const output = tempOutputDir();
    // The sleep puts the forks well past the start: a tracker polled after the start would miss them.
    const result = await runCli(['--custom', "sh -c 'sleep 0.5; for i in 1 2 3; do ls / >/dev/null; done'", '--runs-dir', output, ...LTTNG]);
    assert.equal(result.code, 0, result.stderr);
    const { dir, metadata } = onlyRun(output);
    const text = await babeltraceEvents(join(dir, 'kernel'));
    assert.equal(text.stderr, '');

    const { children } = assertOnlyTreeTraced(text.events, metadata.scope.root_pids[0]!, unrelated.pid!);
    const syscalls = text.events.filter((e) => e.name.startsWith('syscall_'));
    assert.ok(children.length >= 4, `sleep and three ls are forked: ${children.join(', ')}`);
    for (const child of children) {
      const first = syscalls.find((e) => e.tid === child);
      assert.ok(first, `child ${child} has syscalls`);
      // A child's first moment in user space is its return from the parent's
      // clone, fork or vfork (dash forks with vfork, which lttng-modules
      // 2.13.9 records as syscall_exit_unknown with its number).
      const forkLike = /^syscall_exit_(clone|clone3|fork|vfork)$/.test(first.name) || (first.name === 'syscall_exit_unknown' && FORK_SYSCALL_NUMBERS.has(payloadNumber(first, 'id')));
      assert.ok(forkLike, `child ${child} starts with its return from clone/fork/vfork, not ${first.name} { ${first.payload} }`);
      assert.equal(payloadNumber(first, 'ret'), 0);
    }
    const lsThreads = new Set(syscalls.filter((e) => e.procname === 'ls').map((e) => e.tid));
    assert.equal(lsThreads.size, 3, 'three ls children, each with its syscalls');
    assert.equal(text.events.filter((e) => e.name === 'sched_process_exec' && e.payload.includes('/ls"')).length, 3);
    rmSync(output, { recursive: true, force: true });
  } finally {
    unrelated.kill('SIGKILL');
  }
});

test('lttng, overloaded on purpose (--buffer-size 16K): discarded events are counted per CPU and match babeltrace2', async () => {
  await requireLttngKernelTracer();
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'dd if=/dev/zero of=/dev/null bs=1 count=200000', '--buffer-size', '16K', '--runs-dir', output, ...LTTNG]);
  assert.equal(result.code, 0, result.stderr);
  const { dir, metadata } = onlyRun(output);
  const lost = metadata.trace?.events_lost_total ?? 0;
  assert.ok(lost > 0, `a 16 KiB buffer per CPU cannot hold 400,000 syscall events: ${JSON.stringify(metadata.trace)}`);
  const perCpu = Object.values(metadata.trace?.events_lost_per_cpu ?? {});
  assert.equal(perCpu.reduce((a, b) => a + b, 0), lost, 'the per-CPU counts add up to the total');
  const discarded = lttngDetails(metadata).discarded_events!;
  assert.equal(discarded.benchmark_tracer_kernel, lost, 'lttng list counts what the packets say');
  // babeltrace2's text output warns of every gap; its sum is the same count.
  const read = await babeltraceEvents(join(dir, 'kernel'), () => false);
  assert.equal(read.code, 0);
  assert.equal(read.lines, metadata.trace?.events_total);
  const warned = [...read.stderr.matchAll(/discarded (\d+) events?/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  assert.equal(warned, lost, read.stderr.slice(0, 2000));
  rmSync(output, { recursive: true, force: true });
});

test('lttng, SIGINT mid-run: no session, no session daemon, no namespace holder left; metadata says interrupted; trace kept', async () => {
  await requireLttngKernelTracer();
  assert.deepEqual(processesNamed('lttng-sessiond'), [], 'no session daemon runs before the test');
  const output = tempOutputDir();
  const child = spawn(process.execPath, [CLI, '--custom', "sh -c 'while :; do dd if=/dev/zero of=/dev/null bs=512 count=100 2>/dev/null; done'", '--runs-dir', output, ...LTTNG], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const recording = () => readdirSync(output).some((run) => existsSync(join(output, run, '.lttng-kernel', 'kernel')));
  for (const deadline = Date.now() + 60_000; !recording(); await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() < deadline, `the run never started recording: ${stderr}`);
  }
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 130, stderr);
  const { dir, metadata } = onlyRun(output);
  assert.equal(metadata.interrupted, 'SIGINT');
  assert.equal(metadata.success, false);
  assert.deepEqual(processesNamed('lttng-sessiond', 'lttng-consumerd', 'lttng-runas'), [], 'the session daemon the run started is gone');
  assert.deepEqual(processesNamed('unshare', 'sleep', 'dd'), [], 'the traced tree and the namespace holder are gone');
  assert.equal(existsSync(`/proc/${metadata.scope.root_pids[0]}`), false, 'the traced command is gone');
  const text = await babeltraceEvents(join(dir, 'kernel'));
  assert.equal(text.code, 0);
  assert.ok(text.events.some((e) => e.procname === 'dd' && e.name === 'syscall_entry_read'), 'what was recorded is kept');
  assert.equal(text.lines, metadata.trace?.events_total);
  rmSync(output, { recursive: true, force: true });
});
