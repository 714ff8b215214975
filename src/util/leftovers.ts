// What a run would leave on the machine if it were killed (SIGKILL, a crash,
// the OOM killer), where no clean-up of its own can run: every process it
// starts, every directory it makes, and what an application sets up outside
// them. They are written down as they are made, in a file of the run's own
// (its lease, /run/benchmark-tracer/<pid>-<start>.json); the normal path
// forgets each as it undoes it and deletes the lease at the end. The next
// run removes what the lease of a dead run still names. A process is only
// killed when its pid and start time both match what was written: a pid the
// kernel has since reused for someone else's process is left alone.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepSync } from './clock.js';
import { isAlive, isUnder, mountPoints, readStat, treeAndGroup } from './procfs.js';

export interface ProcessLeftover {
  kind: 'process';
  pid: number;
  startTicks: number;
  what: string;
}

export interface DirectoryLeftover {
  kind: 'directory';
  path: string;
}

/** Undone by the reaper registered for its kind (registerReaper), after the processes are gone. */
export interface CustomLeftover {
  kind: string;
  [field: string]: unknown;
}

export type Leftover = ProcessLeftover | DirectoryLeftover | CustomLeftover;

interface LeaseFile {
  owner: { pid: number; startTicks: number };
  leftovers: Leftover[];
}

export const LEASE_DIR = '/run/benchmark-tracer';
const TERM_GRACE_MS = 3000;

let lease: { path: string; content: LeaseFile } | null = null;
const reapers = new Map<string, (leftover: CustomLeftover) => void>();

function save(): void {
  if (!lease) return;
  const temporary = `${lease.path}.tmp`;
  writeFileSync(temporary, JSON.stringify(lease.content), { mode: 0o600 });
  renameSync(temporary, lease.path);
}

/** Starts writing down what this process sets up (the recording commands); without it, recordLeftover does nothing. */
export function openLease(directory = LEASE_DIR): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const owner = { pid: process.pid, startTicks: readStat(process.pid)?.startTicks ?? 0 };
  lease = { path: join(directory, `${owner.pid}-${owner.startTicks}.json`), content: { owner, leftovers: [] } };
  save();
}

/** Everything was undone: the lease goes. */
export function closeLease(): void {
  if (!lease) return;
  rmSync(lease.path, { force: true });
  lease = null;
}

/** Writes the leftover down; the returned function forgets it once it is undone. Never throws. */
export function recordLeftover(leftover: Leftover): () => void {
  if (!lease) return () => {};
  const current = lease;
  try {
    current.content.leftovers.push(leftover);
    save();
  } catch {
    // A full or read-only /run must not stop the run; only a kill would show the gap.
  }
  return () => {
    const index = current.content.leftovers.indexOf(leftover);
    if (index < 0 || lease !== current) return;
    current.content.leftovers.splice(index, 1);
    try {
      save();
    } catch {
      // As above.
    }
  };
}

/** A process this run started (undefined pid: it never started). */
export function recordProcess(pid: number | undefined, what: string): () => void {
  const startTicks = pid === undefined ? undefined : readStat(pid)?.startTicks;
  if (pid === undefined || startTicks === undefined) return () => {};
  return recordLeftover({ kind: 'process', pid, startTicks, what: what.slice(0, 120) });
}

export function registerReaper(kind: string, reaper: (leftover: CustomLeftover) => void): void {
  reapers.set(kind, reaper);
}

const sameProcess = (pid: number, startTicks: number) => readStat(pid)?.startTicks === startTicks;

/** The processes, their process groups and descendants: SIGTERM, then SIGKILL to what is left after a grace. */
function stopProcesses(leftovers: ProcessLeftover[]): number {
  const targets = new Map<number, number>();
  for (const { pid, startTicks } of leftovers) {
    if (!sameProcess(pid, startTicks)) continue;
    targets.set(pid, startTicks);
    const { descendants, group } = treeAndGroup(pid);
    for (const other of [...descendants, ...group]) {
      const ticks = readStat(other)?.startTicks;
      if (ticks !== undefined) targets.set(other, ticks);
    }
  }
  const signalAll = (signal: NodeJS.Signals) => {
    for (const [pid, ticks] of targets) {
      if (!sameProcess(pid, ticks)) continue;
      try {
        process.kill(pid, signal);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  const alive = () => [...targets].filter(([pid, ticks]) => isAlive(pid) && sameProcess(pid, ticks) && readStat(pid)?.state !== 'Z');
  signalAll('SIGTERM');
  for (const deadline = Date.now() + TERM_GRACE_MS; alive().length > 0 && Date.now() < deadline; ) sleepSync(50);
  if (alive().length > 0) signalAll('SIGKILL');
  for (const deadline = Date.now() + TERM_GRACE_MS; alive().length > 0 && Date.now() < deadline; ) sleepSync(50);
  return targets.size;
}

/**
 * Removes what runs that died without cleaning up left: for each lease whose
 * owner is gone, its processes, then the application's own leftovers, then its
 * directories. Returns one line per dead run, for the user.
 */
export function reapDeadRuns(directory = LEASE_DIR): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const reports: string[] = [];
  for (const file of files) {
    const path = join(directory, file);
    let content: LeaseFile;
    try {
      content = JSON.parse(readFileSync(path, 'utf8')) as LeaseFile;
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    const { owner } = content;
    if (owner.pid === process.pid || sameProcess(owner.pid, owner.startTicks)) continue;
    const processes = content.leftovers.filter((l): l is ProcessLeftover => l.kind === 'process');
    const directories = content.leftovers.filter((l): l is DirectoryLeftover => l.kind === 'directory');
    const custom = content.leftovers.filter((l) => l.kind !== 'process' && l.kind !== 'directory') as CustomLeftover[];
    const stopped = stopProcesses(processes);
    for (const leftover of custom) {
      try {
        reapers.get(leftover.kind)?.(leftover);
      } catch {
        // Keep removing the rest.
      }
    }
    // A mount still inside would expose someone else's files to the recursive removal.
    for (const { path: dir } of directories) if (!mountPoints().some((m) => isUnder(m.point, dir))) rmSync(dir, { recursive: true, force: true });
    rmSync(path, { force: true });
    if (stopped + directories.length + custom.length > 0) {
      reports.push(`an earlier run (pid ${owner.pid}) died without cleaning up: stopped ${stopped} of its processes, removed ${directories.length} directories${custom.length ? ` and ${custom.map((c) => c.kind).join(', ')}` : ''}`);
    }
  }
  return reports;
}
