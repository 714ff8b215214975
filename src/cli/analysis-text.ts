// The terminal view of an analysis and of a comparison: compact aligned
// tables, top N rows each, units humanized, at most ~100 columns wide.

import type { Comparison, ComparisonRow, Unit } from '../analysis/compare.js';
import type { AnalysisReport, LatencySummary } from '../analysis/model.js';
import { formatBytes, formatCount, formatDuration, formatShare } from '../report/units.js';

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}~`;
}

/** Columns: the first left-aligned (and clipped), the others right-aligned. */
export function table(header: string[], rows: string[][], firstWidth = 28): string[] {
  const all = [header, ...rows].map((row) => row.map((cell, i) => (i === 0 ? clip(cell, firstWidth) : cell)));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

/** Words into lines of at most `width` columns, the later ones indented. */
export function wrap(text: string, width = 96, indent = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : lines.length > 0 ? `${indent}${word}` : word;
    if (candidate.length > width && line) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

function section(title: string, lines: string[]): string[] {
  return ['', title, ...lines.map((line) => `  ${line}`)];
}

function more(total: number, shown: number): string[] {
  return total > shown ? [`... ${total - shown} more (--top N, or --json for all)`] : [];
}

function latencyCells(l: LatencySummary): string[] {
  return l.count === 0 ? ['-', '-', '-', '-', '-'] : [formatDuration(l.p50Ns), formatDuration(l.p95Ns), formatDuration(l.p99Ns), formatDuration(l.maxNs), formatDuration(l.totalNs)];
}

export function formatReport(report: AnalysisReport, top: number): string {
  const t = report.trace;
  const lines: string[] = [
    `trace      ${t.path}`,
    `           ${[t.application, t.hostname, t.tracer].filter(Boolean).join(', ') || 'no run metadata'}`,
    `events     ${formatCount(t.events)} over ${formatDuration(t.durationNs)} on ${t.cpus.length} CPU(s); ${formatCount(report.lost.total)} lost`,
  ];

  const s = report.syscalls;
  if (s.total > 0) {
    const rows = s.bySyscall.slice(0, top).map((x) => {
      const errors = Object.entries(x.errors).slice(0, 2).map(([name, n]) => `${name} ${n}`).join(', ');
      return [x.name, formatCount(x.count), ...latencyCells(x.latency), formatShare(x.shareOfWallTime), errors];
    });
    lines.push(
      ...section(`Syscalls: ${formatCount(s.total)} calls (by total time)`, [
        ...table(['syscall', 'calls', 'p50', 'p95', 'p99', 'max', 'total', 'wall%', 'errors'], rows, 18),
        ...more(s.bySyscall.length, rows.length),
      ]),
    );
    const processes = s.byProcess.slice(0, top).map((p) => [`${p.name} (${p.pid})`, formatCount(p.count), formatCount(p.errors), formatDuration(p.totalNs), formatShare(p.shareOfWallTime), p.top.slice(0, 3).map((x) => x.name).join(' ')]);
    lines.push(...section('Syscalls by process', [...table(['process', 'calls', 'errors', 'total', 'wall%', 'most time in'], processes), ...more(s.byProcess.length, processes.length)]));
  }

  const c = report.cpu;
  if (c.byCpu.length > 0) {
    const cpus = c.byCpu.map((x) => [`CPU ${x.cpu}`, formatDuration(x.busyNs), formatDuration(x.idleNs), formatShare(x.tracedNs > 0 ? x.busyNs / x.tracedNs : 0), formatCount(x.switches)]);
    lines.push(...section('CPU (from each CPU\'s first sched_switch to the end)', table(['cpu', 'busy', 'idle', 'busy%', 'switches'], cpus)));
    const processes = c.byProcess.slice(0, top).map((p) => [`${p.name} (${p.pid})`, formatDuration(p.cpuNs), formatShare(p.share)]);
    lines.push(...section('CPU time by process (share of one CPU)', [...table(['process', 'cpu time', 'share'], processes), ...more(c.byProcess.length, processes.length)]));
    const rq = c.runQueueLatency;
    if (rq.count > 0) {
      lines.push(...section('Run-queue latency (wakeup to running)', table(['wakeups', 'p50', 'p95', 'p99', 'max', 'total'], [[formatCount(rq.count), ...latencyCells(rq)]])));
    }
  }

  const io = report.io;
  if (io.fdOperations > 0) {
    const files = io.byFile.slice(0, top).map((f) => [f.path ?? `(unresolved ${f.kind})`, formatBytes(f.readBytes), formatCount(f.reads), formatBytes(f.writeBytes), formatCount(f.writes), f.processes.slice(0, 4).join(' ')]);
    lines.push(
      ...section(`I/O by file (${formatShare(io.resolvedShare)} of ${formatCount(io.fdOperations)} fd operations resolved)`, [
        ...table(['file', 'read', 'reads', 'written', 'writes', 'pids'], files, 40),
        ...more(io.byFile.length, files.length),
      ]),
    );
    const processes = io.byProcess.slice(0, top).map((p) => [`${p.name} (${p.pid})`, formatBytes(p.readBytes), formatCount(p.reads), formatBytes(p.writeBytes), formatCount(p.writes)]);
    lines.push(...section('I/O by process', [...table(['process', 'read', 'reads', 'written', 'writes'], processes), ...more(io.byProcess.length, processes.length)]));
  }

  const n = report.network;
  if (n.connections.length > 0 || n.accepted + n.connected > 0) {
    const connections = n.connections.slice(0, top).map((x) => [`${x.process} (${x.pid}) fd ${x.fd}`, x.direction, x.peer ?? x.local ?? '?', formatBytes(x.sentBytes), formatBytes(x.receivedBytes)]);
    lines.push(
      ...section(`Network: ${formatCount(n.accepted)} accepted, ${formatCount(n.connected)} connected`, [
        ...table(['socket', 'direction', 'peer', 'sent', 'received'], connections),
        ...more(n.connections.length, connections.length),
      ]),
    );
  }

  const p = report.processes;
  if (p.roots.length > 0) {
    type Node = (typeof p.roots)[number];
    // Show what happened during the trace (forks, execs, exits) and the ancestors that lead to it.
    const eventful = new Map<Node, boolean>();
    const mark = (node: Node): boolean => {
      let any = node.execs.length > 0 || node.forkedNs !== null || node.exitedNs !== null;
      for (const child of node.children) any = mark(child) || any;
      eventful.set(node, any);
      return any;
    };
    const anyEventful = p.roots.map(mark).some(Boolean);
    const tree: string[] = [];
    const limit = top * 3;
    const walk = (node: Node, depth: number) => {
      if (anyEventful && !eventful.get(node)) return;
      if (tree.length === limit) tree.push('...');
      if (tree.length > limit) return;
      const exec = node.execs.at(-1)?.filename;
      const life = [node.forkedNs ? 'forked' : null, node.exitedNs ? 'exited' : null].filter(Boolean).join(', ');
      tree.push(clip(`${'  '.repeat(depth)}${node.pid} ${node.names.join('/')}${exec ? ` exec ${exec}` : ''}${node.threads > 1 ? ` (${node.threads} threads)` : ''}${life ? ` [${life}]` : ''}`, 96));
      for (const child of node.children) walk(child, depth + 1);
    };
    for (const root of p.roots) walk(root, 0);
    lines.push(...section(`Processes: ${formatCount(p.forks)} forks, ${formatCount(p.execs)} execs, ${formatCount(p.exits)} exits`, tree));
  }

  if (report.lost.total > 0 || report.lost.uncertain.length > 0) {
    const byCpu = Object.entries(report.lost.byCpu).map(([cpu, count]) => `CPU ${cpu}: ${formatCount(count)}`).join(', ');
    lines.push(...section(`Lost events: ${formatCount(report.lost.total)}${byCpu ? ` (${byCpu})` : ''}`, report.lost.uncertain.slice(0, top).flatMap((u) => wrap(u))));
  }
  if (report.notes.length > 0) lines.push(...section('Notes', report.notes.flatMap((note) => wrap(note))));
  return `${lines.join('\n')}\n`;
}

function formatValue(unit: Unit, value: number | null): string {
  if (value === null) return '-';
  switch (unit) {
    case 'ns':
      return formatDuration(value);
    case 'bytes':
      return formatBytes(value);
    case 'share':
      return formatShare(value);
    case 'count':
      return formatCount(value);
  }
}

export function formatRatio(ratio: number | null): string {
  return ratio === null ? '-' : `x${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}`;
}

export function formatComparison(comparison: Comparison, top: number): string {
  const label = (s: Comparison['a']) => `${s.path}${s.application ? ` (${s.application})` : ''}`;
  const lines = [`A  ${label(comparison.a)}`, `B  ${label(comparison.b)}`];
  const titles: Record<ComparisonRow['section'], string> = {
    trace: 'Trace',
    syscalls: 'Syscalls (by total time in A and B)',
    cpu: 'CPU',
    io: 'I/O',
    network: 'Network',
    lost: 'Lost events',
  };
  for (const sectionName of Object.keys(titles) as Array<ComparisonRow['section']>) {
    let rows = comparison.rows.filter((r) => r.section === sectionName);
    if (sectionName === 'syscalls') {
      const shown = new Set([...new Set(rows.map((r) => r.name))].slice(0, top));
      rows = rows.filter((r) => shown.has(r.name) && ['calls', 'p50', 'p99', 'total'].includes(r.metric));
    }
    if (sectionName === 'cpu') {
      const processes = rows.filter((r) => r.metric === 'cpu time').slice(0, top);
      rows = [...rows.filter((r) => r.metric !== 'cpu time'), ...processes];
    }
    if (rows.length === 0) continue;
    const cells = rows.map((r) => [`${r.name} ${r.metric}`, formatValue(r.unit, r.a), formatValue(r.unit, r.b), formatRatio(r.ratio)]);
    lines.push(...section(titles[sectionName], table(['', 'A', 'B', 'B/A'], cells, 40)));
  }
  return `${lines.join('\n')}\n`;
}
