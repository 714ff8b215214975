// trace_output.txt as babeltrace2 prints it: the reference reader's own text
// when it is installed, else the same text from our reader.

import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, statSync } from 'node:fs';
import { findExecutable } from '../util/executables.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { exportTrace } from './ctf-export.js';

export const BABELTRACE_INSTALL_HINT = 'apt-get install babeltrace2';

export interface TextExportResult {
  producedBy: string | null;
  /** Why there is no text, or what babeltrace2 warned about. */
  note: string | null;
  bytes: number;
}

export async function writeTraceText(traceDir: string, outFile: string): Promise<TextExportResult> {
  const babeltrace = findExecutable('babeltrace2');
  if (!babeltrace) return writeTextWithOwnReader(traceDir, outFile);
  const out = openSync(outFile, 'w');
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(babeltrace, [traceDir], { stdio: ['ignore', out, 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ code: exitCode, stderr }));
    });
    if (code !== 0) throw new Error(`babeltrace2 exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`);
    return { producedBy: 'babeltrace2', note: stderr.trim() || null, bytes: statSync(outFile).size };
  } finally {
    closeSync(out);
  }
}

async function writeTextWithOwnReader(traceDir: string, outFile: string): Promise<TextExportResult> {
  const out = createWriteStream(outFile);
  try {
    await exportTrace([traceDir], 'text', out);
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
