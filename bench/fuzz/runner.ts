// Runs fuzz cases on worker threads with a watchdog: a case that takes
// longer than the limit, or kills its worker (out of memory), is a failure,
// and a fresh worker goes on with the next case. Peak memory of the whole
// process is sampled as cases run.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadCorpus, makeCase, type BaseTrace } from './mutations.js';
import type { CaseResult } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
export const DEFAULT_CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** First case number (to rerun one case of a report). */
  first?: number;
  workers?: number;
  corpus?: string;
  timeoutMs?: number;
  /** A worker's V8 heap limit: a reader that allocates from a damaged length dies here instead of taking the machine. */
  heapLimitMiB?: number;
  onResult?: (result: CaseResult) => void;
}

export interface FuzzReport {
  runs: number;
  failures: CaseResult[];
  peakRssMiB: number;
  slowestMs: number;
  seconds: number;
  byCommand: Record<string, { runs: number; exit0: number; exit1: number }>;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const first = options.first ?? 0;
  const end = first + options.runs;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let next = first;
  const failures: CaseResult[] = [];
  const byCommand: FuzzReport['byCommand'] = {};
  let slowestMs = 0;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const started = performance.now();

  const record = (result: CaseResult) => {
    const tally = (byCommand[result.command] ??= { runs: 0, exit0: 0, exit1: 0 });
    tally.runs++;
    if (result.code === 0) tally.exit0++;
    if (result.code === 1) tally.exit1++;
    slowestMs = Math.max(slowestMs, result.ms);
    if (result.ms > timeoutMs && !result.problem) result.problem = `took ${Math.round(result.ms)} ms`;
    if (result.problem) failures.push(result);
    options.onResult?.(result);
  };

  const corpusDir = options.corpus ?? DEFAULT_CORPUS;
  // Cases are written here (memory-backed where there is /dev/shm) and all removed at the end.
  const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bt-fuzz-'));
  let corpus: BaseTrace[] | undefined;
  const spawnWorker = () =>
    new Worker(WORKER, {
      workerData: { corpus: corpusDir, seed: options.seed, scratch },
      resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMiB ?? 1024 },
      stdout: true,
    });

  const lane = async (): Promise<void> => {
    let worker = spawnWorker();
    try {
      while (next < end) {
        const index = next++;
        const result = await new Promise<CaseResult>((resolve) => {
          const lost = (problem: string) => {
            cleanup();
            void worker.terminate();
            worker = spawnWorker();
            // The worker took the case with it: rebuild its description here.
            const { trace, command, mutations } = makeCase((corpus ??= loadCorpus(corpusDir)), options.seed, index);
            resolve({ index, trace, command, mutations, code: -1, lines: [], ms: timeoutMs, problem });
          };
          const timer = setTimeout(() => lost(`no end within ${timeoutMs / 1000} s`), timeoutMs);
          const onMessage = (message: CaseResult) => {
            cleanup();
            resolve(message);
          };
          const onError = (error: Error) => lost(`worker died: ${error.message}`);
          const onExit = (code: number) => lost(`worker exited (${code})`);
          const cleanup = () => {
            clearTimeout(timer);
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
          };
          worker.on('message', onMessage);
          worker.once('error', onError);
          worker.once('exit', onExit);
          worker.postMessage(index);
        });
        record(result);
      }
    } finally {
      await worker.terminate();
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.workers ?? 1) }, lane));
  } finally {
    clearInterval(sampler);
    rmSync(scratch, { recursive: true, force: true });
  }
  failures.sort((a, b) => a.index - b.index);
  return {
    runs: options.runs,
    failures,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    slowestMs: Math.round(slowestMs),
    seconds: (performance.now() - started) / 1000,
    byCommand,
  };
}
