// compare: the key figures of two analyses side by side, with B/A ratios.
// Processes are matched by name (pids differ between runs), syscalls by name.

import type { AnalysisReport } from './model.js';

export type Unit = 'count' | 'ns' | 'bytes' | 'share';

export interface ComparisonRow {
  section: 'trace' | 'syscalls' | 'cpu' | 'io' | 'network' | 'lost';
  name: string;
  metric: string;
  unit: Unit;
  a: number | null;
  b: number | null;
  /** b / a; 1 when equal (0 and 0 too); null when a is 0 or either is missing. */
  ratio: number | null;
}

export interface Comparison {
  formatVersion: number;
  a: TraceSummary;
  b: TraceSummary;
  rows: ComparisonRow[];
}

interface TraceSummary {
  path: string;
  application: string | null;
  events: number;
  durationNs: number;
}

export const COMPARISON_FORMAT_VERSION = 1;

export function ratioOf(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (a === b) return 1;
  return a === 0 ? null : b / a;
}

function summary(report: AnalysisReport): TraceSummary {
  const { path, application, events, durationNs } = report.trace;
  return { path, application, events, durationNs };
}

/** name -> value, summed when a name appears twice (two processes of the same name). */
function byName<T>(items: T[], name: (item: T) => string, value: (item: T) => number): Map<string, number> {
  const map = new Map<string, number>();
  for (const item of items) map.set(name(item), (map.get(name(item)) ?? 0) + value(item));
  return map;
}

export function compareReports(a: AnalysisReport, b: AnalysisReport): Comparison {
  const rows: ComparisonRow[] = [];
  const row = (section: ComparisonRow['section'], name: string, metric: string, unit: Unit, va: number | null, vb: number | null) =>
    rows.push({ section, name, metric, unit, a: va, b: vb, ratio: ratioOf(va, vb) });

  row('trace', 'trace', 'events', 'count', a.trace.events, b.trace.events);
  row('trace', 'trace', 'duration', 'ns', a.trace.durationNs, b.trace.durationNs);
  row('trace', 'syscalls', 'calls', 'count', a.syscalls.total, b.syscalls.total);

  const syscallsA = new Map(a.syscalls.bySyscall.map((s) => [s.name, s]));
  const syscallsB = new Map(b.syscalls.bySyscall.map((s) => [s.name, s]));
  const names = [...new Set([...syscallsA.keys(), ...syscallsB.keys()])];
  const weight = (name: string) => (syscallsA.get(name)?.latency.totalNs ?? 0) + (syscallsB.get(name)?.latency.totalNs ?? 0);
  names.sort((x, y) => weight(y) - weight(x) || x.localeCompare(y));
  for (const name of names) {
    const sa = syscallsA.get(name);
    const sb = syscallsB.get(name);
    row('syscalls', name, 'calls', 'count', sa?.count ?? 0, sb?.count ?? 0);
    const errors = (s: typeof sa) => (s ? Object.values(s.errors).reduce((x, y) => x + y, 0) : 0);
    row('syscalls', name, 'errors', 'count', errors(sa), errors(sb));
    for (const metric of ['p50Ns', 'p95Ns', 'p99Ns', 'meanNs', 'totalNs'] as const) {
      const value = (s: typeof sa) => (s && s.latency.count > 0 ? s.latency[metric] : null);
      row('syscalls', name, metric.replace(/Ns$/, ''), 'ns', value(sa), value(sb));
    }
  }

  const cpuA = byName(a.cpu.byProcess, (p) => p.name, (p) => p.cpuNs);
  const cpuB = byName(b.cpu.byProcess, (p) => p.name, (p) => p.cpuNs);
  const processNames = [...new Set([...cpuA.keys(), ...cpuB.keys()])];
  processNames.sort((x, y) => (cpuB.get(y) ?? 0) + (cpuA.get(y) ?? 0) - (cpuB.get(x) ?? 0) - (cpuA.get(x) ?? 0) || x.localeCompare(y));
  const sum = (values: Iterable<number>) => [...values].reduce((x, y) => x + y, 0);
  row('cpu', 'all', 'busy', 'ns', sum(a.cpu.byCpu.map((c) => c.busyNs)), sum(b.cpu.byCpu.map((c) => c.busyNs)));
  row('cpu', 'all', 'idle', 'ns', sum(a.cpu.byCpu.map((c) => c.idleNs)), sum(b.cpu.byCpu.map((c) => c.idleNs)));
  row('cpu', 'run queue', 'p50', 'ns', a.cpu.runQueueLatency.p50Ns, b.cpu.runQueueLatency.p50Ns);
  row('cpu', 'run queue', 'p99', 'ns', a.cpu.runQueueLatency.p99Ns, b.cpu.runQueueLatency.p99Ns);
  for (const name of processNames) row('cpu', name, 'cpu time', 'ns', cpuA.get(name) ?? 0, cpuB.get(name) ?? 0);

  const io = (r: AnalysisReport, key: 'readBytes' | 'writeBytes' | 'reads' | 'writes') => sum(r.io.byProcess.map((p) => p[key]));
  row('io', 'all', 'read', 'bytes', io(a, 'readBytes'), io(b, 'readBytes'));
  row('io', 'all', 'written', 'bytes', io(a, 'writeBytes'), io(b, 'writeBytes'));
  row('io', 'all', 'reads', 'count', io(a, 'reads'), io(b, 'reads'));
  row('io', 'all', 'writes', 'count', io(a, 'writes'), io(b, 'writes'));
  row('io', 'all', 'fds resolved', 'share', a.io.resolvedShare, b.io.resolvedShare);

  const net = (r: AnalysisReport, key: 'sentBytes' | 'receivedBytes') => sum(r.network.byProcess.map((p) => p[key]));
  row('network', 'all', 'accepted', 'count', a.network.accepted, b.network.accepted);
  row('network', 'all', 'connected', 'count', a.network.connected, b.network.connected);
  row('network', 'all', 'sent', 'bytes', net(a, 'sentBytes'), net(b, 'sentBytes'));
  row('network', 'all', 'received', 'bytes', net(a, 'receivedBytes'), net(b, 'receivedBytes'));

  row('lost', 'all', 'events lost', 'count', a.lost.total, b.lost.total);
  return { formatVersion: COMPARISON_FORMAT_VERSION, a: summary(a), b: summary(b), rows };
}
