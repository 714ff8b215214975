import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onEmergency } from '../util/emergency.js';
import { recordLeftover } from '../util/leftovers.js';
import { NamespaceHolder } from '../util/namespace-holder.js';

/** A private, throw-away directory for one application instance. */
export function makeInstanceDir(app: string, owner?: { uid: number; gid: number }): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `benchmark-tracer-${app}-`));
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const remove = () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Clean-up must never throw; a busy leftover is reported by the tests.
    }
  };
  // Also on a second Ctrl-C, which exits without the normal clean-up.
  const forget = onEmergency(remove);
  const forgetLeftover = recordLeftover({ kind: 'directory', path: dir });
  return {
    dir,
    remove: () => {
      forget();
      remove();
      forgetLeftover();
    },
  };
}

/**
 * The instance dir and a network namespace of the instance's own (its
 * launchPrefix): no other user of the machine reaches its port.
 */
export async function makePrivateInstance(
  app: string,
  owner?: { uid: number; gid: number },
): Promise<{ dir: string; network: NamespaceHolder; cleanup: () => void }> {
  const { dir, remove } = makeInstanceDir(app, owner);
  try {
    const network = await NamespaceHolder.createNetwork(`the ${app} instance listens in a network namespace of its own`);
    return {
      dir,
      network,
      cleanup: () => {
        network.close();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Quotes a string for a POSIX shell command line. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A password for one run: 144 random bits, letters, digits, - and _ (safe in every config syntax we write). */
export function newSecret(): string {
  return randomBytes(18).toString('base64url');
}

/** A file only its owner reads (0600): configuration that holds the run's secret. */
export function writePrivateFile(path: string, content: string, owner?: { uid: number; gid: number }): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  if (owner) chownSync(path, owner.uid, owner.gid);
}
