// The order of a benchmark's variants within a round: no variant always
// measured in the same place or after the same neighbour. On a VM a run is
// faster after one that has just freed memory the host still backs.

/**
 * Row `row` of a Williams Latin square of n: over n rows (2n for an odd n),
 * every item takes every place, and follows every other item, equally often.
 */
export function williamsOrder(n: number, row: number): number[] {
  // 0, 1, n-1, 2, n-2, ... then shifted by the row; odd n also need the rows reversed.
  const first = Array.from({ length: n }, (_, j) => (j % 2 === 1 ? (j + 1) / 2 : (n - j / 2) % n));
  const shifted = first.map((k) => (k + row) % n);
  return n % 2 === 1 && Math.floor(row / n) % 2 === 1 ? shifted.reverse() : shifted;
}
