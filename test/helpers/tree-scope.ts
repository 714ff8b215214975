// The process-tree scope as a trace shows it, for the recorders' tests.

import assert from 'node:assert/strict';
import type { TextEvent } from './cli.js';

/** The roots and every thread forked from them, as sched_process_fork says; children in the order they were forked. */
export function followForks(events: TextEvent[], roots: Iterable<number>): { traced: Set<number>; children: number[] } {
  const traced = new Set(roots);
  const children: number[] = [];
  for (const e of events) {
    const fork = /child_tid = (\d+)/.exec(e.payload);
    if (e.name === 'sched_process_fork' && fork && traced.has(e.tid)) {
      traced.add(Number(fork[1]));
      children.push(Number(fork[1]));
    }
  }
  return { traced, children };
}

/**
 * Asserts that every syscall event is of a thread of root's tree (followForks),
 * none of the unrelated process. Returns the tree.
 */
export function assertOnlyTreeTraced(events: TextEvent[], root: number, unrelated: number): { traced: Set<number>; children: number[] } {
  const tree = followForks(events, [root]);
  for (const e of events.filter((x) => x.name.startsWith('syscall_'))) {
    assert.ok(tree.traced.has(e.tid), `syscall event of an untraced thread ${e.tid} (${e.procname}): ${e.name}`);
    assert.notEqual(e.pid, unrelated);
  }
  return tree;
}
