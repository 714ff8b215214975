// Helpers for end-to-end tests: run the built CLI, read what it wrote.

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FtraceDetails, LttngKernelDetails } from '../../src/backends/backend-details.js';
import { readRunMetadata, type RunMetadata } from '../../src/metadata/run-metadata.js';
import { assertMachineHas, tool } from './machine.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function tempOutputDir(): string {
  return mkdtempSync(join(tmpdir(), 'bt-test-'));
}

/** The single run directory a CLI call created under root. */
export function onlyRun(root: string): { dir: string; metadata: RunMetadata } {
  const runs = readdirSync(root).filter((e) => e !== 'latest' && !e.startsWith('.'));
  if (runs.length !== 1) throw new Error(`expected one run in ${root}, found: ${runs.join(', ')}`);
  const dir = join(root, runs[0]!);
  return { dir, metadata: readRunMetadata(dir) };
}

/** The ftrace backend's facts; fails when another backend recorded. */
export function ftraceDetails(metadata: RunMetadata): FtraceDetails {
  if (metadata.backend?.name !== 'ftrace') throw new Error(`expected the ftrace backend, got ${metadata.backend?.name ?? 'none'}`);
  return metadata.backend.details;
}

/** The LTTng kernel backend's facts; fails when another backend recorded. */
export function lttngDetails(metadata: RunMetadata): LttngKernelDetails {
  if (metadata.backend?.name !== 'lttng') throw new Error(`expected the lttng backend, got ${metadata.backend?.name ?? 'none'}`);
  return metadata.backend.details;
}

/** A tool a helper runs (babeltrace2, strace...): its path, or the test fails with one line (machine.ts). */
export function requireTool(name: string, debianPackage: string): string {
  assertMachineHas(tool(name, debianPackage));
  return spawnSync('sh', ['-c', `command -v '${name}'`], { encoding: 'utf8' }).stdout.trim();
}

export interface TextEvent {
  name: string;
  cpu: number;
  pid: number;
  tid: number;
  procname: string;
  payload: string;
}

const LINE = /^\[[^\]]+\] \(\+[^)]+\) \S+ ([^:]+): \{ cpu_id = (\d+) \}, \{ (.*?) \}(?:, \{ (.*) \})?$/;

/** One line of babeltrace2's text, or null when it is not an event line. */
export function parseTextEvent(line: string): TextEvent | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const context = m[3]!;
  return {
    name: m[1]!,
    cpu: Number(m[2]),
    pid: Number(/\bpid = (-?\d+)/.exec(context)?.[1]),
    tid: Number(/\btid = (-?\d+)/.exec(context)?.[1]),
    procname: /procname = "([^"]*)"/.exec(context)?.[1] ?? '',
    payload: m[4] ?? '',
  };
}

/**
 * Runs babeltrace2 on a trace directory and reads its text as it comes (a
 * busy server's trace prints more text than one string can hold): counts
 * every line, keeps the parsed events that `keep` wants.
 */
export async function babeltraceEvents(
  traceDir: string,
  keep: (e: TextEvent) => boolean = () => true,
): Promise<{ code: number | null; stderr: string; lines: number; events: TextEvent[] }> {
  requireTool('babeltrace2', 'babeltrace2');
  if (!existsSync(traceDir)) throw new Error(`no trace at ${traceDir}`);
  const child = spawn('babeltrace2', [traceDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  let lines = 0;
  const events: TextEvent[] = [];
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (!line) continue;
    lines++;
    const event = parseTextEvent(line);
    if (!event) throw new Error(`unexpected babeltrace2 line: ${line}`);
    if (keep(event)) events.push(event);
  }
  return { code: await closed, stderr, lines, events };
}
