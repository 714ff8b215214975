// convert and view: a trace on disk -> text or JSON lines, to a file, stdout
// or a pager. The reading and formatting live in export/; this only picks
// where the bytes go.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileProblem } from '../ctf/trace-reader.js';
import { exportTrace, type ExportFormat } from '../export/ctf-export.js';
import { UserError } from '../util/errors.js';
import { traceErrorToUser } from './trace-errors.js';

export function checkTraceDir(traceDir: string): void {
  if (!existsSync(traceDir)) throw new UserError(`no such trace directory: ${traceDir}`);
}

export { traceErrorToUser };

/** A reader that went away (`| head`, a pager quit early) is not an error at all. */
async function withTraceErrors(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw traceErrorToUser(error);
  }
}

/** The output file, opened now: a path we cannot write is one line before any reading. */
function openOutput(file: string): Writable {
  try {
    return createWriteStream(file, { fd: openSync(file, 'w') });
  } catch (error) {
    throw new UserError(`cannot write ${file}: ${fileProblem(error) ?? (error as Error).message}`);
  }
}

function finished(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(resolve);
  });
}

export async function convertCommand(traceDir: string, format: ExportFormat, outputFile: string | null): Promise<number> {
  checkTraceDir(traceDir);
  const out = outputFile ? openOutput(outputFile) : process.stdout;
  await withTraceErrors(async () => {
    try {
      await exportTrace([traceDir], format, out, process.stderr);
    } finally {
      if (outputFile) await finished(out);
    }
  });
  return 0;
}

/** Like `lttng view`: paged on a terminal, plain otherwise. */
export async function viewCommand(traceDir: string): Promise<number> {
  checkTraceDir(traceDir);
  if (!process.stdout.isTTY) {
    await withTraceErrors(() => exportTrace([traceDir], 'text', process.stdout, process.stderr));
    return 0;
  }
  const pager = process.env.PAGER || 'less';
  const child = spawn('/bin/sh', ['-c', pager], { stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', ...process.env } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A pager quit early makes the last writes fail with EPIPE; that is how viewing ends.
  child.stdin.on('error', () => {});
  try {
    await withTraceErrors(() => exportTrace([traceDir], 'text', child.stdin, process.stderr));
  } finally {
    child.stdin.end();
    await exited;
  }
  return 0;
}
