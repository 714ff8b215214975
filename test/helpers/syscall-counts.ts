// The independent count for analyze's syscall figures: babeltrace2's text,
// streamed, with its syscall entry lines counted per syscall name.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { requireTool } from './cli.js';

const EVENT_NAME = /^\[[^\]]+\] \([^)]+\) \S+ ([^:]+): /;
/** syscall_entry_X (LTTng 2.6+), compat_syscall_entry_X, sys_X (LTTng 2.5). */
const ENTRY = /^(?:(compat_)syscall_entry_|syscall_entry_|sys_)(.+)$/;

export async function babeltraceSyscallCounts(traceDir: string): Promise<Map<string, number>> {
  requireTool('babeltrace2', 'babeltrace2');
  const child = spawn('babeltrace2', [traceDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const counts = new Map<string, number>();
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    const name = EVENT_NAME.exec(line)?.[1];
    const entry = name ? ENTRY.exec(name) : null;
    if (!entry) continue;
    const syscall = (entry[1] ?? '') + entry[2]!;
    counts.set(syscall, (counts.get(syscall) ?? 0) + 1);
  }
  const code = await closed;
  if (code !== 0) throw new Error(`babeltrace2 failed (${code}): ${stderr}`);
  return counts;
}
