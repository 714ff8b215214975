// The process-tree scope as a trace shows it, for the recorders' tests.

import assert from 'node:assert/strict';
import type { TextEvent } from './cli.js';

/**
 * Follows sched_process_fork from root through the trace; asserts that every
 * syscall event is of a thread of that tree, none of the unrelated process.
 * Returns the tree and its children in the order they were forked.
 */
export function assertOnlyTreeTraced(events: TextEvent[], root: number, unrelated: number): { traced: Set<number>; children: number[] } {
  const traced = new Set([root]);
  const children: number[] = [];
  for (const e of events) {
    const fork = /child_tid = (\d+)/.exec(e.payload);
    if (e.name === 'sched_process_fork' && fork && traced.has(e.tid)) {
      traced.add(Number(fork[1]));
      children.push(Number(fork[1]));
    }
  }
  for (const e of events.filter((x) => x.name.startsWith('syscall_'))) {
    assert.ok(traced.has(e.tid), `syscall event of an untraced thread ${e.tid} (${e.procname}): ${e.name}`);
    assert.notEqual(e.pid, unrelated);
  }
  return { traced, children };
}
