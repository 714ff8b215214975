// trace_output.txt as babeltrace2 prints it: the reference reader's own text
// when it is installed, else the same text from our reader. Several trace
// directories (kernel/ and ust/) are merged in time order.

import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, rmSync, statSync } from 'node:fs';
import { findExecutable } from '../util/executables.js';
import { recordProcess } from '../util/leftovers.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { exportTrace } from './ctf-export.js';

export const BABELTRACE_INSTALL_HINT = 'apt-get install babeltrace2';

export interface TextExportResult {
  producedBy: string | null;
  /** Why there is no text, or what babeltrace2 warned about. */
  note: string | null;
  bytes: number;
}

/**
 * babeltrace2 2.0 refuses to merge our kernel trace (not an LTTng tracer, so
 * its clock counts as absolute) with an LTTng userspace trace of the same
 * clock unless told to correlate them.
 */
export function babeltraceArgs(traceDirs: string[]): string[] {
  return [...(traceDirs.length > 1 ? ['--clock-force-correlate'] : []), ...traceDirs];
}

/** An abort stops babeltrace2 and removes its partial text: no half-written file is left looking whole. */
export async function writeTraceText(traceDirs: string | string[], outFile: string, signal?: AbortSignal): Promise<TextExportResult> {
  const dirs = typeof traceDirs === 'string' ? [traceDirs] : traceDirs;
  const babeltrace = findExecutable('babeltrace2');
  if (!babeltrace) return writeTextWithOwnReader(dirs, outFile);
  const out = openSync(outFile, 'w');
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(babeltrace, babeltraceArgs(dirs), { stdio: ['ignore', out, 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      const forget = recordProcess(child.pid, 'babeltrace2 (trace_output.txt)');
      const stop = () => child.kill('SIGTERM');
      signal?.addEventListener('abort', stop, { once: true });
      child.once('error', reject);
      child.once('exit', (exitCode) => {
        forget();
        signal?.removeEventListener('abort', stop);
        resolve({ code: exitCode, stderr });
      });
    });
    if (signal?.aborted) {
      rmSync(outFile, { force: true });
      return { producedBy: null, note: `not written: ${String(signal.reason)} while babeltrace2 wrote it (babeltrace2 kernel/ writes it)`, bytes: 0 };
    }
    if (code !== 0) {
      rmSync(outFile, { force: true });
      throw new Error(`babeltrace2 exited with ${code} (its partial text removed): ${stderr.trim().split('\n')[0] ?? ''}`);
    }
    return { producedBy: 'babeltrace2', note: stderr.trim() || null, bytes: statSync(outFile).size };
  } finally {
    closeSync(out);
  }
}

async function writeTextWithOwnReader(traceDirs: string[], outFile: string): Promise<TextExportResult> {
  const out = createWriteStream(outFile);
  try {
    await exportTrace(traceDirs, 'text', out);
  } catch (error) {
    rmSync(outFile, { force: true });
    throw error;
  } finally {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
  }
  return {
    producedBy: `${TOOL_NAME} ${TOOL_VERSION}`,
    note: `babeltrace2 is not installed; the text comes from ${TOOL_NAME}'s own CTF reader (same format; install: ${BABELTRACE_INSTALL_HINT})`,
    bytes: statSync(outFile).size,
  };
}
