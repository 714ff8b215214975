// Our text of real LTTng traces (../shared/corpus) and of a fresh trace from
// our recorder equals babeltrace2's text, byte for byte, generated on the fly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSameLines, babeltraceText, ourExport } from './helpers/ctf-text.js';
import { onlyRun, runCli, tempOutputDir } from './helpers/cli.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

async function assertSameText(dirs: string[]): Promise<void> {
  const reference = babeltraceText(dirs);
  const ours = await ourExport(dirs);
  assert.equal(ours.error, null, `our reader failed: ${ours.error?.message}`);
  assert.equal(ours.warnings, reference.stderr, 'the same warnings');
  assertSameLines(ours.bytes, reference.stdout);
}

const CORPUS_GROUPS = ['lttng-kernel', 'lttng-kernel-ust'];

test('the corpus of real LTTng traces is there (shared/ beside the checkout)', () => {
  for (const group of CORPUS_GROUPS) {
    const groupDir = join(CORPUS, group);
    assert.ok(existsSync(groupDir) && readdirSync(groupDir).length > 0, `the corpus is missing at ${groupDir}`);
  }
});

for (const group of CORPUS_GROUPS) {
  const groupDir = join(CORPUS, group);
  for (const name of existsSync(groupDir) ? readdirSync(groupDir).sort() : []) {
    test(`corpus ${group}/${name}: text equals babeltrace2's`, async () => {
      await assertSameText([join(groupDir, name)]);
    });
  }
}

test('corpus kernel + userspace traces together: one time-ordered text, as babeltrace2 merges them', async () => {
  const pair = join(CORPUS, 'lttng-kernel-ust');
  assert.ok(existsSync(pair), `the corpus is missing at ${pair}`);
  await assertSameText([join(pair, 'cat-kernel'), join(pair, 'cat-ust')]);
  await assertSameText([pair]);
});

test('a fresh trace from our recorder: text equals babeltrace2, and convert prints it', async () => {
  const output = tempOutputDir();
  try {
    await checkFreshTrace(output);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
});

async function checkFreshTrace(output: string): Promise<void> {
  const result = await runCli(['--custom', "sh -c 'ls / >/dev/null; echo hi | cat >/dev/null'", '--runs-dir', output, '-q']);
  assert.equal(result.code, 0, result.stderr);
  const { dir } = onlyRun(output);
  const kernel = join(dir, 'kernel');
  await assertSameText([kernel]);

  // The CLI prints what the export printed above, which equals babeltrace2's
  // text but where babeltrace2 2.0 repeats a stale string for an empty one
  // (an empty block_rq_issue cmd, when ls has to read the disk).
  const converted = await runCli(['convert', dir, '--to', 'text']);
  assert.equal(converted.code, 0, converted.stderr);
  assert.equal(converted.stdout, (await ourExport([kernel])).bytes.toString('utf8'));

  const jsonl = await runCli(['convert', dir, '--to', 'jsonl']);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const records = jsonl.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { name: string; timestamp_ns: string; packet_context: { cpu_id: number } });
  assert.equal(records.length, converted.stdout.trimEnd().split('\n').length);
  assert.ok(records.every((r) => typeof r.name === 'string' && /^\d+$/.test(r.timestamp_ns) && typeof r.packet_context.cpu_id === 'number'));
  for (let i = 1; i < records.length; i++) assert.ok(BigInt(records[i]!.timestamp_ns) >= BigInt(records[i - 1]!.timestamp_ns), 'time-ordered');
}
