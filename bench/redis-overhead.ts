// How much does tracing slow a server down? redis-benchmark (SET and GET,
// 50 clients) against a private redis-server, untraced and traced in turn,
// several pairs in one run; prints the median throughput ratio
// traced/untraced and the events lost, beside strace -f and perf trace when
// they are installed. A benchmark, not a test: it prints, it asserts nothing.
// --backends lttng,ftrace puts the two tracers side by side (in the LTTng
// guest: npm run bench:lttng-guest).
//
//   npm run bench -- [--pairs N] [--requests N] [--clients N] [--events SET] [--backends LIST] [--no-others]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '5' },
    requests: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '50' },
    events: { type: 'string', default: 'default' },
    backends: { type: 'string', default: 'ftrace' },
    'no-others': { type: 'boolean', default: false },
  },
});
const pairs = Number(values.pairs);
const requests = Number(values.requests);

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const serverCommand = (port: number) => `redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning`;
const benchmarkCommand = (port: number) => `redis-benchmark -h 127.0.0.1 -p ${port} -t set,get -c ${values.clients} -n ${requests} --csv`;
const readyCommand = (port: number) => `redis-cli -h 127.0.0.1 -p ${port} ping`;

/** Mean requests/s of SET and GET from redis-benchmark --csv output. */
function throughput(csv: string): number {
  const rates = csv
    .split('\n')
    .map((line) => /^"(SET|GET)","([\d.]+)"/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[2]));
  if (rates.length !== 2) throw new Error(`redis-benchmark printed no SET/GET figures:\n${csv}`);
  return (rates[0]! + rates[1]!) / 2;
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await run('sh', ['-c', readyCommand(port)])).stdout.includes('PONG')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} never answered`);
}

/** Runs the server under `wrap` (untraced, strace, perf trace) and the benchmark against it. */
async function wrapped(wrap: string[]): Promise<number> {
  const port = await freePort();
  const server = spawn(wrap[0] ?? 'sh', [...wrap.slice(1), ...(wrap.length ? ['sh', '-c'] : ['-c']), `exec ${serverCommand(port)}`], {
    stdio: 'ignore',
    detached: true,
  });
  try {
    await waitReady(port);
    const result = await run('sh', ['-c', benchmarkCommand(port)]);
    return throughput(result.stdout);
  } finally {
    // The whole group: a tracer that is killed alone may leave the server running.
    process.kill(-server.pid!, 'SIGTERM');
    await new Promise((r) => server.once('close', r));
  }
}

async function traced(extraArgs: string[] = []): Promise<{ rate: number; lost: number; events: number }> {
  const port = await freePort();
  const output = mkdtempSync(join(tmpdir(), 'bt-bench-'));
  try {
    const result = await run(process.execPath, [
      CLI, '--quiet', '--output', output, '--events', values.events!, ...extraArgs,
      '--custom', `exec ${serverCommand(port)}`,
      '--workload', benchmarkCommand(port),
      '--ready-cmd', `${readyCommand(port)} | grep -q PONG`,
    ]);
    if (result.code !== 0) throw new Error(`traced run failed: ${result.stderr}`);
    const run0 = readdirSync(output).find((e) => e !== 'latest')!;
    const metadata = JSON.parse(readFileSync(join(output, run0, 'metadata.json'), 'utf8'));
    return { rate: throughput(result.stdout), lost: metadata.trace.events_lost_total, events: metadata.trace.events_total };
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A QEMU guest says so in its DMI vendor: its figures compare tracers with each other, not with the host. */
function emulated(): boolean {
  try {
    return readFileSync('/sys/devices/virtual/dmi/id/sys_vendor', 'utf8').trim() === 'QEMU';
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  for (const tool of ['redis-server', 'redis-benchmark', 'redis-cli']) {
    if (!has(tool)) throw new Error(`${tool} is missing: apt-get install redis-server redis-tools`);
  }
  const others: Array<{ name: string; wrap: string[] }> = [];
  if (!values['no-others'] && has('strace')) others.push({ name: 'strace -f', wrap: ['strace', '-f', '-qq', '-o', '/dev/null'] });
  if (!values['no-others'] && has('perf') && spawnSync('perf', ['trace', '-o', '/dev/null', '--', 'true']).status === 0) {
    others.push({ name: 'perf trace', wrap: ['perf', 'trace', '-o', '/dev/null', '--'] });
  }
  // tracefs with and without bpftrace copying paths and socket addresses (what that copy costs); lttng-modules copies them itself.
  const variants = values.backends!.split(',').flatMap((backend) => {
    const name = `benchmark-tracer --backend ${backend}`;
    const base = { name, args: ['--backend', backend] };
    return backend === 'ftrace' ? [base, { name: `${name} --no-user-args`, args: ['--backend', backend, '--no-user-args'] }] : [base];
  });

  const ratios = new Map<string, number[]>([...variants.map((v) => [v.name, []] as [string, number[]]), ...others.map((o) => [o.name, []] as [string, number[]])]);
  const lost = new Map<string, { lost: number; events: number }>(variants.map((v) => [v.name, { lost: 0, events: 0 }]));
  console.log(`redis-benchmark SET+GET, ${values.clients} clients, ${requests} requests per test, ${pairs} pairs, events: ${values.events}`);
  if (emulated()) console.log('measured in a QEMU guest (TCG emulation): the ratios compare the tracers with each other, not the host\'s overhead');
  for (let i = 0; i < pairs; i++) {
    const base = await wrapped([]);
    let line = `pair ${i + 1}: untraced ${base.toFixed(0)} req/s`;
    for (const variant of variants) {
      const run = await traced(variant.args);
      ratios.get(variant.name)!.push(run.rate / base);
      const total = lost.get(variant.name)!;
      total.lost += run.lost;
      total.events += run.events;
      line += `, ${variant.name.replace('benchmark-tracer ', '')} ${run.rate.toFixed(0)} req/s (${run.events} events, ${run.lost} lost)`;
    }
    for (const other of others) {
      const rate = await wrapped(other.wrap);
      ratios.get(other.name)!.push(rate / base);
      line += `, ${other.name} ${rate.toFixed(0)} req/s`;
    }
    console.log(line);
  }
  console.log('\nthroughput ratio, traced / untraced: median (min-max)');
  for (const [name, values] of ratios) {
    console.log(`  ${name.padEnd(44)} ${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)})`);
  }
  for (const [name, total] of lost) console.log(`events lost by ${name}, all runs: ${total.lost} of ${total.events}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
