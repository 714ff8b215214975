// Our text and babeltrace2's text of the same traces, as bytes, for
// byte-for-byte comparisons.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { exportTrace, type ExportFormat } from '../../src/export/ctf-export.js';
import { findExecutable } from '../../src/util/executables.js';

/** babeltrace2's default text of these trace directories; throws (never skips) when it is missing. */
export function babeltraceText(dirs: string[], args: string[] = []): { stdout: Buffer; stderr: string } {
  const executable = findExecutable('babeltrace2');
  if (!executable) throw new Error('babeltrace2 is not installed: apt-get install babeltrace2 (these tests compare our text with its text)');
  const run = spawnSync(executable, [...args, ...dirs], { maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`babeltrace2 ${dirs.join(' ')} exited with ${run.status}: ${run.stderr.toString()}`);
  return { stdout: run.stdout, stderr: run.stderr.toString() };
}

export class MemorySink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Our export; on a trace error, the bytes written before it come with the error. */
export async function ourExport(dirs: string[], format: ExportFormat = 'text'): Promise<{ bytes: Buffer; warnings: string; error: Error | null }> {
  const sink = new MemorySink();
  const warnings = new MemorySink();
  let error: Error | null = null;
  try {
    await exportTrace(dirs, format, sink, warnings);
  } catch (caught) {
    error = caught as Error;
  }
  return { bytes: sink.bytes(), warnings: warnings.bytes().toString('latin1'), error };
}

/**
 * babeltrace2 2.0.4 prints an empty string field as the stale text its pooled
 * field object held before (its string "clear" only resets the length). Our
 * reader prints "" there. A differing line passes only if it is exactly that:
 * the same line with some quoted strings emptied in ours.
 */
function isStaleEmptyString(ours: string, theirs: string): boolean {
  if (!ours.includes('= ""')) return false;
  const pattern = ours
    .split('= ""')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('= "(?:[^"\\\\]|\\\\.)+"');
  return new RegExp(`^${pattern}$`).test(theirs);
}

/** Our text equals babeltrace2's byte for byte, but for at most 5 lines of its stale empty strings. */
export function assertSameLines(ours: Buffer, theirs: Buffer): void {
  if (ours.equals(theirs)) return;
  const ourLines = ours.toString('latin1').split('\n');
  const theirLines = theirs.toString('latin1').split('\n');
  assert.equal(ourLines.length, theirLines.length, 'line counts differ');
  let stale = 0;
  for (let i = 0; i < ourLines.length; i++) {
    if (ourLines[i] === theirLines[i]) continue;
    assert.ok(isStaleEmptyString(ourLines[i]!, theirLines[i]!), `line ${i + 1} differs:\nbabeltrace2: ${theirLines[i]}\nours:        ${ourLines[i]}`);
    stale++;
  }
  assert.ok(stale <= 5, `${stale} lines differ only by babeltrace2's stale empty strings; more than expected`);
}
