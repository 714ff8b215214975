// What a syscall costs a process that is NOT traced, under each of the
// hooks a run puts on the kernel's syscall tracepoints: our tracefs
// instance (filtered to another pid), bpftrace's probes for paths and socket
// addresses (read at the tracepoints, or at the exits only), and both. dd with 1-byte blocks makes two syscalls per byte, so
// the difference per syscall is the hook's own cost, paid by every process on
// the machine (the untraced benchmark client too). The floor under the
// default run's overhead. A benchmark, not a test: it prints, it asserts
// nothing. Root; bpftrace installed.
//
//   npm run bench:hooks -- [--syscalls N] [--rounds N]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTracefs, TracefsInstance } from '../src/backends/ftrace/tracefs.js';
import { UserArgumentRecorder } from '../src/backends/ftrace/user-argument-recorder.js';
import { ADDRESS_ARGUMENTS, PATH_ARGUMENTS, type ReadSide } from '../src/backends/ftrace/user-arguments.js';

const { values } = parseArgs({
  options: {
    syscalls: { type: 'string', default: '3000000' },
    rounds: { type: 'string', default: '5' },
  },
});
const bytes = Math.round(Number(values.syscalls) / 2);
const rounds = Number(values.rounds);

/** Nanoseconds per syscall of dd copying `bytes` one byte at a time. */
function nsPerSyscall(): number {
  const start = process.hrtime.bigint();
  const run = spawnSync('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${bytes}`], { stdio: 'ignore' });
  if (run.status !== 0) throw new Error('dd failed');
  return Number(process.hrtime.bigint() - start) / (2 * bytes);
}

interface Setup {
  name: string;
  tracefs: boolean;
  /** Syscalls whose arguments bpftrace copies; null: no bpftrace. */
  bpftrace: string[] | null;
  side?: ReadSide;
}

const ALL_USER_ARGUMENTS = [...PATH_ARGUMENTS.keys(), ...ADDRESS_ARGUMENTS.keys()];
const SETUPS: Setup[] = [
  { name: 'no hook', tracefs: false, bpftrace: null },
  { name: 'tracefs instance (syscalls:*, another pid)', tracefs: true, bpftrace: null },
  { name: 'tracefs + bpftrace at the tracepoints, openat only', tracefs: true, bpftrace: ['openat'], side: 'tracepoint' },
  { name: 'tracefs + bpftrace at the tracepoints, all', tracefs: true, bpftrace: ALL_USER_ARGUMENTS, side: 'tracepoint' },
  { name: 'tracefs + bpftrace at the exits, all', tracefs: true, bpftrace: ALL_USER_ARGUMENTS, side: 'exit' },
  { name: 'bpftrace alone at the exits, all', tracefs: false, bpftrace: ALL_USER_ARGUMENTS, side: 'exit' },
];

async function measure(setup: Setup, followFrom: number, workDir: string): Promise<number> {
  let instance: TracefsInstance | null = null;
  let recorder: UserArgumentRecorder | null = null;
  try {
    if (setup.tracefs) {
      instance = TracefsInstance.create(ensureTracefs());
      // Recording another process: dd only passes the hooks, as an untraced client does.
      instance.write('set_event_pid', String(followFrom));
      instance.write('set_event', 'syscalls:*\n');
      instance.write('tracing_on', '1');
    }
    if (setup.bpftrace) {
      recorder = UserArgumentRecorder.create(workDir, setup.bpftrace, { announcedBy: process.pid }, setup.side);
      await recorder.start();
      recorder.follow(followFrom);
      if (!recorder.status.recorded) throw new Error(recorder.status.reason);
    }
    return nsPerSyscall();
  } finally {
    await recorder?.stop();
    instance?.remove();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (tracefs, bpftrace)');
  const workDir = mkdtempSync(join(tmpdir(), 'bt-hooks-'));
  // A process that never forks or opens anything: bpftrace follows it, tracefs records it.
  const idle = spawn('sleep', ['infinity'], { stdio: 'ignore' });
  const results = new Map<string, number[]>(SETUPS.map((s) => [s.name, []]));
  try {
    console.log(`dd bs=1: ${(2 * bytes).toLocaleString('en-US')} syscalls per measure, ${rounds} rounds, the setups in turn`);
    for (let round = 0; round < rounds; round++) {
      for (const setup of SETUPS) results.get(setup.name)!.push(await measure(setup, idle.pid!, workDir));
    }
  } finally {
    idle.kill();
    rmSync(workDir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(results.get(SETUPS[0]!.name)!);
  console.log('ns per syscall of an untraced process: median (min-max), added to no hook');
  for (const [name, xs] of results) {
    const m = median(xs);
    console.log(`  ${name.padEnd(52)} ${m.toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})  +${(m - base).toFixed(1)}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
