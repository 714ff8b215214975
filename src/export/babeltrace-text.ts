// trace_output.txt as babeltrace2 prints it: the reference reader's own text.

import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { findExecutable } from '../util/executables.js';

export const BABELTRACE_INSTALL_HINT = 'apt-get install babeltrace2';

export interface TextExportResult {
  producedBy: string | null;
  /** Why there is no text, or what babeltrace2 warned about. */
  note: string | null;
  bytes: number;
}

export async function writeTextWithBabeltrace(traceDir: string, outFile: string): Promise<TextExportResult> {
  const babeltrace = findExecutable('babeltrace2');
  if (!babeltrace) {
    return { producedBy: null, note: `babeltrace2 is not installed, so no trace_output.txt (install: ${BABELTRACE_INSTALL_HINT})`, bytes: 0 };
  }
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
