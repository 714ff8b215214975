// The output layout of the original utility:
//   <root>/<name>_<YYYYmmdd_HHMMSS>/{kernel/, trace_output.txt, metadata.json}
//   <root>/latest -> <name>_<timestamp>   (relative, replaced atomically)

import { accessSync, constants, mkdirSync, renameSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, errorMessage } from '../util/errors.js';

export function runTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/** Checks that the root exists or can be made, and is writable, before anything is recorded. */
export function ensureWritableRoot(root: string): void {
  try {
    mkdirSync(root, { recursive: true });
    accessSync(root, constants.W_OK);
  } catch (error) {
    throw new UserError(`output directory ${root} is not writable: ${errorMessage(error)}`);
  }
}

/**
 * Claims a new run directory. mkdir without `recursive` fails when the name
 * exists, so two runs in the same second each get their own (…_2, …_3).
 */
export function createRunDir(root: string, name: string, date: Date): { dir: string; dirName: string } {
  const base = `${name}_${runTimestamp(date)}`;
  for (let n = 1; ; n++) {
    const dirName = n === 1 ? base : `${base}_${n}`;
    const dir = join(root, dirName);
    try {
      mkdirSync(dir);
      return { dir, dirName };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UserError(`cannot create ${dir}: ${errorMessage(error)}`);
      }
    }
  }
}

/** Points <root>/latest at dirName; rename(2) replaces the old link atomically. */
export function updateLatestLink(root: string, dirName: string): void {
  const temporary = join(root, `.latest-${process.pid}`);
  rmSync(temporary, { force: true });
  symlinkSync(dirName, temporary);
  renameSync(temporary, join(root, 'latest'));
}
