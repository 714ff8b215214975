// The bash completion that `completion` prints, run by a real bash as the
// shell runs it (COMP_WORDS, COMP_CWORD, the function's COMPREPLY), against
// the specification commander parses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specificationProgram } from '../src/cli/args.js';
import { CLI, runCli } from './helpers/cli.js';

const script = spawnSync(process.execPath, [CLI, 'completion'], { encoding: 'utf8' }).stdout;

/** What bash offers for the last word of `words`, run in `cwd`. */
function complete(words: string[], cwd = tmpdir()): string[] {
  const run = spawnSync(
    'bash',
    ['-c', 'eval "$COMPLETION"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _benchmark_tracer; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', 'benchmark-tracer', ...words],
    { encoding: 'utf8', cwd, env: { ...process.env, COMPLETION: script } },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  return run.stdout.split('\n').filter(Boolean).sort();
}

test('the script is bash, for the tool, and `completion zsh` is one line and exit 2', async () => {
  assert.match(script, /^# bash completion for benchmark-tracer /);
  assert.match(script, /\ncomplete -o filenames -o nosort -F _benchmark_tracer benchmark-tracer\n$/);
  assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
  const zsh = await runCli(['completion', 'zsh']);
  assert.equal(zsh.code, 2);
  assert.match(zsh.stderr, /^benchmark-tracer: completion is for bash \(zsh: autoload bashcompinit; bashcompinit\), not "zsh"\n$/);
});

test('subcommands, and applications where recording is the default', () => {
  assert.deepEqual(complete(['an']), ['analyze']);
  assert.deepEqual(complete(['re']), ['record', 'redis']);
  assert.deepEqual(complete(['record', 're']), ['redis'], 'named: only applications');
  assert.deepEqual(complete(['redis', 're']), [], 'an application is given: no second one, and no subcommand after it');
});

test('every subcommand offers exactly the options commander parses for it', () => {
  for (const command of specificationProgram().commands) {
    const name = command.name();
    const expected = command.options
      .filter((o) => !o.hidden && o.long)
      .map((o) => (o.optional ? `${o.long}=` : o.long!))
      .concat('--help')
      .sort();
    assert.deepEqual(complete([name, '--']), expected, name);
  }
  assert.deepEqual(complete(['analyze', '--sys']), [], "record's options are not analyze's");
  assert.deepEqual(complete(['--no-']), ['--no-user-args'], 'recording without its name');
});

test('option values: choices, commands and files; an option value is not an argument', () => {
  assert.deepEqual(complete(['convert', 'trace', '--to', 'p']), ['parquet', 'perfetto']);
  assert.deepEqual(complete(['--backend', '']), ['auto', 'ftrace', 'lttng']);
  assert.deepEqual(complete(['nginx', '--events', 'de']), ['default']);
  assert.deepEqual(complete(['nginx', '--userspace=l']), ['--userspace=libc']);
  assert.deepEqual(complete(['--duration', '3']), [], 'a number: nothing to offer');
  assert.ok(complete(['--custom', 'bas']).includes('bash'), 'a command');
  // --runs-dir's value is not the application: an application may still follow.
  assert.deepEqual(complete(['--runs-dir', '/tmp', 'ngi']), ['nginx']);
});

test('trace arguments are directories; query completes only its trace, not its SQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-completion-'));
  try {
    mkdirSync(join(dir, 'traces', 'redis_20261203_101010'), { recursive: true });
    assert.deepEqual(complete(['analyze', 'tr'], dir), ['traces']);
    assert.deepEqual(complete(['analyze', 'traces/red'], dir), ['traces/redis_20261203_101010']);
    assert.deepEqual(complete(['compare', 'traces', 'tr'], dir), ['traces']);
    assert.deepEqual(complete(['analyze', 'traces', 'tr'], dir), [], 'analyze reads one trace');
    assert.deepEqual(complete(['query', 'tr'], dir), ['traces']);
    assert.deepEqual(complete(['query', 'traces', 'tr'], dir), [], 'the SQL');
    assert.deepEqual(complete(['completion', ''], dir), ['bash']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
