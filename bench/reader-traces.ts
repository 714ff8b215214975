// The traces the reader benchmark reads, made here and kept in a cache
// directory between runs (making them takes a minute; reading them is what
// is measured):
// - an LTTng-UST trace: liblttng-ust-libc-wrapper.so preloaded into a C loop
//   of malloc/free, one event each, in a blocking channel (nothing lost);
// - a kernel trace of ours: `benchmark-tracer redis` (tracefs), its kernel/.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LttngClient } from '../src/backends/lttng/lttng-cli.js';
import { acquireSessiond, releaseSessiond } from '../src/backends/lttng/sessiond.js';
import { UST_HELPERS, UST_LIBRARY_DIRS } from '../src/backends/lttng/userspace.js';
import { findTraceDirs } from '../src/ctf/trace-reader.js';
import { findExecutable } from '../src/util/executables.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const MALLOC_LOOP = `#include <stdlib.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  for (long i = 0; i < n; i++) {
    char *volatile p = malloc(16 + (i & 1023));
    if (!p) return 1;
    p[0] = 1;
    free(p);
  }
  return 0;
}
`;

function need(program: string, debianPackage: string): string {
  const found = findExecutable(program);
  if (!found) throw new Error(`${program} is needed to make the benchmark trace: apt-get install ${debianPackage}`);
  return found;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 30 * 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr?.trim() ?? result.error?.message}`);
}

/** An LTTng-UST trace of about `events` events (malloc and free alternate), under `dir`; made once. */
export async function ustMallocTrace(dir: string, events: number): Promise<string> {
  const existing = existsSync(dir) ? findTraceDirs(dir) : [];
  if (existing.length > 0) return dir;
  const cc = need('cc', 'gcc');
  need('lttng', 'lttng-tools');
  const wrapper = UST_LIBRARY_DIRS.map((lib) => join(lib, UST_HELPERS.libc)).find(existsSync);
  if (!wrapper) throw new Error(`${UST_HELPERS.libc} is missing: apt-get install liblttng-ust1`);
  const work = mkdtempSync(join(tmpdir(), 'bt-bench-ust-'));
  const sessiond = await acquireSessiond(false);
  const lttng = new LttngClient(work);
  const session = `bt-bench-ust-${process.pid}`;
  try {
    writeFileSync(join(work, 'loop.c'), MALLOC_LOOP);
    run(cc, ['-O0', '-o', join(work, 'loop'), join(work, 'loop.c')]);
    mkdirSync(dir, { recursive: true });
    await lttng.run(['create', session, `--output=${join(dir, 'trace')}`]);
    // Blocking: the loop waits for the consumer rather than losing events.
    await lttng.run(['enable-channel', '-u', '-s', session, '--subbuf-size=4M', '--num-subbuf=8', '--blocking-timeout=inf', 'chan']);
    await lttng.run(['enable-event', '-u', '-s', session, '-c', 'chan', 'lttng_ust_libc:malloc,lttng_ust_libc:free']);
    await lttng.run(['add-context', '-u', '-s', session, '-c', 'chan', '-t', 'vpid', '-t', 'vtid', '-t', 'procname']);
    await lttng.run(['start', session]);
    run(join(work, 'loop'), [String(Math.ceil(events / 2))], { ...process.env, LD_PRELOAD: wrapper, LTTNG_UST_ALLOW_BLOCKING: '1' });
    await lttng.run(['stop', session], 10 * 60_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await lttng.destroy(session);
    await releaseSessiond(sessiond);
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** A kernel trace of ours (tracefs) of a Redis run of this many seconds (about 1.1 M events a second here); made once. */
export function redisKernelTrace(dir: string, durationSeconds: number): string {
  const found = () => (existsSync(dir) ? findTraceDirs(dir).find((d) => d.endsWith('/kernel')) : undefined);
  const existing = found();
  if (existing) return existing;
  mkdirSync(dir, { recursive: true });
  run(process.execPath, [CLI, 'redis', '--duration', String(durationSeconds), '--runs-dir', dir, '-q']);
  const trace = found();
  if (!trace) throw new Error(`benchmark-tracer redis wrote no kernel/ trace under ${dir}: ${readdirSync(dir).join(', ')}`);
  // The run's own text of it (gigabytes) is not needed here.
  rmSync(join(trace, '..', 'trace_output.txt'), { force: true });
  return trace;
}
