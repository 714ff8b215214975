import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunDir, runTimestamp, updateLatestLink } from '../src/session/output-dir.js';
import { bytesToLeave, perCpuBufferBytes } from '../src/backends/ftrace/recorder.js';
import { parseCommandLine } from '../src/cli/args.js';
import { checkCommandExists } from '../src/session/command-check.js';
import { UserError } from '../src/util/errors.js';

const MiB = 1024 * 1024;

test('two runs in the same second get two directories; latest follows the newest', () => {
  const root = mkdtempSync(join(tmpdir(), 'bt-out-'));
  const when = new Date(2026, 10, 26, 9, 5, 7);
  assert.equal(runTimestamp(when), '20261126_090507');
  const first = createRunDir(root, 'custom', when);
  const second = createRunDir(root, 'custom', when);
  assert.equal(first.dirName, 'custom_20261126_090507');
  assert.equal(second.dirName, 'custom_20261126_090507_2');
  updateLatestLink(root, first.dirName);
  updateLatestLink(root, second.dirName);
  assert.equal(readlinkSync(join(root, 'latest')), second.dirName);
  rmSync(root, { recursive: true });
});

test('buffer size grows with the duration, within free memory', () => {
  const plenty = 24 * 1024 * MiB;
  assert.equal(perCpuBufferBytes(null, 2, plenty), 256 * MiB);
  assert.equal(perCpuBufferBytes(10, 2, plenty), 104 * MiB);
  assert.equal(perCpuBufferBytes(3600, 2, plenty), 512 * MiB);
  assert.equal(perCpuBufferBytes(60, 2, 800 * MiB), 50 * MiB);
  assert.equal(perCpuBufferBytes(60, 64, 100 * MiB), 4 * MiB);
});

test('while recording, pages stay in the ring buffer until a quarter of it, or a second of arrivals, is all the room left', () => {
  // 88 MiB at redis's ~17 MB/s per CPU (3.4 MB per 200 ms pass): three quarters stay.
  assert.equal(bytesToLeave(88 * MiB, 3.4e6), 66 * MiB);
  // Arriving faster than a quarter of the buffer per second: a second's worth stays free.
  assert.equal(bytesToLeave(88 * MiB, 8 * MiB), 48 * MiB);
  // A buffer smaller than a second of arrivals is emptied at every pass.
  assert.equal(bytesToLeave(4 * MiB, 3.4e6), 0);
  assert.equal(bytesToLeave(4 * MiB, 0), 3 * MiB);
});

test('command line: the original options keep working', () => {
  const parsed = parseCommandLine(['--custom', 'python3 app.py', '--duration', '60', '--project-root', '/tmp/x']);
  assert.equal(parsed.kind, 'record');
  if (parsed.kind !== 'record') return;
  assert.equal(parsed.options.custom, 'python3 app.py');
  assert.equal(parsed.options.durationSeconds, 60);
  assert.equal(parsed.options.runsDir, '/tmp/x');
  assert.equal(parsed.options.events, 'default');
  assert.equal(parseCommandLine(['--list']).kind, 'list');
  assert.equal(parseCommandLine(['doctor']).kind, 'doctor');
  assert.throws(() => parseCommandLine(['redis', '--custom', 'x']), UserError);
  assert.throws(() => parseCommandLine(['--custom', 'x', '--output', 'a', '--project-root', 'b']), UserError);
});

test('a missing program is caught before the run; shell constructs are left to the shell', () => {
  assert.throws(() => checkCommandExists('nonexistent-xyz arg'), /command not found: nonexistent-xyz/);
  assert.throws(() => checkCommandExists('FOO=1 ./nope.sh'), /command not found: \.\/nope\.sh/);
  checkCommandExists('sh -c "exit 0"');
  checkCommandExists('for i in 1 2; do true; done');
  checkCommandExists('FOO=1 ls');
  checkCommandExists('$HOME/bin/thing');
});
