// What the Apache and Nginx profiles share: the www-data owner of the
// instance dir, the document root they serve (a page and a 64 KiB static
// file), the HTTP GET used as readiness probe and smoke test, the stop that
// waits for the server to be gone, and the parsers of ab's and wrk's reports.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { makeInstanceDir, shellQuote } from './instance-dir.js';
import type { AppInstance, ClientStep, InstanceAccess } from './profile.js';

/** The user Debian's apache2 and nginx workers drop to. */
export const WORKER_USER = 'www-data';

export const BENCHMARK_CONNECTIONS = 50;

/** A web server hands its static test pages to whoever asks, as any web server; it is bound to 127.0.0.1 only. */
export const WEB_SERVER_ACCESS: InstanceAccess = {
  network: 'loopback (127.0.0.1) only',
  authentication: null,
  note: 'static test pages, readable by any local user as from any web server',
};

/** uid and gid of www-data; the workers must be able to read the instance's document root. */
function workerOwner(): { uid: number; gid: number } {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // Reported below.
  }
  const fields = passwd.split('\n').map((line) => line.split(':')).find((f) => f[0] === WORKER_USER);
  if (!fields) throw new UserError(`the ${WORKER_USER} user is missing: apt-get install --reinstall base-passwd`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * Builds an instance in a private dir that the www-data workers can read,
 * and removes the dir again when building fails half-way.
 */
export async function provisionInWorkerDir(
  app: string,
  build: (dir: string, cleanup: () => void) => Promise<AppInstance>,
): Promise<AppInstance> {
  const { dir, remove } = makeInstanceDir(app, workerOwner());
  const cleanup = () => {
    try {
      remove();
    } catch {
      // Cleanup runs from signal handlers too: it must not throw; the dir name says what it was.
    }
  };
  try {
    return await build(dir, cleanup);
  } catch (error) {
    cleanup();
    throw error;
  }
}

export interface DocumentRoot {
  dir: string;
  pagePath: string;
  staticPath: string;
  /** "status bytes sha256" as httpGetCommand prints it for each file. */
  pageAnswer: string;
  staticAnswer: string;
}

const STATIC_FILE_BYTES = 64 * 1024;

/** Writes htdocs/ with index.html and a 64 KiB file of random bytes, so a smoke GET can check it got exactly them. */
export function writeDocumentRoot(instanceDir: string, server: string): DocumentRoot {
  const dir = join(instanceDir, 'htdocs');
  mkdirSync(dir);
  // Big enough (> 256 bytes) that Apache sends it with sendfile too, as Nginx does.
  const page = Buffer.from(
    [
      '<!DOCTYPE html>',
      `<html><head><title>benchmark-tracer ${server}</title></head>`,
      '<body>',
      `<h1>benchmark-tracer: ${server}</h1>`,
      `<p>${'A private, throw-away instance traced under a benchmark. '.repeat(8)}</p>`,
      '</body></html>',
      '',
    ].join('\n'),
  );
  const staticFile = randomBytes(STATIC_FILE_BYTES);
  writeFileSync(join(dir, 'index.html'), page);
  writeFileSync(join(dir, 'static-64k.bin'), staticFile);
  const answer = (content: Buffer) => `200 ${content.length} ${createHash('sha256').update(content).digest('hex')}`;
  return { dir, pagePath: '/', staticPath: '/static-64k.bin', pageAnswer: answer(page), staticAnswer: answer(staticFile) };
}

/**
 * A shell command that GETs url with Node's fetch (Node runs this tool, so it
 * is always there, unlike curl), prints "status bytes sha256" and exits 0
 * only on a 2xx answer.
 */
export function httpGetCommand(url: string): string {
  const script = [
    'try {',
    `const r = await fetch(${JSON.stringify(url)});`,
    'const body = Buffer.from(await r.arrayBuffer());',
    // Not console.log: under FORCE_COLOR (a test runner on a terminal sets it) it colours numbers.
    'const hash = (await import("node:crypto")).createHash("sha256").update(body).digest("hex");',
    'process.stdout.write(`${r.status} ${body.length} ${hash}\\n`);',
    'process.exitCode = r.ok ? 0 : 1;',
    // One line, not a stack trace: the session reports the first line of a failed step.
    `} catch (e) { console.error(${JSON.stringify(`GET ${url}: `)} + (e.cause?.message ?? e.message)); process.exitCode = 1; }`,
  ].join(' ');
  return `${shellQuote(process.execPath)} --input-type=module -e ${shellQuote(script)}`;
}

/** GET of the page and of the static file; each must come back byte for byte. */
export function smokeSteps(baseUrl: string, root: DocumentRoot): ClientStep[] {
  const exactly = (answer: string) => new RegExp(`^${answer}$`, 'm');
  return [
    { label: 'GET page', command: httpGetCommand(baseUrl + root.pagePath), expectOutput: exactly(root.pageAnswer) },
    { label: 'GET static file', command: httpGetCommand(baseUrl + root.staticPath), expectOutput: exactly(root.staticAnswer) },
  ];
}

/** Without --duration there is no deadline: the benchmark runs this long. */
const UNBOUNDED_BENCHMARK_SECONDS = 10;

/**
 * Whole seconds of benchmark: ab and wrk take whole seconds, and one that is
 * still running at the run's deadline is stopped before printing its report,
 * so it gets a second less than --duration (and at least one).
 */
export function benchmarkSeconds(durationSeconds: number | null): number {
  if (durationSeconds === null) return UNBOUNDED_BENCHMARK_SECONDS;
  return Math.max(1, Math.ceil(durationSeconds - 1));
}

/** Sends the graceful stop, then waits (the session bounds it) until the server removed its pid file on exit. */
export function stopAndWait(signalCommand: string, pidFile: string): string {
  return `${signalCommand} && while [ -e ${shellQuote(pidFile)} ]; do sleep 0.1; done`;
}

function numberAfter(stdout: string, label: RegExp): number | null {
  const match = new RegExp(`^\\s*${label.source}\\s*([\\d.]+)`, 'm').exec(stdout);
  return match ? Number(match[1]) : null;
}

/** ab's report: throughput, failures, and the "served within" percentiles (ms). */
export function parseAbOutput(stdout: string): Record<string, number> {
  const figures: Record<string, number> = {};
  const fields: Array<[string, RegExp]> = [
    ['requests_per_second', /Requests per second:/],
    ['complete_requests', /Complete requests:/],
    ['failed_requests', /Failed requests:/],
    ['non_2xx_responses', /Non-2xx responses:/],
    ['keep_alive_requests', /Keep-Alive requests:/],
    ['time_taken_seconds', /Time taken for tests:/],
    ['time_per_request_ms', /Time per request:/],
    ['transfer_rate_kbytes_per_second', /Transfer rate:/],
  ];
  for (const [key, label] of fields) {
    const value = numberAfter(stdout, label);
    if (value !== null) figures[key] = value;
  }
  // ab prints the line only when some responses were not 2xx.
  if (figures.complete_requests !== undefined) figures.non_2xx_responses ??= 0;
  for (const match of stdout.matchAll(/^\s*(\d+)%\s+(\d+)/gm)) {
    const percent = match[1]!;
    figures[percent === '100' ? 'latency_max_ms' : `latency_p${percent}_ms`] = Number(match[2]);
  }
  return figures;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function milliseconds(text: string): number | null {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return match ? Number(match[1]) * TIME_UNITS_MS[match[2]!]! : null;
}

function bytes(text: string): number | null {
  const match = /^([\d.]+)([KMGT]?B)$/.exec(text);
  return match ? Math.round(Number(match[1]) * SIZE_UNITS_BYTES[match[2]!]!) : null;
}

/** wrk --latency's report: throughput, latency (ms), socket errors and non-2xx/3xx answers. */
export function parseWrkOutput(stdout: string): Record<string, number> {
  const figures: Record<string, number> = {};
  const set = (key: string, value: number | null) => {
    if (value !== null && Number.isFinite(value)) figures[key] = value;
  };
  const latency = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(stdout);
  if (latency) {
    set('latency_avg_ms', milliseconds(latency[1]!));
    set('latency_stdev_ms', milliseconds(latency[2]!));
    set('latency_max_ms', milliseconds(latency[3]!));
  }
  for (const match of stdout.matchAll(/^\s*(\d+)%\s+(\S+)$/gm)) set(`latency_p${match[1]}_ms`, milliseconds(match[2]!));
  const total = /^\s*(\d+) requests in (\S+), (\S+) read/m.exec(stdout);
  if (!total) return figures;
  set('requests', Number(total[1]));
  set('duration_seconds', (milliseconds(total[2]!) ?? NaN) / 1000);
  set('bytes_read', bytes(total[3]!));
  set('requests_per_second', numberAfter(stdout, /Requests\/sec:/));
  const transfer = /^\s*Transfer\/sec:\s*(\S+)/m.exec(stdout);
  if (transfer) set('transfer_bytes_per_second', bytes(transfer[1]!));
  // wrk prints these two lines only when there is something to count.
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  ['connect', 'read', 'write', 'timeout'].forEach((kind, i) => set(`socket_errors_${kind}`, errors ? Number(errors[i + 1]) : 0));
  set('non_2xx_3xx_responses', numberAfter(stdout, /Non-2xx or 3xx responses:/) ?? 0);
  return figures;
}

/** ab and wrk exit 0 whatever answers they got: failed requests and error answers fail the run here. */
export function webBenchmarkFailure(figures: Record<string, number>): string | null {
  const counted = Object.entries(figures).filter(
    ([key, value]) =>
      value > 0 && (key === 'failed_requests' || key.startsWith('non_2xx') || /^socket_errors_(connect|read|write)$/.test(key)),
  );
  return counted.length ? counted.map(([key, value]) => `${key} ${value}`).join(', ') : null;
}
