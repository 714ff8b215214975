// The seeded fuzzer (bench/fuzz/, `npm run fuzz`) as CI runs it: a few
// hundred cases over every trace of ../shared/corpus through convert --to
// text, jsonl, perfetto and analyze --json. Each ends in time with exit 0 or
// 1 and at most one error line that names the file and where in it; nothing
// of a crash; memory bounded. A failure prints the case, to rerun with
// `npm run fuzz -- --seed S --first I --runs 1`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DEFAULT_CORPUS, runFuzz } from '../bench/fuzz/runner.js';
import { loadCorpus, makeCase } from '../bench/fuzz/mutations.js';

const SEED = 20240611;
const RUNS = 300;

test('fuzz cases are a pure function of seed and number', () => {
  assert.ok(existsSync(DEFAULT_CORPUS), `the corpus is missing at ${DEFAULT_CORPUS}`);
  const corpus = loadCorpus(DEFAULT_CORPUS);
  assert.ok(corpus.length >= 60, `every trace of the corpus: ${corpus.length}`);
  assert.ok(corpus.some((t) => t.name.startsWith('lttng-kernel/') && t.packetFields.some((f) => f.name === 'packet_size')), 'packet fields found in real traces');
  for (const index of [0, 17, 299]) {
    const a = makeCase(corpus, SEED, index);
    const b = makeCase(corpus, SEED, index);
    assert.deepEqual(a.mutations, b.mutations);
    assert.ok(a.files.every((f, i) => f.bytes.equals(b.files[i]!.bytes)));
  }
});

test(`fuzz: ${RUNS} seeded cases through text, jsonl, perfetto and analyze keep the rules`, async () => {
  const report = await runFuzz({ runs: RUNS, seed: SEED, workers: 1, heapLimitMiB: 512 });
  const described = report.failures.map((f) => `case ${f.index}: ${f.problem}\n  ${f.trace} ${f.command}: ${f.mutations.join('; ')}\n  ${f.lines.join('  ')}`);
  assert.deepEqual(described, [], `seed ${SEED}`);
  // Every command ran, and the damage was mostly found (not a fuzzer that only feeds intact traces).
  for (const command of ['text', 'jsonl', 'perfetto', 'analyze']) {
    const tally = report.byCommand[command];
    assert.ok(tally && tally.runs > RUNS / 8, `${command} ran: ${JSON.stringify(report.byCommand)}`);
    assert.ok(tally.exit1 > tally.runs / 3, `${command}: damage found: ${JSON.stringify(tally)}`);
  }
  assert.ok(report.peakRssMiB < 1024, `peak RSS ${report.peakRssMiB} MiB`);
});
