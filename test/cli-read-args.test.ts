// convert and view on the command line: parsing and the errors a user sees.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../src/cli/args.js';
import { UserError } from '../src/util/errors.js';
import { runCli } from './helpers/cli.js';

test('convert and view parse into their commands', () => {
  assert.deepEqual(parseCommandLine(['convert', 'traces/x', '--to', 'jsonl', '-o', 'out.jsonl']), {
    kind: 'convert',
    traceDir: 'traces/x',
    format: 'jsonl',
    outputFile: 'out.jsonl',
  });
  assert.deepEqual(parseCommandLine(['convert', 'traces/x', '--to', 'perfetto', '-o', 't.json']), {
    kind: 'convert',
    traceDir: 'traces/x',
    format: 'perfetto',
    outputFile: 't.json',
  });
  assert.deepEqual(parseCommandLine(['convert', 'traces/x']), { kind: 'convert', traceDir: 'traces/x', format: 'text', outputFile: null });
  assert.deepEqual(parseCommandLine(['view']), { kind: 'view', traceDir: 'traces/latest' });
  assert.deepEqual(parseCommandLine(['view', 'a']), { kind: 'view', traceDir: 'a' });
  assert.throws(() => parseCommandLine(['convert']), UserError);
  assert.throws(() => parseCommandLine(['convert', 'a', '--to', 'csv']), /--to must be one of text, jsonl, perfetto, not "csv"/);
  assert.throws(() => parseCommandLine(['convert', 'a', 'b']), UserError);
  assert.throws(() => parseCommandLine(['view', 'a', '-o', 'f']), UserError);
  assert.throws(() => parseCommandLine(['--custom', 'ls', '--to', 'text']), /--to goes with convert/);
});

test('convert of a missing or broken trace: one line, no stack', async () => {
  const missing = await runCli(['convert', '/nonexistent/trace']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'benchmark-tracer: no such trace directory: /nonexistent/trace\n');
  const empty = await runCli(['convert', '/proc/self/fdinfo']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^benchmark-tracer: .*no CTF trace \(no metadata file\) here/);
});

test('--buffer-size: binary units, at least 4K, one-line error otherwise', () => {
  const bytes = (value: string) => {
    const command = parseCommandLine(['--custom', 'true', '--buffer-size', value]);
    return command.kind === 'record' ? command.options.bufferBytes : null;
  };
  assert.equal(bytes('16K'), 16 * 1024);
  assert.equal(bytes('64M'), 64 * 1024 * 1024);
  assert.equal(bytes('1GiB'), 1024 ** 3);
  assert.equal(bytes('8192'), 8192);
  for (const bad of ['1K', 'lots', '4.5M', '2T']) {
    assert.throws(() => parseCommandLine(['--custom', 'true', '--buffer-size', bad]), /^UserError: --buffer-size must be a size of at least 4K/);
  }
  const none = parseCommandLine(['--custom', 'true']);
  assert.equal(none.kind === 'record' ? none.options.bufferBytes : undefined, null);
});
