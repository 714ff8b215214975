import assert from 'node:assert/strict';
import { test } from 'node:test';
import { williamsOrder } from '../bench/balanced-order.js';

test('benchmark order: over a full square each variant takes each place and follows each other variant equally often', () => {
  for (let n = 1; n <= 7; n++) {
    const rows = n % 2 === 1 ? 2 * n : n;
    const places = new Map<string, number>();
    const follows = new Map<string, number>();
    for (let row = 0; row < rows; row++) {
      const order = williamsOrder(n, row);
      assert.deepEqual([...order].sort((a, b) => a - b), [...Array(n).keys()], `row ${row} of ${n} is a permutation`);
      order.forEach((k, place) => {
        places.set(`${k}@${place}`, (places.get(`${k}@${place}`) ?? 0) + 1);
        if (place > 0) follows.set(`${order[place - 1]}>${k}`, (follows.get(`${order[place - 1]}>${k}`) ?? 0) + 1);
      });
    }
    assert.equal(places.size, n * n, `n=${n}: every place`);
    assert.deepEqual(new Set(places.values()), new Set([rows / n]));
    assert.equal(follows.size, n * (n - 1), `n=${n}: every ordered neighbour pair`);
    if (n > 1) assert.deepEqual(new Set(follows.values()), new Set([rows / n]));
  }
});
