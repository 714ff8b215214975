// babeltrace2's own CTF 1.8 conformance suite (../shared/corpus/babeltrace-tests,
// see its expect/README.md), through the CLI a user runs. The reference is
// babeltrace2 run here on the same trace, never text written into this file:
// - succeed/: `convert --to text` exits 0 and prints babeltrace2's text, byte
//   for byte (but for its stale empty strings, see assertSameLines), and the
//   same discarded-events warnings on stderr;
// - fail/: babeltrace2 fails, and so do we: exit 1, one line naming a file of
//   the trace and what is wrong (upstream's expected message, where its test
//   has one, in our words);
// - other/: packet-seq-num and intersection as succeed/; deterministic-ordering
//   (traces sharing a UUID and a packet) as upstream's test runs it.
// Where babeltrace2 2.0.4 is known wrong, upstream's expect/ file decides;
// each case says so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../src/util/executables.js';
import { CLI } from './helpers/cli.js';
import { assertSameLines, ourExport } from './helpers/ctf-text.js';

const SUITE = fileURLToPath(new URL('../../../shared/corpus/babeltrace-tests/', import.meta.url));
const EXPECT = join(SUITE, 'expect');
/** Both sides print local time: the same zone for both. */
const ENV = { ...process.env, TZ: 'UTC' };

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function babeltrace(dirs: string[]): Run {
  const executable = findExecutable('babeltrace2');
  if (!executable) throw new Error('babeltrace2 is not installed: apt-get install babeltrace2 (this suite compares with it)');
  const run = spawnSync(executable, dirs, { env: ENV, maxBuffer: 1 << 28 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.toString('latin1') };
}

function ours(dir: string): Run {
  const run = spawnSync(process.execPath, [CLI, 'convert', dir, '--to', 'text'], { env: ENV, maxBuffer: 1 << 28, timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.toString('latin1') };
}

/** The pretty sink's own messages on stderr (babeltrace2's logging, also there, is not part of the text). */
function sinkWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('WARNING: Tracer discarded'))
    .map((line) => `${line}\n`)
    .join('');
}

function traces(group: string): string[] {
  const dir = join(SUITE, group);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function assertReadsLikeBabeltrace(dir: string): void {
  const reference = babeltrace([dir]);
  assert.equal(reference.code, 0, `babeltrace2 reads it: ${reference.stderr}`);
  const run = ours(dir);
  assert.equal(run.code, 0, run.stderr);
  assertSameLines(run.stdout, reference.stdout);
  assert.equal(run.stderr, sinkWarnings(reference.stderr), 'the same warnings, and nothing else');
}

test('the suite is there, with its three sets', () => {
  for (const group of ['succeed', 'fail', 'other']) assert.ok(traces(group).length > 0, `missing: ${join(SUITE, group)}`);
  assert.equal(traces('succeed').length, 30);
  assert.equal(traces('fail').length, 11);
});

/** babeltrace2 2.0.4 aborts on these (upstream bugs fixed later): upstream's expect/ file says what a reader gives. */
const KNOWN_WRONG_IN_2_0_4: Record<string, { abort: RegExp; expect: string }> = {
  // Fixed in 2.0.5: a sequence in a stream's packet and event contexts.
  'meta-ctx-sequence': { abort: /Assertion `tgt_fc` failed/, expect: 'src.ctf.fs/succeed/trace-meta-ctx-sequence.expect' },
};

for (const name of traces('succeed')) {
  test(`succeed/${name}: exit 0, babeltrace2's text byte for byte`, () => {
    const dir = join(SUITE, 'succeed', name);
    const known = KNOWN_WRONG_IN_2_0_4[name];
    if (known) {
      const reference = babeltrace([dir]);
      if (reference.code !== 0) {
        assert.match(reference.stderr, known.abort, 'babeltrace2 fails there for the known reason, not another');
        // The details sink lists one "Event `name`" line per event.
        const expected = readFileSync(join(EXPECT, known.expect), 'latin1').split('\n').filter((line) => /\bEvent `/.test(line)).length;
        const run = ours(dir);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout.toString('latin1').split('\n').filter(Boolean).length, expected, 'as many events as upstream expects');
        assert.equal(run.stderr, '');
        return;
      }
    }
    assertReadsLikeBabeltrace(dir);
  });
}

/** Upstream's expected error for some fail/ traces (expect/README.md), as our message says it. */
const EXPECTED_ERRORS: Record<string, { file: RegExp; says: RegExp }> = {
  // Upstream: "Failed to index CTF stream file '.*channel0_3'". We print the events the file does hold first.
  'invalid-packet-size': { file: /\/channel0_3: /, says: /packet at byte \d+ is \d+ bytes long, the file has \d+/ },
  // Upstream: "At line 3 in metadata stream: syntax error, unexpected CTF_RSBRAC: token="]"".
  'metadata-syntax-error': { file: /\/metadata: /, says: /found "\]" \(at line 3\)/ },
  // Upstream: "Sequence field class's length field class is not an unsigned integer field class".
  'invalid-sequence-length-field-class': { file: /\/metadata: /, says: /sequence length "len" is not an unsigned integer \(at line \d+\)/ },
  // Upstream: "Variant field class's tag field class is not an enumeration field class".
  'invalid-variant-selector-field-class': { file: /\/metadata: /, says: /variant tag "selector" is not an enumeration \(at line \d+\)/ },
};

for (const name of traces('fail')) {
  test(`fail/${name}: babeltrace2 refuses it; we exit 1 with one line naming the file and what is wrong`, () => {
    const dir = join(SUITE, 'fail', name);
    const reference = babeltrace([dir]);
    assert.notEqual(reference.code, 0, 'babeltrace2 refuses it too');
    const run = ours(dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^benchmark-tracer: [^\n]+\n$/, 'one line');
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at |TypeError|RangeError/);
    // The file: inside the trace's directory, and the problem after it.
    const [, file, problem] = /^benchmark-tracer: (\S+): (.+)$/m.exec(run.stderr) ?? [];
    assert.ok(file?.startsWith(`${dir}/`) && existsSync(file), `names a file of the trace: ${run.stderr}`);
    assert.ok(problem && problem.length > 10, `says what is wrong: ${run.stderr}`);
    // In the text: its line; in the packets of packetized metadata: the byte.
    if (/metadata$/.test(file)) assert.match(problem, /\(at (line|byte) \d+\)$/, 'a metadata error says where');
    const expected = EXPECTED_ERRORS[name];
    if (expected) {
      assert.match(run.stderr, expected.file);
      assert.match(run.stderr, expected.says);
    }
    // What babeltrace2 prints before failing, we print too (valid-events-then-invalid-events).
    if (reference.stdout.length > 0) assertSameLines(run.stdout, reference.stdout);
  });
}

for (const set of ['packet-seq-num', 'intersection']) {
  for (const name of traces(join('other', set))) {
    test(`other/${set}/${name}: babeltrace2's text and warnings`, () => assertReadsLikeBabeltrace(join(SUITE, 'other', set, name)));
  }
}

test('other/deterministic-ordering: traces sharing a UUID and a packet read that packet once, from the first by path, in either order', async () => {
  const dir = (name: string) => join(SUITE, 'other', 'deterministic-ordering', name);
  const expect = readFileSync(dir('b-c.expect'), 'latin1').split('\n').filter((line) => /\bEvent `/.test(line)).length;
  for (const pair of [['b-not-corrupted', 'c-corrupted'], ['c-corrupted', 'b-not-corrupted']]) {
    const dirs = pair.map(dir);
    const reference = babeltrace(dirs);
    assert.equal(reference.code, 0, reference.stderr);
    const run = await ourExport(dirs);
    assert.equal(run.error, null, `${pair.join(' + ')}: ${run.error?.message}`);
    assertSameLines(run.bytes, reference.stdout);
    assert.equal(run.bytes.toString('latin1').split('\n').filter(Boolean).length, expect, "upstream's expected event count");
  }
  for (const pair of [['a-corrupted', 'b-not-corrupted'], ['b-not-corrupted', 'a-corrupted']]) {
    const dirs = pair.map(dir);
    assert.notEqual(babeltrace(dirs).code, 0, `babeltrace2 fails on ${pair.join(' + ')}`);
    const run = await ourExport(dirs);
    assert.match(String(run.error?.message), /a-corrupted\/dummystream: unknown event id 255/, `${pair.join(' + ')}: the corrupted copy is the one read`);
  }
});
