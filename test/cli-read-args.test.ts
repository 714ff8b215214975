// convert and view on the command line: parsing and the errors a user sees.

import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../src/cli/args.js';
import { UserError } from '../src/util/errors.js';
import { CLI, runCli } from './helpers/cli.js';

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
  assert.throws(() => parseCommandLine(['convert', 'a', '--to', 'csv']), /--to must be one of text, jsonl, perfetto, parquet, not "csv"/);
  assert.throws(() => parseCommandLine(['convert', 'a', 'b']), UserError);
  assert.throws(() => parseCommandLine(['view', 'a', '-o', 'f']), UserError);
  assert.throws(() => parseCommandLine(['--custom', 'ls', '--to', 'text']), /--to goes with convert/);
});

const SMALL_TRACE = fileURLToPath(new URL('../../../shared/corpus/babeltrace-tests/succeed/smalltrace', import.meta.url));

/** One line on stderr, the tool's prefix, nothing of a crash. */
function assertOneLine(stderr: string, pattern: RegExp): void {
  assert.match(stderr, /^benchmark-tracer: [^\n]*\n$/, `one line: ${stderr}`);
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /internal error|    at |\b(TypeError|RangeError|ReferenceError)\b|\bE[A-Z]{3,}\b:/);
}

test('convert of a path that is no trace: one clear line, exit 2, never an internal error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-bad-path-'));
  try {
    const missing = await runCli(['convert', '/nonexistent/trace']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'benchmark-tracer: no such trace directory: /nonexistent/trace\n');
    const cases: Array<[string[], RegExp]> = [
      [['convert', join(SMALL_TRACE, 'metadata'), '--to', 'text'], /smalltrace\/metadata: not a directory/],
      [['convert', dir, '--to', 'text'], /no CTF trace here/],
      [['convert', '/proc/self/fdinfo', '--to', 'jsonl'], /no CTF trace here/],
      [['analyze', dir, '--json'], /no CTF trace here/],
      [['convert', SMALL_TRACE, '-o', dir], /cannot write .*: it is a directory/],
      [['convert', SMALL_TRACE, '-o', join(dir, 'no', 'such', 'dir.txt')], /cannot write .*dir\.txt/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assertOneLine(run.stderr, pattern);
      assert.equal(run.stdout, '');
    }
    // Root reads everything: the unreadable directory is tried as nobody.
    const locked = join(dir, 'locked');
    cpSync(SMALL_TRACE, join(locked, 'trace'), { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(locked, 0o700);
    const run = spawnSync(process.execPath, [CLI, 'convert', locked, '--to', 'text'], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(run.status, 2, run.stderr);
    assertOneLine(run.stderr, /locked: permission denied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('convert of a broken trace: one line naming the file, exit 1', async () => {
  const run = await runCli(['convert', join(SMALL_TRACE, '..', '..', 'fail', 'metadata-syntax-error'), '--to', 'text']);
  assert.equal(run.code, 1);
  assertOneLine(run.stderr, /metadata-syntax-error\/metadata: .* \(at line 3\)$/m);
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

test('one specification: subcommands, record as the default, one meaning per option, the old spellings with a note', () => {
  const notes: string[] = [];
  const record = (argv: string[]) => {
    const command = parseCommandLine(argv, (note) => notes.push(note));
    assert.equal(command.kind, 'record', argv.join(' '));
    return command.kind === 'record' ? command.options : null!;
  };
  assert.equal(record(['redis', '--runs-dir', '/tmp/runs']).runsDir, '/tmp/runs');
  assert.equal(record(['record', 'redis']).application, 'redis');
  assert.equal(record(['--duration', '5', 'redis']).application, 'redis');
  assert.equal(record(['redis']).runsDir, 'traces');
  assert.deepEqual(notes, []);
  assert.equal(record(['redis', '-o', '/tmp/old']).runsDir, '/tmp/old');
  assert.equal(record(['redis', '--output', '/tmp/old']).runsDir, '/tmp/old');
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /-o\/--output for a recording is deprecated: use --runs-dir DIR/);
  assert.throws(() => parseCommandLine(['redis', '--runs-dir', 'a', '-o', 'b']), /same option; give one/);
  assert.equal(record(['--no-user-args', '--custom', 'ls']).userArguments, false);
  assert.equal(record(['--custom', 'ls']).userArguments, true);

  assert.equal(parseCommandLine(['list']).kind, 'list');
  assert.equal(parseCommandLine(['list', '--events']).kind, 'list-events');
  assert.equal(parseCommandLine(['--list-events']).kind, 'list-events');
  assert.equal(parseCommandLine(['--version']).kind, 'version');
  assert.deepEqual(parseCommandLine(['compare', 'a', 'b', '--top', '3', '-o', 'c.txt']), { kind: 'compare', traceA: 'a', traceB: 'b', json: false, outputFile: 'c.txt', top: 3, quiet: false });

  // An option of another command says where it goes; an unknown one says so.
  assert.throws(() => parseCommandLine(['view', 'a', '--json']), /^UserError: --json goes with analyze, compare and query, not view \(see view --help\)$/);
  assert.throws(() => parseCommandLine(['convert', 'a', '--top', '3']), /--top goes with analyze and compare, not convert/);
  assert.throws(() => parseCommandLine(['analyze', 'a', '--nope']), /^UserError: Unknown option '--nope'/);
  assert.throws(() => parseCommandLine(['compare', 'a']), /missing required argument 'traceB' \(see compare --help\)/);
  assert.throws(() => parseCommandLine(['analyze', 'a', 'b']), /too many arguments/);
});

test('--help is generated from the specification: every command, the exit status; each command its own options', async () => {
  const help = parseCommandLine(['--help']);
  assert.equal(help.kind, 'help');
  const text = help.kind === 'help' ? help.text : '';
  for (const command of ['record', 'convert', 'view', 'analyze', 'compare', 'query', 'doctor', 'list', 'completion']) assert.match(text, new RegExp(`^  ${command}\\b`, 'm'), command);
  assert.match(text, /Exit status:\n  0 {4}done\n  1 {4}the run failed/);
  const analyze = parseCommandLine(['analyze', '--help']);
  assert.match(analyze.kind === 'help' ? analyze.text : '', /--top <n>[\s\S]*--html <file>|--html <file>[\s\S]*--top <n>/);
  const record = parseCommandLine(['record', '--help']);
  const recordText = record.kind === 'help' ? record.text : '';
  assert.match(recordText, /--runs-dir <dir>/);
  assert.match(recordText, /--userspace \[list\]/);
  assert.doesNotMatch(recordText, /--output/, 'the deprecated spelling is not advertised');
  const run = await runCli(['--help']);
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, text);
  const usage = await runCli(['analyze', 'a', '--nope']);
  assert.equal(usage.code, 2);
  assert.equal(usage.stdout, '');
  assert.match(usage.stderr, /^benchmark-tracer: Unknown option '--nope' \(see analyze --help\)\n$/);
});
