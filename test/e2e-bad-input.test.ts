// Bad input: one clear line on stderr, a non-zero exit, no stack trace, and
// nothing left behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, tempOutputDir } from './helpers/cli.js';
import { ROOT, testNeeding } from './helpers/machine.js';

function assertOneLineError(result: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.notEqual(result.code, 0);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^benchmark-tracer: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

testNeeding(ROOT)('unknown event: error names close matches', async () => {
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'true', '--events', 'sched_swich', '--runs-dir', output]);
  assertOneLineError(result, /unknown event "sched_swich".*sched_switch/);
  assert.equal(result.code, 2);
  assert.deepEqual(readdirSync(output), [], 'no run directory for a run that never started');
  rmSync(output, { recursive: true, force: true });
});

test('unknown application', async () => {
  const result = await runCli(['rediss']);
  assertOneLineError(result, /unknown application "rediss".*redis/);
  assert.equal(result.code, 2);
});

testNeeding(ROOT)('a command that does not exist', async () => {
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'no-such-program-xyz --flag', '--runs-dir', output]);
  assertOneLineError(result, /command not found: no-such-program-xyz/);
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT)('an output directory that is not writable', async () => {
  const output = tempOutputDir();
  const file = join(output, 'a-file');
  writeFileSync(file, '');
  const result = await runCli(['--custom', 'true', '--runs-dir', join(file, 'traces')]);
  assertOneLineError(result, /output directory .* is not writable/);
  rmSync(output, { recursive: true, force: true });
});

testNeeding(ROOT)('not root: one line that says so', () => {
  const output = tempOutputDir();
  mkdirSync(join(output, 'out'));
  chmodSync(output, 0o777);
  chmodSync(join(output, 'out'), 0o777);
  const result = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '--custom', 'true', '--runs-dir', join(output, 'out')],
    { encoding: 'utf8' },
  );
  assertOneLineError({ code: result.status, stderr: result.stderr, stdout: result.stdout }, /needs root/);
  rmSync(output, { recursive: true, force: true });
});

test('bad option values', async () => {
  assertOneLineError(await runCli(['--custom', 'true', '--duration', 'soon']), /--duration must be a positive number/);
  assertOneLineError(await runCli(['--custom', 'true', '--backend', 'dtrace']), /--backend must be one of auto, ftrace, lttng/);
  assertOneLineError(await runCli(['--custom', 'true', '--no-such-flag']), /Unknown option '--no-such-flag'/);
  assertOneLineError(await runCli([]), /nothing to trace/);
});

testNeeding(ROOT)('--backend lttng where the LTTng kernel tracer cannot load: says why', async () => {
  const output = tempOutputDir();
  const result = await runCli(['--custom', 'true', '--backend', 'lttng', '--runs-dir', output]);
  assertOneLineError(result, /--backend lttng: .*(not usable here|not available)/);
  assert.deepEqual(readdirSync(output), []);
  rmSync(output, { recursive: true, force: true });
});
