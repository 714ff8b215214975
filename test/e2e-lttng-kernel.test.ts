// The LTTng kernel path against the real lttng CLI and session daemon, as
// root. On these machines lttng-modules cannot load, so the backend goes as
// far as lttng lets it ("Kernel tracer not available") and must leave nothing
// behind; `auto` falls back to tracefs end to end with its one-line reason,
// and `doctor` gives the same reason.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LttngKernelDetails } from '../src/backends/backend-details.js';
import { LttngKernelBackend } from '../src/backends/lttng/kernel-backend.js';
import { lttngKernelTracer } from '../src/backends/lttng/probe.js';
import { runningRootSessiond } from '../src/backends/lttng/sessiond.js';
import { descendantsOf, isAlive, readStat } from '../src/util/procfs.js';
import { runCommand } from '../src/util/run-command.js';
import { onlyRun, runCli, tempOutputDir } from './helpers/cli.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';


const lttngHomes = () => new Set(readdirSync(tmpdir()).filter((e) => e.startsWith('bt-lttng-home-')));

testNeeding(ROOT, tool('lttng', 'lttng-tools'), tool('lttng-sessiond', 'lttng-tools'))('kernel backend: the real lttng and session daemon answer "Kernel tracer not available"; session and daemon are gone after', async () => {
  const probe = await lttngKernelTracer();
  assert.equal(probe.usable, false, `this test covers machines where lttng-modules cannot load; here: ${probe.reason}`);

  const daemonBefore = runningRootSessiond();
  const homesBefore = lttngHomes();
  const workDir = mkdtempSync(join(tmpdir(), 'bt-lttng-kernel-'));
  const backend = new LttngKernelBackend({
    events: [{ system: 'sched', name: 'sched_switch' }, { system: 'syscalls', name: 'sys_enter_read' }],
    systemWide: false,
    userArguments: true,
    durationSeconds: 5,
    workDir,
    perCpuBufferBytes: null,
  });
  try {
    await assert.rejects(backend.prepare(), /^Error: lttng enable-channel -k -s benchmark-tracer-\d+-\w+ benchmark_tracer_kernel .*: .*Kernel tracer not available/);
    const details = backend.describe('test').details as LttngKernelDetails;
    assert.ok(details.sessiond, 'the backend names its session daemon');
    assert.equal(details.sessiond.started_by_run, daemonBefore === null);
    await backend.stop();
    if (daemonBefore === null) {
      assert.equal(isAlive(details.sessiond.pid), false, 'the session daemon the backend started is stopped');
    } else {
      assert.equal(isAlive(daemonBefore), true, 'a daemon the run did not start is left running');
      const listed = await runCommand('lttng', ['list']);
      assert.doesNotMatch(listed.stdout, new RegExp(details.session), 'the session is destroyed');
    }
  } finally {
    backend.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  }
  assert.deepEqual([...lttngHomes()].filter((h) => !homesBefore.has(h)), [], 'the private LTTNG_HOME is removed');
  const leftovers = descendantsOf(process.pid).filter((pid) => isAlive(pid) && /^(unshare|sleep)$/.test(readStat(pid)?.name ?? ''));
  assert.deepEqual(leftovers, [], 'the holder of the run\'s UTS namespace is stopped');
});

testNeeding(ROOT)('--backend lttng fails in one line with the reason; auto records with tracefs and says why; doctor says the same', async () => {
  const probe = await lttngKernelTracer();
  assert.equal(probe.usable, false, `this test covers machines where lttng-modules cannot load; here: ${probe.reason}`);

  const refused = tempOutputDir();
  const lttng = await runCli(['--custom', 'true', '--backend', 'lttng', '--runs-dir', refused]);
  assert.equal(lttng.code, 2, "a usage error exits 2");
  const lines = lttng.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${lttng.stderr}`);
  assert.ok(lines[0]!.startsWith('benchmark-tracer: --backend lttng: the LTTng kernel tracer is not usable here: '), lines[0]);
  assert.ok(lines[0]!.includes(probe.reason), lines[0]);
  assert.deepEqual(readdirSync(refused), [], 'no run directory for a refused run');
  rmSync(refused, { recursive: true, force: true });

  const output = tempOutputDir();
  const auto = await runCli(['--custom', 'dd if=/dev/zero of=/dev/null count=100', '--events', 'syscalls:sys_enter_read', '--runs-dir', output]);
  assert.equal(auto.code, 0, auto.stderr);
  const { dir, metadata } = onlyRun(output);
  assert.equal(metadata.backend?.name, 'ftrace');
  assert.equal(metadata.backend?.reason, `auto: LTTng kernel tracer not usable (${probe.reason}); using tracefs`);
  assert.ok((metadata.trace?.event_counts.syscall_entry_read ?? 0) >= 100, JSON.stringify(metadata.trace?.event_counts));
  assert.ok(existsSync(join(dir, 'kernel', 'metadata')));
  rmSync(output, { recursive: true, force: true });

  const doctor = await runCli(['doctor']);
  const line = doctor.stdout.split('\n').find((l) => l.includes('LTTng kernel tracer')) ?? '';
  assert.ok(line.startsWith('MISSING'), `doctor: ${line}`);
  assert.ok(line.includes(probe.reason), `doctor: ${line}`);
  assert.match(line, /; runs record with tracefs instead$/, 'doctor says where runs record instead');
});
