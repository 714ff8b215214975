// The analysis registry: dependency order and its errors (pure), and
// analyzeTrace running a registry of modules on a small known trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYSES } from '../src/analysis/analyses.js';
import { analyzeTrace } from '../src/analysis/analyze.js';
import type { ProcessesResult } from '../src/analysis/model.js';
import { dependencyOrder, topBy, type AnalysisModule } from '../src/analysis/registry.js';
import { lostEventsAnalysis } from '../src/analysis/lost-events.js';
import { syscallsAnalysis } from '../src/analysis/syscalls.js';
import { writeEventTrace, type TestEvent } from './helpers/event-trace.js';

const named = (name: string, deps: string[] = []) => ({ name, deps });

test('dependency order: each after what it needs, otherwise the given order', () => {
  const order = dependencyOrder([named('a', ['c']), named('b'), named('c', ['b']), named('d')]).map((m) => m.name);
  assert.deepEqual(order, ['b', 'c', 'a', 'd']);
  assert.deepEqual(dependencyOrder(ANALYSES).map((m) => m.name), ANALYSES.map((m) => m.name));
});

test('dependency order: a cycle and an unknown name are errors that say where', () => {
  assert.throws(() => dependencyOrder([named('a', ['b']), named('b', ['c']), named('c', ['a'])]), /cycle: a -> b -> c -> a/);
  assert.throws(() => dependencyOrder([named('a', ['missing'])]), /a needs missing, which is not registered/);
});

/** The order topBy promises, by a plain stable sort. */
function stableTopBy<T>(items: T[], key: (item: T) => number, limit = Infinity): T[] {
  return items
    .map((item, index) => ({ item, index, key: key(item) }))
    .sort((a, b) => b.key - a.key || a.index - b.index)
    .slice(0, limit)
    .map((entry) => entry.item);
}

test('topBy: descending by key, ties in their order, the first limit; packed integer keys and any other keys alike', () => {
  // A fixed pseudo-random sequence: many ties (keys from a small range), then keys of every kind.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const keySets: Array<[string, () => number]> = [
    ['small integers, many ties', () => Math.floor(random() * 20)],
    ['ns up to an hour', () => Math.floor(random() * 3.6e12)],
    ['fractions (shares)', () => random()],
    ['integers too large to pack with a position', () => Number.MAX_SAFE_INTEGER - Math.floor(random() * 10)],
    ['negative', () => Math.floor(random() * 20) - 10],
  ];
  for (const [what, makeKey] of keySets) {
    for (const size of [0, 1, 2, 3, 1000, 1025]) {
      const items = Array.from({ length: size }, (_, id) => ({ id, key: makeKey() }));
      for (const limit of [Infinity, 5]) {
        assert.deepEqual(topBy(items, (item) => item.key, limit), stableTopBy(items, (item) => item.key, limit), `${what}, ${size} items, limit ${limit}`);
      }
    }
  }
  // Any iterable: a Map's entries.
  const map = new Map([[7, 3], [8, 5], [9, 3]]);
  assert.deepEqual(topBy(map, ([, value]) => value), [[8, 5], [7, 3], [9, 3]]);
});

test('a registry with a cycle fails before reading the trace', async () => {
  const loop: AnalysisModule<'processes', 'syscalls'> = { name: 'processes', deps: ['syscalls'], create: () => ({ bind: () => null, finalize: () => ({ forks: 0, execs: 0, exits: 0, roots: [] }) }) };
  const back = { ...syscallsAnalysis, deps: ['processes'] } as unknown as typeof syscallsAnalysis;
  await assert.rejects(analyzeTrace(['/nonexistent-trace'], {}, [back, loop]), /cycle/);
});

const EVENTS: TestEvent[] = [
  { name: 'syscall_entry_write', timeNs: 100, pid: 10, comm: 'sh', fields: { fd: 1, count: 4 } },
  { name: 'syscall_exit_write', timeNs: 110, pid: 10, comm: 'sh', fields: { ret: 4 } },
  // An exec with no sched_process_exec event: only the context's procname says it.
  { name: 'syscall_entry_write', timeNs: 200, pid: 10, comm: 'ls', fields: { fd: 1, count: 8 } },
  { name: 'syscall_exit_write', timeNs: 230, pid: 10, comm: 'ls', fields: { ret: 8 } },
];

test('an analysis that needs another finalizes after it and gets its result; the report keeps the registry order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-registry-'));
  try {
    writeEventTrace(dir, EVENTS);
    let seenTotal: number | null = null;
    let writes = 0;
    // Listed before the analysis it needs.
    const counting: AnalysisModule<'processes', 'syscalls'> = {
      name: 'processes',
      deps: ['syscalls'],
      create: ({ model }) => ({
        bind: (info) => (info.name === 'syscall_exit_write' ? (view) => void (writes += view.ret) : null),
        finalize: (end, needs): ProcessesResult => {
          assert.deepEqual(Object.keys(needs), ['syscalls'], 'only the results it declared, though lost finalized before it');
          seenTotal = needs.syscalls.total;
          assert.equal(end.model, model);
          return { forks: writes, execs: 0, exits: 0, roots: [] };
        },
        notes: (result) => [`${result.forks} bytes written`],
      }),
    };
    const report = await analyzeTrace([dir], {}, [lostEventsAnalysis, counting, syscallsAnalysis]);
    assert.equal(seenTotal, 2);
    assert.equal(report.processes.forks, 12);
    assert.equal(report.syscalls.total, 2);
    assert.deepEqual(Object.keys(report).slice(3, 6), ['lost', 'processes', 'syscalls']);
    assert.ok(report.notes.includes('12 bytes written'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model: a thread renamed only in its context (an exec without its event) takes the new name; its process keeps both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-registry-'));
  try {
    writeEventTrace(dir, EVENTS);
    const report = await analyzeTrace([dir]);
    assert.deepEqual(report.processes.roots.map((p) => [p.pid, p.names]), [[10, ['sh', 'ls']]]);
    assert.deepEqual(report.syscalls.byThread.map((t) => [t.tid, t.name]), [[10, 'ls']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
