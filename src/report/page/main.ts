// The HTML report's script (bundled into one inlined script at build time:
// see html.ts). It reads the report from the page's JSON block and draws it:
// header and alerts, then one section per analysis.

import type { AnalysisReport, ProcessRef, ThreadRef } from '../../analysis/model.js';
import { h, type Path } from './dom.js';
import { dataValue, exactTitle, formatWallClock } from './formats.js';
import { processTree } from './process-tree.js';
import { timeline } from './timeline.js';
import { TOP_N, Widgets, hint, legendInline, section, type Column } from './widgets.js';

const report = JSON.parse(document.getElementById('report-data')!.textContent!) as AnalysisReport;
const w = new Widgets(report);
const { count: fmtCount, ns: fmtNs } = w.formats;

const errorsOf = (row: { errors: Record<string, number> }): number => Object.values(row.errors).reduce((sum, n) => sum + n, 0);
function errnoList(row: { errors: Record<string, number> }): string {
  const keys = Object.keys(row.errors).sort((a, b) => row.errors[b]! - row.errors[a]!);
  return keys.length ? keys.map((k) => k + ' ' + row.errors[k]).join(', ') : 'no errors';
}
const processLabel = (r: { name: string; pid: number }): string => r.name + ' (' + r.pid + ')';
const pidColumns: Array<Column<ProcessRef>> = [{ label: 'pid', field: 'pid', format: 'id' }, { label: 'process', field: 'name', format: 'text' }];
const tidColumns: Array<Column<ThreadRef>> = [{ label: 'tid', field: 'tid', format: 'id' }, { label: 'pid', field: 'pid', format: 'id' }, { label: 'thread', field: 'name', format: 'text' }];

function header(): HTMLElement {
  const t = report.trace;
  const fact = (label: string, path: Path<AnalysisReport> | 'trace.cpus', value: string, text = value, title?: string): HTMLElement =>
    h('span', {}, [label + ' ', h('b', { 'data-metric': path, 'data-value': value, title, text })]);
  return h('header', { class: 'page' }, [
    h('h1', { text: 'Trace analysis' + (t.application ? ': ' + t.application : '') }),
    h('div', { class: 'facts' }, [
      fact('trace', 'trace.path', t.path),
      t.hostname ? fact('host', 'trace.hostname', t.hostname) : null,
      t.tracer ? fact('tracer', 'trace.tracer', t.tracer) : null,
      fact('started', 'trace.firstNs', dataValue(t.firstNs), formatWallClock(t.firstNs), exactTitle(t.firstNs, 'time')),
      fact('CPUs', 'trace.cpus', t.cpus.join(','), t.cpus.join(', ') || '\u2014'),
      h('span', { text: report.tool.name + ' ' + report.tool.version }),
    ]),
  ]);
}

function alerts(): Array<HTMLElement | null> {
  const lost = report.lost.total > 0 ? h('div', { class: 'alert', role: 'alert', 'data-lost-alert': '' }, [
    h('strong', {}, [w.metric('lost.total', 'count'), ' events were lost']),
    ' \u2014 the kernel dropped them because the buffers were full; these results are uncertain:',
    h('ul', {}, report.lost.uncertain.map((u) => h('li', { text: u }))),
  ]) : null;
  const damage = report.trace.damage ? h('div', { class: 'alert', role: 'alert', 'data-damage-alert': '' }, [
    h('strong', { text: 'Damaged trace' }), ' \u2014 reading stopped early; the results cover only what was read: ',
    h('span', { 'data-metric': 'trace.damage', 'data-value': report.trace.damage, text: report.trace.damage }),
  ]) : null;
  return [damage, lost];
}

function overview(): HTMLElement {
  return section('overview', 'Overview', [
    h('div', { class: 'cards' }, [
      w.card('Duration', 'trace.durationNs', 'ns'), w.card('Events', 'trace.events', 'count'),
      w.card('Lost events', 'lost.total', 'count', report.lost.total > 0), w.card('Syscalls', 'syscalls.total', 'count'),
      w.card('Run-queue p99', 'cpu.runQueueLatency.p99Ns', 'ns'), w.card('fds resolved', 'io.resolvedShare', 'share'),
      w.card('Accepted', 'network.accepted', 'count'), w.card('Connected', 'network.connected', 'count'),
      w.card('Forks', 'processes.forks', 'count'), w.card('Execs', 'processes.execs', 'count'),
    ]),
    report.notes.length ? h('div', {}, [h('h3', { text: 'Notes' }), h('ul', { class: 'plain', 'data-notes': '' }, report.notes.map((n) => h('li', { text: n })))]) : null,
  ]);
}

function cpuSection(): HTMLElement {
  const cpu = report.cpu;
  return section('cpu', 'CPU', [
    h('h3', { text: 'Who ran on each CPU' }), timeline(w),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', { text: 'CPU time per process (top ' + TOP_N + ')' }), w.bars('cpu.byProcess', cpu.byProcess, processLabel, ['cpuNs'], 'ns', (r) => r.pid)]),
      h('div', {}, [h('h3', { text: 'Per CPU' }), w.table('cpu.byCpu', cpu.byCpu, [
        { label: 'CPU', field: 'cpu', format: 'id' }, { label: 'busy', field: 'busyNs', format: 'ns' },
        { label: 'idle', field: 'idleNs', format: 'ns' }, { label: 'traced', field: 'tracedNs', format: 'ns' },
        { label: 'busy share', value: (r) => (r.tracedNs ? r.busyNs / r.tracedNs : null), format: 'share' },
        { label: 'switches', field: 'switches', format: 'count' },
      ], (r) => r.cpu)]),
    ]),
    h('h3', { text: 'CPU time per thread' }),
    w.table('cpu.byThread', cpu.byThread, [
      ...tidColumns,
      { label: 'CPU time', field: 'cpuNs', format: 'ns' }, { label: 'share', field: 'share', format: 'share' }, { label: 'switches', field: 'switches', format: 'count' },
    ], (r) => r.tid),
    h('h3', { text: 'Run-queue latency (wakeup to running)' }), w.latencyCards('cpu.runQueueLatency'),
    h('div', { class: 'hist-single' }, [w.histogram('cpu.runQueueLatency.histogram', cpu.runQueueLatency.histogram, 'Run-queue latency, ' + fmtCount(cpu.runQueueLatency.count) + ' wakeups')]),
  ]);
}

function syscallSection(): HTMLElement {
  const sc = report.syscalls;
  const histograms = sc.bySyscall.slice(0, 12).map((st, i) =>
    w.histogram('syscalls.bySyscall.' + i + '.histogram', st.histogram, st.name + ': ' + fmtCount(st.latency.count) + ' timed calls, p50 ' + fmtNs(st.latency.p50Ns) + ', p99 ' + fmtNs(st.latency.p99Ns)));
  return section('syscalls', 'Syscalls', [
    h('div', { class: 'cards' }, [w.card('Syscalls', 'syscalls.total', 'count'), w.card('Entries without exit', 'syscalls.unmatchedEntries', 'count'), w.card('Exits without entry', 'syscalls.unmatchedExits', 'count')]),
    h('h3', { text: 'Time in syscalls (top ' + TOP_N + ')' }),
    w.bars('syscalls.bySyscall', sc.bySyscall, (r) => r.name, ['latency.totalNs'], 'ns', (r) => r.name),
    h('h3', { text: 'Per syscall' }),
    hint('Click a header to sort. Share of wall time sums over threads, so it can exceed 100 %.'),
    w.table('syscalls.bySyscall', sc.bySyscall, [
      { label: 'syscall', field: 'name', format: 'text' }, { label: 'calls', field: 'count', format: 'count' },
      { label: 'timed', field: 'latency.count', format: 'count', title: (r) => r.latency.count + ' calls with both entry and exit in the trace' },
      { label: 'errors', value: errorsOf, format: 'count', title: errnoList },
      { label: 'min', field: 'latency.minNs', format: 'ns' }, { label: 'mean', field: 'latency.meanNs', format: 'ns' },
      { label: 'p50', field: 'latency.p50Ns', format: 'ns' }, { label: 'p95', field: 'latency.p95Ns', format: 'ns' },
      { label: 'p99', field: 'latency.p99Ns', format: 'ns' }, { label: 'max', field: 'latency.maxNs', format: 'ns' },
      { label: 'total', field: 'latency.totalNs', format: 'ns' }, { label: 'share of wall time', field: 'shareOfWallTime', format: 'share' },
    ], (r) => r.name),
    h('h3', { text: 'Latency histograms' + (sc.bySyscall.length > 12 ? ' (the 12 syscalls with most time)' : '') }),
    h('div', { class: 'hist-grid' }, histograms),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', { text: 'Per process' }), w.table('syscalls.byProcess', sc.byProcess, [
        ...pidColumns,
        { label: 'count', field: 'count', format: 'count' }, { label: 'errors', field: 'errors', format: 'count' },
        { label: 'total', field: 'totalNs', format: 'ns' }, { label: 'share', field: 'shareOfWallTime', format: 'share' },
        { label: 'top syscalls', value: (r) => r.top.map((x) => x.name).join(', '), format: 'text',
          title: (r) => r.top.map((x) => x.name + ': ' + x.count + ' calls, ' + x.totalNs + ' ns').join('\n') },
      ], (r) => r.pid)]),
      h('div', {}, [h('h3', { text: 'Per thread' }), w.table('syscalls.byThread', sc.byThread, [
        ...tidColumns,
        { label: 'count', field: 'count', format: 'count' }, { label: 'errors', field: 'errors', format: 'count' },
        { label: 'total', field: 'totalNs', format: 'ns' }, { label: 'share', field: 'shareOfWallTime', format: 'share' },
      ], (r) => r.tid)]),
    ]),
  ]);
}

function ioSection(): HTMLElement {
  const io = report.io;
  const fileLabel = (r: { path: string | null; kind: string }): string => (r.path || '(unresolved fd)') + ' [' + r.kind + ']';
  return section('io', 'I/O', [
    h('div', { class: 'cards' }, [w.card('fd operations', 'io.fdOperations', 'count'), w.card('with a known path', 'io.fdOperationsResolved', 'count'), w.card('share resolved', 'io.resolvedShare', 'share')]),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', {}, ['Bytes per file (top ' + TOP_N + ')', legendInline(['read', 'written'])]),
        w.bars('io.byFile', io.byFile, fileLabel, ['readBytes', 'writeBytes'], 'bytes', (r) => r.path || '')]),
      h('div', {}, [h('h3', {}, ['Bytes per process (top ' + TOP_N + ')', legendInline(['read', 'written'])]),
        w.bars('io.byProcess', io.byProcess, processLabel, ['readBytes', 'writeBytes'], 'bytes', (r) => r.pid)]),
    ]),
    h('h3', { text: 'Per file' }),
    w.table('io.byFile', io.byFile, [
      { label: 'path', field: 'path', format: 'text' }, { label: 'kind', field: 'kind', format: 'text' },
      { label: 'read', field: 'readBytes', format: 'bytes' }, { label: 'reads', field: 'reads', format: 'count' },
      { label: 'written', field: 'writeBytes', format: 'bytes' }, { label: 'writes', field: 'writes', format: 'count' },
      { label: 'processes', value: (r) => r.processes.join(' '), format: 'text' },
    ], (r) => r.path || ''),
    h('h3', { text: 'Per process' }),
    w.table('io.byProcess', io.byProcess, [
      ...pidColumns,
      { label: 'read', field: 'readBytes', format: 'bytes' }, { label: 'reads', field: 'reads', format: 'count' },
      { label: 'written', field: 'writeBytes', format: 'bytes' }, { label: 'writes', field: 'writes', format: 'count' },
    ], (r) => r.pid),
  ]);
}

function networkSection(): HTMLElement {
  const net = report.network;
  return section('network', 'Network', [
    h('div', { class: 'cards' }, [w.card('Accepted', 'network.accepted', 'count'), w.card('Connected', 'network.connected', 'count')]),
    h('h3', {}, ['Bytes per process (top ' + TOP_N + ')', legendInline(['sent', 'received'])]),
    w.bars('network.byProcess', net.byProcess, processLabel, ['sentBytes', 'receivedBytes'], 'bytes', (r) => r.pid),
    h('h3', { text: 'Connections' }),
    w.table('network.connections', net.connections, [
      { label: 'pid', field: 'pid', format: 'id' }, { label: 'process', field: 'process', format: 'text' }, { label: 'fd', field: 'fd', format: 'id' },
      { label: 'direction', field: 'direction', format: 'text' }, { label: 'family', field: 'family', format: 'text' },
      { label: 'local', field: 'local', format: 'text' }, { label: 'peer', field: 'peer', format: 'text' },
      { label: 'sent', field: 'sentBytes', format: 'bytes' }, { label: 'received', field: 'receivedBytes', format: 'bytes' },
      { label: 'opened', field: 'openedNs', format: 'time' }, { label: 'closed', field: 'closedNs', format: 'time' },
    ], (r) => r.pid + ':' + r.fd),
    h('h3', { text: 'Per process' }),
    w.table('network.byProcess', net.byProcess, [
      ...pidColumns,
      { label: 'sent', field: 'sentBytes', format: 'bytes' }, { label: 'received', field: 'receivedBytes', format: 'bytes' },
      { label: 'connections', field: 'connections', format: 'count' },
    ], (r) => r.pid),
  ]);
}

function processSection(): HTMLElement {
  return section('processes', 'Processes', [
    h('div', { class: 'cards' }, [w.card('Forks', 'processes.forks', 'count'), w.card('Execs', 'processes.execs', 'count'), w.card('Exits', 'processes.exits', 'count')]),
    hint('Times are offsets from the start of the trace.'),
    processTree(w),
  ]);
}

function lostSection(): HTMLElement {
  const lost = report.lost;
  return section('lost', 'Lost events', [
    h('div', { class: 'cards' }, [
      w.card('Lost events', 'lost.total', 'count', lost.total > 0),
      ...Object.entries(lost.byCpu).map(([c, n]) => w.cardOf('lost on CPU ' + c, 'lost.byCpu.' + c, 'count', n, n > 0)),
    ]),
    lost.uncertain.length ? h('div', {}, [h('h3', { text: 'Uncertain results' }), h('ul', { class: 'plain', 'data-uncertain': '' }, lost.uncertain.map((u) => h('li', { text: u })))]) : null,
    lost.ranges.length ? h('div', {}, [h('h3', { text: 'Where' }), w.table('lost.ranges', lost.ranges, [
      { label: 'CPU', field: 'cpu', format: 'id' }, { label: 'lost', field: 'count', format: 'count' },
      { label: 'from', field: 'beginNs', format: 'time' }, { label: 'to', field: 'endNs', format: 'time' },
    ], (r) => dataValue(r.cpu) + '@' + dataValue(r.beginNs))]) : hint(lost.total ? 'The trace does not say where.' : 'Nothing was lost.'),
  ]);
}

const SECTIONS = [['overview', 'Overview'], ['cpu', 'CPU'], ['syscalls', 'Syscalls'], ['io', 'I/O'], ['network', 'Network'], ['processes', 'Processes'], ['lost', 'Lost events']];

document.title = 'Trace analysis: ' + (report.trace.application || report.trace.path);
const root = document.getElementById('report')!;
for (const part of [
  header(), ...alerts(),
  h('nav', { class: 'sections' }, SECTIONS.map(([id, title]) => h('a', { href: '#' + id, text: title }))),
  h('main', {}, [overview(), cpuSection(), syscallSection(), ioSection(), networkSection(), processSection(), lostSection()]),
  h('footer', { text: 'Written by ' + report.tool.name + ' ' + report.tool.version + ', analysis format ' + report.formatVersion + '. This file works offline; the report JSON is embedded in it.' }),
]) {
  if (part) root.appendChild(part);
}
document.body.setAttribute('data-rendered', 'true');
