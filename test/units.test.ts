// The one set of number formats: one unit system (KiB/MiB, µs), and the HTML
// page runs the same code as the terminal.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { PAGE_SCRIPT } from '../src/report/page-script.js';
import { formatBytes, formatCount, formatDuration, formatShare, formatters, type Formatters } from '../src/report/units.js';

test('formats: binary byte units, µs, three significant digits, a dash for a missing value', () => {
  assert.equal(formatBytes(1000), '1000 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
  assert.equal(formatDuration(999), '999 ns');
  assert.equal(formatDuration(12_345), '12.3 \u00b5s');
  assert.equal(formatDuration(250_000_000), '250 ms');
  assert.equal(formatDuration(-2_500), '-2.50 \u00b5s');
  assert.equal(formatDuration(61e9), '61.0 s');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(2.5), '2.50');
  assert.equal(formatShare(0.05), '5.00 %');
  assert.equal(formatShare(0.123), '12.3 %');
  assert.equal(formatters().bytes(null), '\u2014');
});

test('the page runs the very formatters of the terminal, from their inlined source', () => {
  assert.ok(PAGE_SCRIPT.includes(formatters.toString()), 'the source of formatters() is in the page script');
  assert.ok(!PAGE_SCRIPT.includes('/*FORMATTERS*/'));
  const inPage = runInNewContext(`(${formatters.toString()})()`) as Formatters;
  for (const value of [0, 1, 999, 1023, 1024, 12_345, 9_999_999, 2 ** 40, -5_000, 0.5]) {
    assert.equal(inPage.duration(value), formatDuration(value));
    assert.equal(inPage.bytes(value), formatBytes(value));
    assert.equal(inPage.count(value), formatCount(value));
    assert.equal(inPage.share(value), formatShare(value));
  }
});
