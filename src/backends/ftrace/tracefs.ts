// Control of the kernel's tracefs: finding or mounting it, and the
// per-run instances we record in. Everything here writes only under
// instances/<our name>; the top-level buffer and other tools' instances are
// never touched.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, errorMessage } from '../../util/errors.js';
import { sleepSync } from '../../util/clock.js';
import { readStat } from '../../util/procfs.js';

export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
export const INSTANCE_PREFIX = 'benchmark-tracer-';


function isMountedTracefs(dir: string): boolean {
  return existsSync(join(dir, 'instances')) && existsSync(join(dir, 'available_events'));
}

export function findTracefs(): string | null {
  return TRACEFS_PATHS.find(isMountedTracefs) ?? null;
}

/** Where tracefs is mounted, else where a run (as root) would mount it and whether that directory exists: for doctor. */
export function tracefsStatus(): { mountedAt: string | null; mountPoint: string; mountPointExists: boolean } {
  const mountPoint = TRACEFS_PATHS[0]!;
  return { mountedAt: findTracefs(), mountPoint, mountPointExists: existsSync(mountPoint) };
}

/** Finds tracefs, mounting it at /sys/kernel/tracing when it is not mounted. */
export function ensureTracefs(): string {
  const found = findTracefs();
  if (found) return found;
  const target = TRACEFS_PATHS[0]!;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', target], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new UserError(
      `cannot mount tracefs at ${target}: ${stderr || errorMessage(error)} (needs root and CONFIG_TRACING)`,
      1,
    );
  }
  if (!isMountedTracefs(target)) throw new UserError(`tracefs mounted at ${target} but has no instances/ directory`, 1);
  return target;
}

/**
 * Instance names carry the owner's pid and start time (which, with the pid,
 * names one process for the boot): benchmark-tracer-<pid>-<start>-<random>.
 * Older names have no start time.
 */
export function instanceOwner(name: string): { pid: number; startTicks: number | null } | null {
  const match = /^benchmark-tracer-(\d+)-(?:(\d+)-)?[0-9a-z]+$/.exec(name);
  return match ? { pid: Number(match[1]), startTicks: match[2] === undefined ? null : Number(match[2]) } : null;
}

/**
 * Removes instances left by runs that were killed: their owner is gone, or
 * its pid now belongs to a later process. Returns the names removed.
 */
export function removeStaleInstances(tracefs: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(join(tracefs, 'instances'))) {
    const owner = instanceOwner(name);
    if (owner === null || owner.pid === process.pid) continue;
    const live = readStat(owner.pid);
    if (live && (owner.startTicks === null || owner.startTicks === live.startTicks)) continue;
    try {
      rmdirSync(join(tracefs, 'instances', name));
      removed.push(name);
    } catch {
      // Busy (a live reader we could not identify): leave it.
    }
  }
  return removed;
}

/** One tracefs instance: its own ring buffers, event switches and pid filters. */
export class TracefsInstance {
  private removed = false;

  private constructor(
    readonly tracefs: string,
    readonly name: string,
    readonly dir: string,
  ) {}

  static create(tracefs: string): TracefsInstance {
    const name = `${INSTANCE_PREFIX}${process.pid}-${readStat(process.pid)?.startTicks ?? 0}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = join(tracefs, 'instances', name);
    mkdirSync(dir);
    return new TracefsInstance(tracefs, name, dir);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  write(file: string, value: string): void {
    this.writeWith(file, value, 'w');
  }

  /** Adds to a list file (set_event_pid...): opened without O_TRUNC, which would clear the list first. */
  append(file: string, value: string): void {
    this.writeWith(file, value, 'a');
  }

  private writeWith(file: string, value: string, flag: 'w' | 'a'): void {
    try {
      writeFileSync(this.path(file), value, { flag });
    } catch (error) {
      throw new Error(`cannot write "${value.trim()}" to ${this.path(file)}: ${errorMessage(error)}`);
    }
  }

  read(file: string): string {
    return readFileSync(this.path(file), 'utf8');
  }

  /** The CPUs that have a ring buffer in this instance. */
  cpus(): number[] {
    return readdirSync(this.path('per_cpu'))
      .map((entry) => /^cpu(\d+)$/.exec(entry))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /**
   * One read of per_cpu/cpu<N>/stats: events written so far (still in the
   * buffer plus already read) and events lost (dropped in discard mode plus
   * overrun in overwrite mode).
   */
  cpuStats(cpu: number): { recorded: number; lost: number; unreadBytes: number } {
    const stats = this.read(`per_cpu/cpu${cpu}/stats`);
    return {
      recorded: statValue(stats, 'entries') + statValue(stats, 'read events'),
      lost: statValue(stats, 'dropped events') + statValue(stats, 'overrun'),
      unreadBytes: statValue(stats, 'bytes'),
    };
  }

  /** Stops recording and removes the instance; safe to call more than once. */
  remove(): void {
    if (this.removed) return;
    try {
      writeFileSync(this.path('tracing_on'), '0');
    } catch {
      // Removing is what matters.
    }
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(this.dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY while a reader still holds a trace_pipe_raw open: retry briefly.
        if (code !== 'EBUSY' || attempt >= 50) throw error;
        sleepSync(20);
      }
    }
    this.removed = true;
  }
}

export function statValue(stats: string, key: string): number {
  const match = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(stats);
  return match ? Number(match[1]) : 0;
}
