// The output's filesystem fills up, or turns read-only, in the middle of a
// run: one clear line and a failed exit; what was captured is kept whole and
// said so (the capture converts, later, to a trace babeltrace2 reads); no
// half-written trace or text is left looking complete; nothing of the run is
// left running. The output is a small tmpfs of the test's own.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { babeltraceEvents, CLI } from './helpers/cli.js';
import { snapshotLeftovers } from './helpers/app-run.js';
import { convertCaptureToCtf } from '../src/backends/ftrace/convert.js';
import { readRunMetadata } from '../src/metadata/run-metadata.js';
import { ROOT, assertMachineHas, testNeeding, tool } from './helpers/machine.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withSmallFilesystem(megabytes: number, body: (dir: string) => Promise<void>): Promise<void> {
  assertMachineHas(ROOT);
  const dir = mkdtempSync(join(tmpdir(), 'bt-small-fs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(mounted.status, 0, `mount tmpfs: ${mounted.stderr}`);
  try {
    await body(dir);
  } finally {
    spawnSync('mount', ['-o', 'remount,rw', dir]);
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs redis into output; calls `meanwhile` every 20 ms until it returns true (it acted) or the run ends. */
async function runRedis(output: string, seconds: number, meanwhile: (runDir: string | null) => boolean = () => true) {
  const cli = spawn(process.execPath, [CLI, 'redis', '--duration', String(seconds), '--runs-dir', join(output, 'runs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  cli.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  let acted = false;
  while (code === undefined) {
    if (!acted) {
      const runs = existsSync(join(output, 'runs')) ? readdirSync(join(output, 'runs')).filter((e) => e.startsWith('redis_')) : [];
      acted = meanwhile(runs[0] ? join(output, 'runs', runs[0]) : null);
    }
    await sleep(20);
  }
  return { code: await exited, stdout, stderr, acted };
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const errors = stderr.split('\n').filter((l) => l.startsWith('benchmark-tracer: '));
  assert.equal(errors.length, 1, `one error line: ${stderr}`);
  assert.match(errors[0]!, pattern);
  assert.doesNotMatch(stderr, /internal error|\n\s+at |Error: E[A-Z]+/, 'a stack trace or a raw error');
}

/** The capture left in the run converts, on a filesystem with room, to a trace babeltrace2 reads whole. */
async function assertCaptureConverts(runDir: string): Promise<void> {
  const capture = join(runDir, 'ftrace-capture');
  assert.ok(existsSync(join(capture, 'capture.json')), 'the capture (with its manifest) is kept');
  const out = mkdtempSync(join(tmpdir(), 'bt-converted-'));
  try {
    const env = { hostname: 'test', kernelRelease: 'test', kernelVersion: 'test', tracerName: 'test', tracerVersion: '0' };
    const result = await convertCaptureToCtf({ captureDir: capture, outDir: out, env });
    assert.equal(result.skippedRecords, 0, 'no torn record in the kept capture');
    assert.ok(result.eventsTotal > 1000, `${result.eventsTotal} events kept`);
    const read = await babeltraceEvents(out, () => false);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.lines, result.eventsTotal);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

testNeeding(ROOT, tool('redis-server', 'redis-server'), tool('babeltrace2', 'babeltrace2'))('disk full while recording: one line, the capture kept whole and said so, metadata.json says why, nothing left', async () => {
  const before = snapshotLeftovers();
  await withSmallFilesystem(24, async (fs) => {
    const { code, stdout, stderr } = await runRedis(fs, 8);
    assert.equal(code, 1, stderr);
    assertOneLineError(stderr, /output filesystem is full .*recording stopped; the [\d,]+ bytes captured until then are kept/);
    assert.match(stdout, /^FAILED run: /m);
    const runDir = join(fs, 'runs', readdirSync(join(fs, 'runs')).find((e) => e.startsWith('redis_'))!);
    const metadata = readRunMetadata(runDir);
    assert.equal(metadata.success, false);
    assert.match(metadata.error ?? '', /output filesystem is full/);
    assert.equal(metadata.trace, null, 'no trace presented');
    assert.equal(existsSync(join(runDir, 'kernel')), false, 'no half-written CTF');
    assert.equal(existsSync(join(runDir, 'trace_output.txt')), false, 'no half-written text');
    assert.deepEqual(readdirSync(runDir).filter((e) => e.endsWith('.tmp')), []);
    await assertCaptureConverts(runDir);
  });
  const newDirs = readdirSync(tmpdir()).filter((e) => e.startsWith('benchmark-tracer-redis-') && !before.tmpEntries.has(e));
  assert.deepEqual(newDirs, [], 'instance dirs left behind');
});

testNeeding(ROOT, tool('redis-server', 'redis-server'))('disk full while writing the CTF: kernel/ removed, the capture kept, metadata.json says why', async () => {
  await withSmallFilesystem(400, async (fs) => {
    // Once the conversion has begun, the filesystem shrinks to what it holds. At once: writing a
    // file to fill it took longer than the conversion on a VM whose fresh memory is slow to touch.
    const { code, stderr, acted } = await runRedis(fs, 2, (runDir) => {
      if (!runDir || !existsSync(join(runDir, 'kernel'))) return false;
      for (let attempt = 0; attempt < 20; attempt++) {
        const { blocks, bfree, bsize } = statfsSync(fs);
        const usedKiB = Math.ceil(((blocks - bfree) * bsize) / 1024);
        // Refused while the conversion has already written more than that: look again.
        if (spawnSync('mount', ['-o', `remount,size=${usedKiB}k`, fs]).status === 0) return true;
      }
      throw new Error('could not shrink the test filesystem to its contents');
    });
    assert.ok(acted, `the run ended before its CTF conversion was seen: ${stderr}`);
    assert.equal(code, 1, stderr);
    assertOneLineError(stderr, /the CTF trace could not be written \(ENOSPC.*\): kernel\/ removed, the capture kept in ftrace-capture\//);
    const runDir = join(fs, 'runs', readdirSync(join(fs, 'runs')).find((e) => e.startsWith('redis_'))!);
    const metadata = readRunMetadata(runDir);
    assert.equal(metadata.success, false);
    assert.equal(metadata.trace, null);
    assert.equal(existsSync(join(runDir, 'kernel')), false, 'no half-written CTF');
    await assertCaptureConverts(runDir);
  });
});

testNeeding(ROOT, tool('redis-server', 'redis-server'))('output turned read-only mid-run: one line, the run stops and cleans up; the early metadata.json says it did not finish', async () => {
  const before = snapshotLeftovers();
  await withSmallFilesystem(400, async (fs) => {
    const { code, stderr, acted } = await runRedis(fs, 6, (runDir) => {
      if (!runDir || !existsSync(join(runDir, 'ftrace-capture', 'cpu0.pages')) || statSync(join(runDir, 'ftrace-capture', 'cpu0.pages')).size === 0) return false;
      return spawnSync('mount', ['-o', 'remount,ro', fs]).status === 0;
    });
    assert.ok(acted, `the run ended before its capture was seen: ${stderr}`);
    assert.equal(code, 1, stderr);
    // Files open for writing may still take writes (tmpfs): the failure shows at the recording or at the writing.
    assertOneLineError(stderr, /(read-only|could not be (written|finished)).*metadata\.json could not be written: EROFS/);
    const runDir = join(fs, 'runs', readdirSync(join(fs, 'runs')).find((e) => e.startsWith('redis_'))!);
    const metadata = readRunMetadata(runDir);
    assert.equal(metadata.success, false);
    assert.match(metadata.error ?? '', /did not finish/);
  });
  const newDirs = readdirSync(tmpdir()).filter((e) => e.startsWith('benchmark-tracer-redis-') && !before.tmpEntries.has(e));
  assert.deepEqual(newDirs, [], 'instance dirs left behind');
});
