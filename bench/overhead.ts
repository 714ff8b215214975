// How much does tracing slow a server down? Each application's own benchmark
// (redis-benchmark SET/GET, wrk against nginx) against its private instance,
// untraced and traced in turn, several pairs in one run: the median
// throughput ratio traced/untraced with its spread and the events lost, for
// the default run, --no-user-args, --buffer-size 16M (a buffer too small to
// keep pages in while recording), --system-wide, and strace -f and perf
// trace where installed; then the time the run takes after the workload
// (stop, CTF, text) and the converter's speed. With the ftrace backend, the
// kernel floor too: the default run's tracefs instance recording with
// nothing reading it (kernel-floor.ts), with the mono and the local clock,
// and on the local clock with the default's bpftrace copy beside it (what the
// kernel charges for recording and copying, without our drain, statedumps
// and conversion). A benchmark, not a test: it prints, it asserts nothing.
// --backends lttng,ftrace puts the two tracers side by side (in the LTTng
// guest: npm run bench:lttng-guest).
//
//   npm run bench -- [--apps redis,nginx] [--pairs N] [--seconds N] [--events SET]
//                    [--backends LIST] [--no-others] [--no-floor] [--only REGEX] [--json]
//
// --only keeps the variants whose name the regular expression matches (more
// pairs of fewer variants in the same time), e.g. --only '^ftrace$|copy'.
//
// Each pair starts with the untraced run; the variants follow in a balanced
// order (williamsOrder): each takes each place, and follows each other one,
// equally often over enough pairs. What ran before matters on a VM: a run
// that writes its capture after one that wrote nothing pays for memory the
// host has taken back, one after another run's conversion finds it warm. In
// a fixed order the first variant was charged ~15 points more (0.82 against
// 0.96 for the same --no-user-args, first or second).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROFILES } from '../src/apps/index.js';
import { makeInstanceDir } from '../src/apps/instance-dir.js';
import { runEmergencyActions } from '../src/util/emergency.js';
import { findExecutable } from '../src/util/executables.js';
import { readRunMetadata, type RunPhase } from '../src/metadata/run-metadata.js';
import { UserArgumentRecorder } from '../src/backends/ftrace/user-argument-recorder.js';
import { williamsOrder } from './balanced-order.js';
import { KernelOnlyRecording, type TraceClock } from './kernel-floor.js';
import { runUntraced } from './untraced-run.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: 'redis,nginx' },
    pairs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '8' },
    events: { type: 'string', default: 'default' },
    backends: { type: 'string', default: 'ftrace' },
    'no-others': { type: 'boolean', default: false },
    'no-floor': { type: 'boolean', default: false },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const pairs = Number(values.pairs);
const seconds = Number(values.seconds);
if (!(pairs >= 1 && seconds >= 2)) throw new Error('--pairs must be at least 1 and --seconds at least 2');

/** The figure that stands for throughput, per application. */
const THROUGHPUT: Record<string, { unit: string; of(figures: Record<string, number>): number | undefined }> = {
  redis: { unit: 'req/s (SET and GET mean)', of: (f) => (f.set_rps !== undefined && f.get_rps !== undefined ? (f.set_rps + f.get_rps) / 2 : undefined) },
  nginx: { unit: 'req/s', of: (f) => f.requests_per_second },
  apache: { unit: 'req/s', of: (f) => f.requests_per_second },
  postgresql: { unit: 'tps', of: (f) => f.tps },
};

interface Variant {
  name: string;
  /** benchmark-tracer's arguments, a wrapper around the untraced server, or the kernel floor with this clock (and bpftrace's copy). */
  traced?: string[];
  wrapper?: string[];
  floor?: { clock: TraceClock; systemWide: boolean; userArguments?: boolean };
}

interface TracedRun {
  rate: number;
  events: number;
  lost: number;
  /** From the workload's end to the run's end: stopping, CTF, text. */
  afterWorkloadSeconds: number;
  ctfSeconds: number;
  textSeconds: number;
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

async function traced(app: string, args: string[]): Promise<TracedRun> {
  const output = mkdtempSync(join(tmpdir(), 'bt-bench-'));
  try {
    const result = await runCli([app, '--quiet', '--runs-dir', output, '--duration', String(seconds), '--events', values.events!, ...args]);
    if (result.code !== 0) throw new Error(`traced ${app} run failed: ${result.stderr.trim()}`);
    const runDir = readdirSync(output).find((e) => e !== 'latest')!;
    const metadata = readRunMetadata(join(output, runDir));
    const rate = THROUGHPUT[app]!.of(metadata.benchmark?.figures ?? {});
    if (rate === undefined) throw new Error(`traced ${app} run gave no throughput figure`);
    const phase = (name: RunPhase) => metadata.phases.find((p) => p.name === name)?.seconds ?? 0;
    const step = (name: string) => metadata.phases.find((p) => p.name === 'write')?.steps?.find((s) => s.name === name)?.seconds ?? 0;
    return {
      rate,
      events: metadata.trace?.events_total ?? 0,
      lost: metadata.trace?.events_lost_total ?? 0,
      afterWorkloadSeconds: phase('stop') + phase('write'),
      ctfSeconds: step('ctf'),
      textSeconds: step('text'),
    };
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

async function untraced(app: string, wrapper: string[], floor?: KernelOnlyRecording, copy?: UserArgumentRecorder | null): Promise<number> {
  const follow = floor && ((pid: number) => (floor.follow(pid), copy?.follow(pid)));
  const result = await runUntraced(PROFILES[app]!, seconds, wrapper, follow);
  const rate = THROUGHPUT[app]!.of(result.figures);
  if (rate === undefined) throw new Error(`untraced ${app} run gave no throughput figure`);
  return rate;
}

async function kernelFloor(app: string, { clock, systemWide, userArguments }: NonNullable<Variant['floor']>): Promise<{ rate: number; events: number }> {
  const floor = KernelOnlyRecording.create(values.events!, seconds, clock, systemWide);
  let copy: UserArgumentRecorder | null = null;
  let removeCopyDir = () => {};
  try {
    if (userArguments) {
      const { dir, remove } = makeInstanceDir('floor-copy');
      removeCopyDir = remove;
      copy = UserArgumentRecorder.create(dir, floor.syscalls(), { announcedBy: process.pid });
      await copy.start();
      if (!copy.status.recorded) throw new Error(`the argument copy did not start: ${copy.status.reason}`);
    }
    const rate = await untraced(app, [], floor, copy);
    return { rate, events: floor.eventsWritten() };
  } finally {
    copy?.kill();
    floor.remove();
    removeCopyDir();
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const spread = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** A QEMU guest says so in its DMI vendor: its figures compare tracers with each other, not with the host. */
function emulated(): boolean {
  try {
    return readFileSync('/sys/devices/virtual/dmi/id/sys_vendor', 'utf8').trim() === 'QEMU';
  } catch {
    return false;
  }
}

function variantsToRun(): Variant[] {
  const variants: Variant[] = values.backends!.split(',').flatMap((backend) => {
    const args = ['--backend', backend];
    // tracefs with and without bpftrace copying paths and socket addresses (what that copy costs); lttng-modules copies them itself.
    return backend === 'ftrace'
      ? [
          { name: `${backend}`, traced: args },
          { name: `${backend} --no-user-args`, traced: [...args, '--no-user-args'] },
          // A buffer smaller than a second of redis's events: copied as they come, as before bytesToLeave.
          { name: `${backend} --buffer-size 16M`, traced: [...args, '--buffer-size', '16M'] },
          { name: `${backend} --system-wide`, traced: [...args, '--system-wide'] },
          ...(values['no-floor']
            ? []
            : [
                { name: 'kernel floor, mono clock', floor: { clock: 'mono' as const, systemWide: false } },
                { name: 'kernel floor, local clock', floor: { clock: 'local' as const, systemWide: false } },
                { name: 'kernel floor + argument copy', floor: { clock: 'local' as const, systemWide: false, userArguments: true } },
                { name: 'kernel floor, system-wide', floor: { clock: 'local' as const, systemWide: true } },
              ]),
        ]
      : [{ name: backend, traced: args }];
  });
  if (!values['no-others'] && findExecutable('strace')) variants.push({ name: 'strace -f', wrapper: ['strace', '-f', '-qq', '-o', '/dev/null', '--'] });
  if (!values['no-others'] && findExecutable('perf') && spawnSync('perf', ['trace', '-o', '/dev/null', '--', 'true']).status === 0) {
    variants.push({ name: 'perf trace', wrapper: ['perf', 'trace', '-o', '/dev/null', '--'] });
  }
  if (values.only === undefined) return variants;
  const only = new RegExp(values.only);
  const kept = variants.filter((v) => only.test(v.name));
  if (kept.length === 0) throw new Error(`--only ${values.only} matches none of: ${variants.map((v) => v.name).join('; ')}`);
  return kept;
}

async function main(): Promise<void> {
  // Ctrl-C or SIGTERM: the floor's tracefs instance and bpftrace (its own process group) go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      runEmergencyActions();
      process.exit(130);
    });
  }
  process.on('exit', runEmergencyActions);
  const apps = values.apps!.split(',');
  for (const app of apps) {
    if (!PROFILES[app] || !THROUGHPUT[app]) throw new Error(`no throughput figure known for "${app}" (one of: ${Object.keys(THROUGHPUT).join(', ')})`);
  }
  const variants = variantsToRun();
  const log = values.json ? () => {} : (line: string) => console.log(line);
  log(`${pairs} pairs of ${seconds} s per application, events: ${values.events}; each pair: untraced, then ${variants.map((v) => v.name).join(', ')} in a balanced order`);
  if (emulated()) log("measured in a QEMU guest (TCG emulation): the ratios compare the tracers with each other, not the host's overhead");
  const report: Record<string, unknown> = { pairs, seconds, events: values.events, emulated: emulated(), apps: {} };

  for (const app of apps) {
    const { unit } = THROUGHPUT[app]!;
    log(`\n${app}: ${unit}`);
    const ratios = new Map(variants.map((v) => [v.name, [] as number[]]));
    const runs = new Map(variants.map((v) => [v.name, [] as TracedRun[]]));
    const untracedRates: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const base = await untraced(app, []);
      untracedRates.push(base);
      let line = `  pair ${i + 1}: untraced ${base.toFixed(0)}`;
      for (const variant of williamsOrder(variants.length, i).map((k) => variants[k]!)) {
        if (variant.traced) {
          const run = await traced(app, variant.traced);
          runs.get(variant.name)!.push(run);
          ratios.get(variant.name)!.push(run.rate / base);
          line += `, ${variant.name} ${run.rate.toFixed(0)} (${run.events} events, ${run.lost} lost)`;
        } else if (variant.floor) {
          const floor = await kernelFloor(app, variant.floor);
          ratios.get(variant.name)!.push(floor.rate / base);
          line += `, ${variant.name} ${floor.rate.toFixed(0)} (${floor.events} events)`;
        } else {
          const rate = await untraced(app, variant.wrapper!);
          ratios.get(variant.name)!.push(rate / base);
          line += `, ${variant.name} ${rate.toFixed(0)}`;
        }
      }
      log(line);
    }
    const summary: Record<string, unknown> = {};
    log('  throughput traced / untraced: median (min-max); events lost; after the workload: median s (stop + CTF + text), converter events/s');
    for (const variant of variants) {
      const ratio = spread(ratios.get(variant.name)!);
      const variantRuns = runs.get(variant.name)!;
      let line = `    ${variant.name.padEnd(Math.max(...variants.map((v) => v.name.length)))} ${ratio.median.toFixed(3)} (${ratio.min.toFixed(3)}-${ratio.max.toFixed(3)})`;
      const entry: Record<string, unknown> = { ratio };
      if (variantRuns.length) {
        const lost = variantRuns.reduce((sum, r) => sum + r.lost, 0);
        const events = variantRuns.reduce((sum, r) => sum + r.events, 0);
        const after = median(variantRuns.map((r) => r.afterWorkloadSeconds));
        const conversion = median(variantRuns.map((r) => r.events / Math.max(r.ctfSeconds, 0.001)));
        Object.assign(entry, { events_lost: lost, events, after_workload_seconds: after, ctf_seconds: median(variantRuns.map((r) => r.ctfSeconds)), text_seconds: median(variantRuns.map((r) => r.textSeconds)), converter_events_per_second: conversion });
        line += `; ${lost} of ${events} lost; ${after.toFixed(1)} s after, ${(conversion / 1e6).toFixed(2)} M events/s`;
      }
      summary[variant.name] = entry;
      log(line);
    }
    (report.apps as Record<string, unknown>)[app] = { unit, untraced: spread(untracedRates), variants: summary };
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
