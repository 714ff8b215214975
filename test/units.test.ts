// The one set of number formats: one unit system (KiB/MiB, µs). The HTML
// page bundles this same module (html-report.test.ts checks what it shows).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatCount, formatDuration, formatShare } from '../src/report/units.js';

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
  assert.equal(formatBytes(null), '\u2014');
  assert.equal(formatDuration(undefined), '\u2014');
});
