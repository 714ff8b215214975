// Database servers that refuse root (PostgreSQL) or should not run as root
// (MariaDB) run as the unprivileged user their Debian package creates. setpriv
// execs straight into the server, so the traced pid is the server itself.

import { execFile, spawnSync } from 'node:child_process';
import { findProgram } from './catalog.js';
import { shellQuote } from './instance-dir.js';
import { UserError } from '../util/errors.js';
import { recordProcess } from '../util/leftovers.js';

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
  /** A command line that runs `command` (already quoted) as this user. */
  run(command: string): string;
  /** The same as an argument vector, for execFile. */
  argv(program: string, args: string[]): [string, string[]];
}

/** The Debian-created account `name`; a missing one names the package that creates it. */
export function serviceUser(name: string, debianPackage: string): ServiceUser {
  const entry = (spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout ?? '').trim();
  const [, , uid, gid] = entry.split(':');
  if (!entry || uid === undefined || gid === undefined) {
    throw new UserError(`the ${name} user does not exist (its package creates it): apt-get install ${debianPackage}`);
  }
  const setpriv = requireProgram(['setpriv'], 'util-linux');
  const prefix = [setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--init-groups'];
  return {
    name,
    uid: Number(uid),
    gid: Number(gid),
    run: (command) => `${prefix.join(' ')} ${command}`,
    argv: (program, args) => [setpriv, [...prefix.slice(1), program, ...args]],
  };
}

/** The first of `names` that is installed; else a one-line error naming the package. */
export function requireProgram(names: string[], debianPackage: string): string {
  const path = findProgram({ names, debianPackage, role: 'client' });
  if (!path) throw new UserError(`${names.join(' or ')} is missing: apt-get install ${debianPackage}`);
  return path;
}

/** Runs a provisioning step (initdb...) to completion; a failure is an error with the tail of its output. */
export function runSetupStep(program: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(program, args, { cwd, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      forget();
      const output = `${stdout}${stderr}`.trim();
      if (error) reject(new Error(`${[program, ...args].map(shellQuote).join(' ')} failed: ${output.split('\n').slice(-5).join(' | ') || error.message}`));
      else resolve(output);
    });
    const forget = recordProcess(child.pid, program);
  });
}
