// metadata.json's reader: what we write reads back whole; a file that is not
// ours, damaged, or of a newer format is one clear line, also through analyze.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { METADATA_FORMAT_VERSION, MetadataFormatError, parseRunMetadata, readRunMetadata, writeMetadata, type RunMetadata } from '../src/metadata/run-metadata.js';
import { PhaseClock } from '../src/session/run.js';
import { TOOL_NAME, TOOL_VERSION } from '../src/version.js';
import { writeEventTrace } from './helpers/event-trace.js';

function sample(): RunMetadata {
  return {
    application: 'redis',
    session_name: 'redis_20261203_174500',
    timestamp: '20261203_174500',
    command: 'redis-server --port 0',
    description: 'Redis',
    trace_duration: 5,
    start_time: '2026-12-03T17:45:00.000Z',
    end_time: '2026-12-03T17:45:06.000Z',
    setup_commands: [],
    test_commands: ['redis-benchmark -q'],
    success: true,
    execution_time: 6,
    return_code: 0,
    error: null,
    format_version: METADATA_FORMAT_VERSION,
    interrupted: null,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    host: { hostname: 'box', kernel_release: '6.1.0', kernel_version: '#1 SMP', cpu_count: 2 },
    app: { version: '7.0', config: {}, access: null },
    backend: { name: 'ftrace', reason: 'default', details: { instance: 'benchmark-tracer-1', statedumps: [{ label: 'start', tasks: 3, fds: 9, milliseconds: 1.5 }] } },
    clock: { name: 'monotonic', description: 'CLOCK_MONOTONIC', realtime_offset_ns: '1' },
    events: { spec: 'default', tracepoints: ['sched:sched_switch'], skipped_not_in_kernel: [] },
    scope: { mode: 'process-tree', root_pids: [42], clients_traced: false },
    commands: [],
    benchmark: null,
    trace: null,
    userspace: null,
    text: { file: null, produced_by: null, note: null },
    phases: [{ name: 'prepare', seconds: 0.1 }],
    warnings: [],
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bt-metadata-'));
}

test('what writeMetadata writes, readRunMetadata reads back whole, from the run directory or the file', () => {
  const dir = tempDir();
  try {
    writeMetadata(dir, sample());
    assert.deepEqual(readRunMetadata(dir), sample());
    assert.deepEqual(readRunMetadata(join(dir, 'metadata.json')), sample());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('format 1 (and a file from before format_version) is brought up to date: its phase names become the run\'s phases', () => {
  const { format_version: _, ...unversioned } = sample();
  const format1Phases = [
    { name: 'preparing', seconds: 0.5 },
    { name: 'recording', seconds: 0.25 },
    { name: 'waiting for readiness', seconds: 1 },
    { name: 'smoke test', seconds: 0.125 },
    { name: 'benchmark', seconds: 10 },
    { name: 'stopping', seconds: 2 },
    { name: 'writing CTF', seconds: 3 },
    { name: 'writing text', seconds: 4 },
  ];
  const expected = [
    { name: 'prepare', seconds: 0.5 },
    { name: 'launch', seconds: 0.25 },
    { name: 'ready', seconds: 1.125 },
    { name: 'workload', seconds: 10 },
    { name: 'stop', seconds: 2 },
    { name: 'write', seconds: 7, steps: [{ name: 'ctf', seconds: 3 }, { name: 'text', seconds: 4 }] },
  ];
  for (const old of [{ ...unversioned, phases: format1Phases }, { ...unversioned, format_version: 1, phases: format1Phases }]) {
    const read = parseRunMetadata(old, 'metadata.json');
    assert.equal(read.format_version, METADATA_FORMAT_VERSION);
    assert.deepEqual(read.phases, expected);
    assert.equal(read.application, 'redis', 'the seed fields are as they were');
  }
});

test('the phase clock: one entry per phase in order, a phase entered again continues, steps within a phase', () => {
  let now = 0;
  const clock = new PhaseClock(() => now);
  clock.enter('prepare');
  now += 1000;
  clock.enter('launch');
  now += 500;
  clock.enter('stop');
  now += 250;
  clock.enter('stop');
  now += 250;
  clock.enter('write', 'ctf');
  now += 2000;
  clock.enter('write', 'text');
  now += 1000;
  assert.deepEqual(clock.end(), [
    { name: 'prepare', seconds: 1 },
    { name: 'launch', seconds: 0.5 },
    { name: 'stop', seconds: 0.5 },
    { name: 'write', seconds: 3, steps: [{ name: 'ctf', seconds: 2 }, { name: 'text', seconds: 1 }] },
  ]);
});

test('a newer format, another program, a damaged field or no JSON: one line naming the file and why', () => {
  const newer = { ...sample(), format_version: METADATA_FORMAT_VERSION + 1 };
  assert.throws(() => parseRunMetadata(newer, 'x/metadata.json'), (error: Error) => {
    assert.ok(error instanceof MetadataFormatError);
    const [newerVersion, ours] = [METADATA_FORMAT_VERSION + 1, METADATA_FORMAT_VERSION];
    assert.match(error.message, new RegExp(`^x/metadata\\.json: written by a newer benchmark-tracer .*metadata format ${newerVersion}\\); this one \\(format ${ours}\\) cannot read it: upgrade$`));
    return true;
  });
  assert.throws(() => parseRunMetadata({ ...sample(), tool: { name: 'lttng', version: '2.13' } }, 'm.json'), /^MetadataFormatError: m\.json: not a metadata\.json written by benchmark-tracer$/);
  assert.throws(() => parseRunMetadata({ application: 'redis', success: true }, 'm.json'), /not a metadata\.json written by benchmark-tracer/);
  assert.throws(() => parseRunMetadata([], 'm.json'), /not a JSON object/);
  assert.throws(() => parseRunMetadata({ ...sample(), success: 'yes' }, 'm.json'), /m\.json: damaged: field "success" is not what it should be \("yes"\)/);
  const { commands: _, ...noCommands } = sample();
  assert.throws(() => parseRunMetadata(noCommands, 'm.json'), /field "commands" is missing/);
  assert.throws(() => parseRunMetadata({ ...sample(), format_version: 'one' }, 'm.json'), /format_version "one" is not a version/);
  assert.throws(() => readRunMetadata('/nonexistent/metadata.json'), /^MetadataFormatError: \/nonexistent\/metadata\.json: no such file$/);
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'metadata.json'), '{"application": ');
    assert.throws(() => readRunMetadata(dir), (error: Error) => error instanceof MetadataFormatError && /metadata\.json: damaged: not JSON/.test(error.message) && !error.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analyze takes the application and scope from metadata.json, and refuses a newer one before reading the trace', async () => {
  const dir = tempDir();
  try {
    writeEventTrace(join(dir, 'kernel'), [{ name: 'sched_process_exec', timeNs: 10, pid: 42, comm: 'redis-server' }]);
    writeMetadata(dir, sample());
    const report = await analyzeTrace([dir]);
    assert.equal(report.trace.application, 'redis');
    assert.equal(report.trace.hostname, 'box');
    assert.equal(report.trace.tracer, 'ftrace');
    writeMetadata(dir, { ...sample(), format_version: METADATA_FORMAT_VERSION + 1 });
    await assert.rejects(analyzeTrace([dir]), MetadataFormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
