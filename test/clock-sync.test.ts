import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalClockMap, type ClockSample } from '../src/backends/ftrace/clock-sync.js';

const sample = (local: number, mono: number): ClockSample => ({ localNs: String(local), monoNs: String(mono), errorNs: 0, cpu: 0 });

test('a steady offset: local times from the local origin are monotonic times from the origin', () => {
  // mono = local + 13 ms; the origin (mono 2 s) is local 1.987 s.
  const map = new LocalClockMap([sample(1_000_000_000, 1_013_000_000), sample(3_000_000_000, 3_013_000_000)], 2_000_000_000n);
  assert.equal(map.localOrigin, 1_987_000_000n);
  for (const at of [-5_000, 0, 1_000, 1_000_000_000, 9_000_000_000]) assert.equal(map.toMonotonic(at), at);
});

test('a drifting offset is interpolated between samples and held beyond them, in any order of samples and queries', () => {
  // The offset grows by 2000 ns between local 1 s and 2 s, then falls by 1000 ns by 4 s.
  const samples = [sample(2_000_000_000, 2_000_002_000), sample(4_000_000_000, 4_000_001_000), sample(1_000_000_000, 1_000_000_000)];
  const map = new LocalClockMap(samples, 1_000_000_000n);
  assert.equal(map.localOrigin, 1_000_000_000n);
  const expected: Array<[number, number]> = [
    [-100, -100],
    [0, 0],
    [500_000_000, 500_001_000],
    [1_000_000_000, 1_000_002_000],
    [2_000_000_000, 2_000_001_500],
    [3_000_000_000, 3_000_001_000],
    [5_000_000_000, 5_000_001_000],
    [250_000_000, 250_000_500], // back before the cached segment
  ];
  for (const [local, mono] of expected) assert.equal(map.toMonotonic(local), mono, `local ${local}`);
});

test('a local capture without samples is refused', () => {
  assert.throws(() => new LocalClockMap([], 0n), /no clock samples/);
});
