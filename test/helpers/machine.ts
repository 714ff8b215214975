// What a test needs of the machine (root, a tool, a server from Debian), in
// one place. A test declared with testNeeding() runs when the machine has
// it all; when it does not, the test fails with one line in CI (CI=true:
// .ci/run installs everything, so a lack is a bug there) and is skipped
// elsewhere, saying why on stderr and in the test report.

import { spawnSync } from 'node:child_process';
import { test, type TestFn, type TestOptions } from 'node:test';

/** Says what is missing and how to get it, or null when the machine has it. */
export type Need = () => string | null;

export const ROOT: Need = () => (process.getuid?.() === 0 ? null : 'not root: this test records kernel events (tracefs) and must run as root');

const found = new Map<string, boolean>();

/** A program on PATH, from a Debian package. */
export function tool(name: string, debianPackage: string): Need {
  return () => {
    if (!found.has(name)) found.set(name, spawnSync('sh', ['-c', `command -v '${name}'`], { encoding: 'utf8' }).stdout.trim() !== '');
    return found.get(name) ? null : `${name} is missing: apt-get install ${debianPackage}`;
  };
}

/** The first thing missing, or null. */
export function missingOf(needs: readonly Need[]): string | null {
  for (const need of needs) {
    const missing = need();
    if (missing !== null) return missing;
  }
  return null;
}

export const inCi = (): boolean => process.env.CI === 'true';

/** An error that prints as its one line, without a stack: the reason is all there is to say. */
function lack(reason: string): Error {
  const error = new Error(`the machine lacks what this test needs: ${reason}`);
  error.stack = error.message;
  return error;
}


export interface NeedingTest {
  (name: string, fn: TestFn): void;
  (name: string, options: TestOptions, fn: TestFn): void;
  /** The same, with more needs for one test (a tool only it uses). */
  needing(...more: Need[]): NeedingTest;
}

/** node:test's test(), for tests that need these; use it in place of test. */
export function testNeeding(...needs: Need[]): NeedingTest {
  const declare = (name: string, optionsOrFn: TestOptions | TestFn, maybeFn?: TestFn): void => {
    const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn!;
    const missing = missingOf(needs);
    if (missing === null) {
      test(name, options, fn);
    } else if (inCi()) {
      test(name, options, () => {
        throw lack(missing);
      });
    } else {
      process.stderr.write(`SKIPPED (${missing}): ${name}\n`);
      test(name, { ...options, skip: missing }, fn);
    }
  };
  return Object.assign(declare as NeedingTest, { needing: (...more: Need[]) => testNeeding(...needs, ...more) });
}

/** For helpers that run inside a test: throws the one line when something is missing (the test's declaration says so first). */
export function assertMachineHas(...needs: Need[]): void {
  const missing = missingOf(needs);
  if (missing !== null) throw lack(missing);
}
