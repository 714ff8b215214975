// Small, tolerant readers of /proc: a process can exit between two reads,
// so every reader returns what it could read and never throws for that.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcTask {
  tid: number;
  pid: number;
  ppid: number;
  name: string;
  /** The state letter: R, S, D, Z, T... */
  state: string;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir).filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

export function allPids(): number[] {
  return numericEntries('/proc');
}

/** Parent pid, process group and name from /proc/<pid>/stat (the name may hold spaces and parentheses). */
export function readStat(pid: number, tid = pid): { ppid: number; pgrp: number; name: string; state: string; startTicks: number } | null {
  const stat = readText(`/proc/${pid}/task/${tid}/stat`);
  if (!stat) return null;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  // rest[19] is field 22, starttime: with the pid, it names one process for the boot.
  return { name: stat.slice(open + 1, close), state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks: Number(rest[19]) };
}

export function tasksOf(pid: number): ProcTask[] {
  const tasks: ProcTask[] = [];
  const ppid = readStat(pid)?.ppid ?? 0;
  for (const tid of numericEntries(`/proc/${pid}/task`)) {
    const stat = readStat(pid, tid);
    if (stat) tasks.push({ tid, pid, ppid, name: stat.name, state: stat.state });
  }
  return tasks;
}

/** Every process under root (root excluded), found by walking parent links. */
export function descendantsOf(root: number): number[] {
  return treeAndGroup(root).descendants;
}

/**
 * One pass over /proc: the processes under leader, and those of its process
 * group (which keeps the ones orphaned out of the tree).
 */
export function treeAndGroup(leader: number): { descendants: number[]; group: number[] } {
  const children = new Map<number, number[]>();
  const group: number[] = [];
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
    if (stat.pgrp === leader) group.push(pid);
  }
  const descendants: number[] = [];
  const queue = [...(children.get(leader) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    descendants.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return { descendants, group };
}

export function openFiles(pid: number): Array<{ fd: number; path: string }> {
  const files: Array<{ fd: number; path: string }> = [];
  for (const fd of numericEntries(`/proc/${pid}/fd`)) {
    try {
      files.push({ fd, path: readlinkSync(`/proc/${pid}/fd/${fd}`) });
    } catch {
      // Closed meanwhile.
    }
  }
  return files;
}

/** The open flags of a file descriptor (octal "flags:" of fdinfo), or undefined when it is gone. */
export function fdFlags(pid: number, fd: number): number | undefined {
  const match = /^flags:\s*([0-7]+)/m.exec(readText(`/proc/${pid}/fdinfo/${fd}`) ?? '');
  return match ? parseInt(match[1]!, 8) : undefined;
}

/** The network namespace of a process ("net:[inode]"), or "" when it is gone. */
export function networkNamespace(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
}

export function memAvailableBytes(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(readText('/proc/meminfo') ?? '');
  return match ? Number(match[1]) * 1024 : 0;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mount points from /proc/self/mountinfo (field 5, with its octal escapes undone). */
export function mountPoints(): Array<{ point: string; fsType: string }> {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(' ');
      const point = fields[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
      return { point, fsType: fields[fields.indexOf('-') + 1] ?? '' };
    });
}

export const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
