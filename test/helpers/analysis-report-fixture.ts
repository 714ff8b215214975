// A plausible AnalysisReport with every field of the model filled, for unit
// tests of what reads a report (the HTML page). Values come from a seeded
// generator, so the report is the same on every run but not hand-picked.

import { ANALYSIS_FORMAT_VERSION } from '../../src/analysis/model.js';
import type { AnalysisReport, Histogram, LatencySummary, ProcessNode, SyscallStats, ThreadRef } from '../../src/analysis/model.js';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FIRST_NS = 1_764_200_000_000_000_000n;
const DURATION_NS = 10_000_000_000;
const absolute = (offsetNs: number): string => (FIRST_NS + BigInt(Math.round(offsetNs))).toString();

function histogramOf(samples: number[]): Histogram {
  const boundsNs = [0];
  for (let bound = 1000; bound <= 10_000_000_000; bound *= 2) boundsNs.push(bound);
  const counts = new Array<number>(boundsNs.length - 1).fill(0);
  for (const sample of samples) {
    let i = 0;
    while (i < counts.length - 1 && sample >= boundsNs[i + 1]!) i++;
    counts[i]!++;
  }
  return { boundsNs, counts };
}

function summaryOf(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const totalNs = sorted.reduce((sum, v) => sum + v, 0);
  return {
    count: sorted.length,
    minNs: sorted[0]!,
    meanNs: totalNs / sorted.length,
    p50Ns: at(0.5),
    p95Ns: at(0.95),
    p99Ns: at(0.99),
    maxNs: sorted[sorted.length - 1]!,
    totalNs,
  };
}

function latencies(random: () => number, count: number, typicalNs: number): number[] {
  return Array.from({ length: count }, () => Math.round(typicalNs * Math.exp(2 * (random() - 0.3)) * (random() < 0.02 ? 40 : 1)));
}

export function sampleAnalysisReport(options: { cpus?: number; lostEvents?: number; damage?: string } = {}): AnalysisReport {
  const random = seededRandom(42);
  const cpuIds = Array.from({ length: options.cpus ?? 2 }, (_, i) => i);
  const lostEvents = options.lostEvents ?? 1234;

  const threads: ThreadRef[] = [
    { tid: 4100, pid: 4100, name: 'nginx' },
    { tid: 4101, pid: 4101, name: 'nginx' },
    { tid: 4102, pid: 4102, name: 'nginx' },
    { tid: 4200, pid: 4200, name: 'wrk' },
    { tid: 4201, pid: 4200, name: 'wrk' },
    { tid: 17, pid: 17, name: 'ksoftirqd/1' },
    { tid: 88, pid: null, name: 'kworker/0:1<&>"x"' },
  ];

  const syscallSpecs: Array<[string, number, number, Record<string, number>]> = [
    ['epoll_wait', 5200, 800_000, {}],
    ['writev', 4100, 30_000, { EAGAIN: 12 }],
    ['recvfrom', 4100, 9_000, { EAGAIN: 310 }],
    ['openat', 900, 14_000, { ENOENT: 45, EACCES: 2 }],
    ['close', 1800, 2_000, {}],
    ['sendfile', 800, 55_000, {}],
    ['accept4', 400, 6_000, { EAGAIN: 380, '-512': 1 }],
    ['read', 300, 4_000, {}],
  ];
  const bySyscall: SyscallStats[] = syscallSpecs
    .map(([name, count, typical, errors]) => {
      const samples = latencies(random, count, typical);
      const latency = summaryOf(samples);
      // A call still blocked when tracing stopped has an entry and no exit.
      const unfinished = name === 'epoll_wait' ? 3 : 0;
      return { name, count: count + unfinished, latency, errors, shareOfWallTime: latency.totalNs / DURATION_NS, histogram: histogramOf(samples) };
    })
    .sort((a, b) => b.latency.totalNs - a.latency.totalNs);
  const syscallTotal = bySyscall.reduce((sum, s) => sum + s.count, 0);
  const syscallTime = bySyscall.reduce((sum, s) => sum + s.latency.totalNs, 0);
  const errorTotal = bySyscall.reduce((sum, s) => sum + Object.values(s.errors).reduce((a, b) => a + b, 0), 0);

  const processes = [
    { pid: 4100, name: 'nginx', weight: 0.5 },
    { pid: 4101, name: 'nginx', weight: 0.2 },
    { pid: 4102, name: 'nginx', weight: 0.15 },
    { pid: 4200, name: 'wrk', weight: 0.15 },
  ];
  const threadWeights = [0.5, 0.2, 0.15, 0.1, 0.05, 0.0, 0.0];

  const bucketCount = 120;
  const bucketNs = DURATION_NS / bucketCount;
  const timelineCpus = cpuIds.map((cpu) => {
    const buckets: Array<{ tid: number; busyShare: number } | null> = [];
    let current = threads[Math.floor(random() * threads.length)]!.tid;
    for (let i = 0; i < bucketCount; i++) {
      if (random() < 0.15) current = threads[Math.floor(random() * threads.length)]!.tid;
      buckets.push(random() < 0.1 ? null : { tid: current, busyShare: Math.round(random() * 1000) / 1000 });
    }
    return { cpu, buckets };
  });
  const byCpu = cpuIds.map((cpu) => {
    const busyNs = Math.round(DURATION_NS * (0.3 + 0.5 * random()));
    return { cpu, busyNs, idleNs: DURATION_NS - busyNs, tracedNs: DURATION_NS, switches: 20_000 + Math.round(random() * 5000) };
  });
  const busyTotal = byCpu.reduce((sum, c) => sum + c.busyNs, 0);
  const tracedTotal = byCpu.reduce((sum, c) => sum + c.tracedNs, 0);
  const runQueueSamples = latencies(random, 3000, 20_000);

  const files = [
    { path: '/var/www/html/index.html', kind: 'file', read: 612, n: 800 },
    { path: '/var/log/nginx/access.log', kind: 'file', read: 0, n: 4000 },
    { path: 'socket:[88123]', kind: 'socket', read: 180, n: 4100 },
    { path: 'pipe:[7711]', kind: 'pipe', read: 8, n: 12 },
    { path: 'anon_inode:[eventpoll]', kind: 'anon', read: 0, n: 5 },
    { path: null, kind: 'unknown', read: 100, n: 30 },
  ];
  const byFile = files.map((f) => ({
    path: f.path,
    kind: f.kind,
    readBytes: f.read * f.n,
    writeBytes: f.kind === 'file' && f.read === 0 ? 93 * f.n : Math.round(f.n * 1000 * random()),
    reads: f.read > 0 ? f.n : 0,
    writes: f.n,
    processes: f.kind === 'socket' ? [4101, 4102] : [4100],
  }));
  const fdOperations = byFile.reduce((sum, f) => sum + f.reads + f.writes, 0) + 40;
  const fdOperationsResolved = fdOperations - 70;

  const connections = Array.from({ length: 6 }, (_, i) => ({
    pid: i < 3 ? 4101 : 4200,
    process: i < 3 ? 'nginx' : 'wrk',
    fd: 10 + i,
    direction: (i < 3 ? 'accepted' : i < 5 ? 'connected' : 'unknown') as 'accepted' | 'connected' | 'unknown',
    family: i === 5 ? null : 'AF_INET',
    local: i === 5 ? null : `127.0.0.1:${i < 3 ? 8080 : 40000 + i}`,
    peer: i === 5 ? null : `127.0.0.1:${i < 3 ? 40000 + i : 8080}`,
    sentBytes: Math.round(random() * 5_000_000),
    receivedBytes: Math.round(random() * 500_000),
    openedNs: i === 5 ? null : absolute(i * 1_000_000),
    closedNs: i >= 4 ? null : absolute(DURATION_NS - i * 1_000_000),
  }));

  const leaf = (pid: number, name: string, forkedAt: number): ProcessNode => ({
    pid,
    parentPid: 4100,
    names: [name],
    execs: [],
    forkedNs: absolute(forkedAt),
    exitedNs: absolute(DURATION_NS - 5_000_000),
    threads: 1,
    children: [],
  });
  const roots: ProcessNode[] = [
    {
      pid: 4099,
      parentPid: 1,
      names: ['sh', 'nginx'],
      execs: [{ timeNs: absolute(100_000), filename: '/usr/sbin/nginx' }],
      forkedNs: null,
      exitedNs: absolute(DURATION_NS - 1_000_000),
      threads: 1,
      children: [
        {
          pid: 4100,
          parentPid: 4099,
          names: ['nginx'],
          execs: [],
          forkedNs: absolute(2_000_000),
          exitedNs: null,
          threads: 1,
          children: [leaf(4101, 'nginx', 3_000_000), leaf(4102, 'nginx', 3_100_000)],
        },
      ],
    },
    {
      pid: 4200,
      parentPid: null,
      names: ['wrk'],
      execs: [{ timeNs: absolute(900_000_000), filename: '/usr/bin/wrk' }],
      forkedNs: absolute(899_000_000),
      exitedNs: absolute(9_900_000_000),
      threads: 3,
      children: [],
    },
  ];

  return {
    formatVersion: ANALYSIS_FORMAT_VERSION,
    tool: { name: 'benchmark-tracer', version: '0.1.0' },
    trace: {
      path: '/tmp/traces/nginx_20261127-021800',
      application: 'nginx',
      hostname: 'bench-host',
      tracer: 'ftrace',
      events: 812_345,
      firstNs: absolute(0),
      lastNs: absolute(DURATION_NS),
      durationNs: DURATION_NS,
      cpus: cpuIds,
      eventCounts: { syscall_entry_writev: 4100, syscall_exit_writev: 4100, sched_switch: 45_000, sched_waking: 30_000 },
      damage: options.damage ?? null,
    },
    syscalls: {
      total: syscallTotal,
      bySyscall,
      byProcess: processes.map((p) => ({
        pid: p.pid,
        name: p.name,
        count: Math.round(syscallTotal * p.weight),
        errors: Math.round(errorTotal * p.weight),
        totalNs: Math.round(syscallTime * p.weight),
        shareOfWallTime: (syscallTime * p.weight) / DURATION_NS,
        top: bySyscall.slice(0, 3).map((s) => ({ name: s.name, count: Math.round(s.latency.count * p.weight), totalNs: Math.round(s.latency.totalNs * p.weight) })),
      })),
      byThread: threads.map((t, i) => ({
        ...t,
        count: Math.round(syscallTotal * threadWeights[i]!),
        errors: Math.round(errorTotal * threadWeights[i]!),
        totalNs: Math.round(syscallTime * threadWeights[i]!),
        shareOfWallTime: (syscallTime * threadWeights[i]!) / DURATION_NS,
      })),
      unmatchedEntries: 3,
      unmatchedExits: 2,
    },
    cpu: {
      byCpu,
      byProcess: processes.map((p) => ({ pid: p.pid, name: p.name, cpuNs: Math.round(busyTotal * p.weight), share: (busyTotal * p.weight) / tracedTotal })),
      byThread: threads.map((t, i) => ({
        ...t,
        cpuNs: Math.round(busyTotal * threadWeights[i]!),
        share: (busyTotal * threadWeights[i]!) / tracedTotal,
        switches: 1000 + Math.round(random() * 9000),
      })),
      runQueueLatency: { ...summaryOf(runQueueSamples), histogram: histogramOf(runQueueSamples) },
      timeline: { startNs: absolute(0), bucketNs, cpus: timelineCpus, threads },
    },
    io: {
      byProcess: processes.map((p) => ({
        pid: p.pid,
        name: p.name,
        readBytes: Math.round(1_000_000 * p.weight),
        writeBytes: Math.round(4_000_000 * p.weight),
        reads: Math.round(5000 * p.weight),
        writes: Math.round(9000 * p.weight),
      })),
      byFile,
      fdOperations,
      fdOperationsResolved,
      resolvedShare: fdOperationsResolved / fdOperations,
    },
    network: {
      accepted: 3,
      connected: 2,
      connections,
      byProcess: [
        { pid: 4101, name: 'nginx', sentBytes: connections.slice(0, 3).reduce((s, c) => s + c.sentBytes, 0), receivedBytes: connections.slice(0, 3).reduce((s, c) => s + c.receivedBytes, 0), connections: 3 },
        { pid: 4200, name: 'wrk', sentBytes: connections.slice(3).reduce((s, c) => s + c.sentBytes, 0), receivedBytes: connections.slice(3).reduce((s, c) => s + c.receivedBytes, 0), connections: 3 },
      ],
    },
    processes: { forks: 4, execs: 2, exits: 4, roots },
    lost: {
      total: lostEvents,
      byCpu: lostEvents > 0 ? { '0': lostEvents - 200, '1': 200 } : {},
      ranges:
        lostEvents > 0
          ? [
              { cpu: 0, count: lostEvents - 200, beginNs: absolute(4_000_000_000), endNs: absolute(4_200_000_000) },
              { cpu: 1, count: 200, beginNs: null, endNs: null },
            ]
          : [],
      uncertain: lostEvents > 0 ? ['Syscall latencies on CPU 0 between +4.0 s and +4.2 s', 'CPU time per thread on CPU 0 and 1'] : [],
    },
    notes: ['No net_* events were recorded: socket bytes come from syscalls only.', 'A <script> in a note must stay text'],
  };
}
