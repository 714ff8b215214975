// analyze on real LTTng kernel traces from other machines (../shared/corpus,
// lttng-modules 2.5 to 2.11): syscall counts per name equal babeltrace2's
// entry lines, and every CPU's busy + idle time equals its traced time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { babeltraceSyscallCounts } from './helpers/syscall-counts.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const GROUPS = ['lttng-kernel', 'lttng-kernel-ust'];

const traces = GROUPS.flatMap((group) => (existsSync(join(CORPUS, group)) ? readdirSync(join(CORPUS, group)).sort().map((name) => join(CORPUS, group, name)) : []));

test('the corpus is there', () => {
  assert.ok(traces.length >= 6, `expected the corpus traces under ${CORPUS}`);
});

for (const trace of traces) {
  test(`corpus ${trace.slice(CORPUS.length)}: syscall counts equal babeltrace2's entry lines; busy + idle = traced per CPU`, async () => {
    const [report, expected] = await Promise.all([analyzeTrace([trace]), babeltraceSyscallCounts(trace)]);
    const ours = new Map(report.syscalls.bySyscall.filter((s) => s.count > 0).map((s) => [s.name, s.count]));
    assert.deepEqual(Object.fromEntries([...ours].sort()), Object.fromEntries([...expected].sort()));
    assert.equal(report.syscalls.total, [...expected.values()].reduce((a, b) => a + b, 0));
    assert.equal(report.trace.damage, null);
    for (const cpu of report.cpu.byCpu) assert.equal(cpu.busyNs + cpu.idleNs, cpu.tracedNs, `CPU ${cpu.cpu}`);
    if (report.trace.eventCounts.sched_switch) assert.ok(report.cpu.byCpu.length > 0);
    else assert.ok(report.notes.some((n) => n.includes('no sched_switch')));
    if (expected.size === 0) assert.ok(report.notes.some((n) => n.includes('no syscall events')));
  });
}

test('corpus: old LTTng (2.5, sys_*/exit_syscall) pairs exits with entries: latencies exist', async () => {
  const report = await analyzeTrace([join(CORPUS, 'lttng-kernel', 'tc-bug446190-arm')]);
  const ioctl = report.syscalls.bySyscall.find((s) => s.name === 'ioctl');
  assert.ok(ioctl && ioctl.count > 0);
  assert.ok(ioctl.latency.count > 0 && ioctl.latency.count <= ioctl.count);
  // Files named by the statedump and by open's filename (LTTng records the string).
  assert.ok(report.io.byFile.some((f) => f.path !== null && f.path.startsWith('/')));
});
