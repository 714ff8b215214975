// One fuzzer worker thread: builds each case it is sent, writes it to a
// scratch directory, runs the command as the CLI runs it (the same command
// functions, the same mapping of errors to exit codes and lines as main.ts),
// and judges what came out.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeCommand } from '../../src/cli/analyze-commands.js';
import { convertCommand } from '../../src/cli/read-commands.js';
import { errorMessage, UserError } from '../../src/util/errors.js';
import { loadCorpus, makeCase, type FuzzCase } from './mutations.js';

export interface CaseResult {
  index: number;
  trace: string;
  command: string;
  mutations: string[];
  code: number;
  /** What the CLI would print on stderr. */
  lines: string[];
  ms: number;
  /** Why this run breaks the fuzzer's rules; null when it keeps them. */
  problem: string | null;
}

/** scratch: the runner's directory for cases, removed by it (a terminated worker runs no clean-up). */
const { corpus: corpusDir, seed, scratch } = workerData as { corpus: string; seed: number; scratch: string };
const corpus = loadCorpus(corpusDir);

// The commands print warnings and damage to stderr; here they are the case's output.
let captured: string[] = [];
const capture = (chunk: unknown): boolean => {
  captured.push(Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk));
  return true;
};
process.stderr.write = capture as typeof process.stderr.write;
console.error = (...args: unknown[]) => capture(`${args.map(String).join(' ')}\n`);

async function run(fuzzCase: FuzzCase, dir: string): Promise<number> {
  if (fuzzCase.command === 'analyze') {
    return analyzeCommand({ traceDir: dir, json: true, html: null, outputFile: '/dev/null', top: 10, quiet: true });
  }
  return convertCommand(dir, fuzzCase.command, '/dev/null');
}

/** The rules: exit 0 or 1; at most one error line, naming a file of the case and where in it; nothing of a crash. */
export function judge(code: number, lines: string[], dir: string): string | null {
  if (code !== 0 && code !== 1) return `exit code ${code}`;
  const errors = lines.filter((line) => line.startsWith('benchmark-tracer:'));
  const crash = lines.find((line) => /internal error|\n\s+at |\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|AggregateError)\b/.test(line));
  if (crash) return `crash: ${crash.trim()}`;
  const strays = lines.filter((line) => !line.startsWith('benchmark-tracer:') && !line.startsWith('WARNING: '));
  if (strays.length > 0) return `unexpected output: ${strays[0]!.trim()}`;
  if (errors.length > 1) return `${errors.length} error lines`;
  if (code === 1 && errors.length === 0) return 'exit 1 without an error line';
  const error = errors[0];
  if (error) {
    if (!error.endsWith('\n') || error.indexOf('\n') !== error.length - 1) return `error not one line: ${JSON.stringify(error)}`;
    if (!error.includes(`${dir}/`)) return `error names no file of the trace: ${error.trim()}`;
    if (!/\(at (byte|line) \d+\)/.test(error)) return `error says not where: ${error.trim()}`;
  }
  return null;
}

parentPort!.on('message', async (index: number) => {
  const fuzzCase = makeCase(corpus, seed, index);
  const dir = join(scratch, `case-${index}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const file of fuzzCase.files) writeFileSync(join(dir, file.name), file.bytes);
  captured = [];
  const started = performance.now();
  let code: number;
  try {
    code = await run(fuzzCase, dir);
  } catch (error) {
    // As main.ts prints them.
    if (error instanceof UserError) {
      capture(`benchmark-tracer: ${error.message}\n`);
      code = error.exitCode;
    } else {
      capture(`benchmark-tracer: internal error: ${errorMessage(error)}\n${(error as Error)?.stack ?? ''}\n`);
      code = 1;
    }
  }
  const ms = performance.now() - started;
  const lines = captured.join('').split(/(?<=\n)/).filter((line) => line.length > 0);
  rmSync(dir, { recursive: true, force: true });
  const result: CaseResult = {
    index,
    trace: fuzzCase.trace,
    command: fuzzCase.command,
    mutations: fuzzCase.mutations,
    code,
    lines: lines.slice(0, 5),
    ms,
    problem: judge(code, lines, dir),
  };
  parentPort!.postMessage(result);
});
