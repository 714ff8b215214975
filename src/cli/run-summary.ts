// What a run says when it ends, from its metadata.json alone: where the
// trace is (events, size, losses), the benchmark's own figures
// ("SET 98,400 req/s"), and the commands to go on with. With -q only the
// first line, which scripts may read, is printed. Pure: main.ts prints it.

import { relative, isAbsolute } from 'node:path';
import type { RunMetadata } from '../metadata/run-metadata.js';
import { TOOL_NAME } from '../version.js';
import { formatBytes } from '../report/units.js';

export interface RunSummaryInput {
  runDir: string;
  metadata: Pick<RunMetadata, 'success' | 'trace' | 'userspace' | 'benchmark'>;
  /** -q: the first line only. */
  quiet: boolean;
  /** The directory paths are shown relative to, when below it. */
  cwd: string;
}

/** 101332.3 -> "101,332"; 45.67 -> "45.7"; 0.854 -> "0.854". */
export function formatFigure(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

function withLatency(text: string, label: string, ms: number | undefined): string {
  return ms === undefined ? text : `${text} (${label} ${formatFigure(ms)} ms)`;
}

/**
 * The headline of a benchmark's figures, as the application profiles name
 * them (src/apps/): redis-benchmark's <test>_rps, ab's and wrk's
 * requests_per_second, pgbench's tps, mariadb-slap's queries_per_second,
 * the container lifecycle's containers_per_second. Null when none is there.
 */
export function headlineFigures(figures: Record<string, number>): string | null {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(figures)) {
    const test = /^(.+)_rps$/.exec(key)?.[1];
    if (test) parts.push(withLatency(`${test.toUpperCase()} ${formatFigure(value)} req/s`, 'p99', figures[`${test}_p99_latency_ms`]));
  }
  if (figures.requests_per_second !== undefined) parts.push(withLatency(`${formatFigure(figures.requests_per_second)} req/s`, 'p99', figures.latency_p99_ms));
  if (figures.tps !== undefined) parts.push(withLatency(`${formatFigure(figures.tps)} transactions/s`, 'mean latency', figures.latency_average_ms));
  if (figures.queries_per_second !== undefined) parts.push(`${formatFigure(figures.queries_per_second)} queries/s`);
  if (figures.containers_per_second !== undefined) {
    parts.push(`${formatFigure(figures.containers_per_second)} container lifecycles/s (create to rm ${formatFigure((figures.seconds_per_lifecycle ?? 0) * 1000)} ms)`);
  }
  const failed = (figures.failed_requests ?? 0) + (figures.non_2xx_responses ?? 0) + (figures.non_2xx_3xx_responses ?? 0) + (figures.failed_transactions ?? 0);
  if (parts.length > 0 && failed > 0) parts.push(`${failed.toLocaleString('en-US')} failed`);
  return parts.length > 0 ? parts.join(', ') : null;
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Shell-quotes a path only when it needs it. */
function arg(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export function formatRunSummary({ runDir, metadata, quiet, cwd }: RunSummaryInput): string[] {
  const trace = metadata.trace;
  const ust = metadata.userspace?.ust_dir ? `; userspace: ${(metadata.userspace.events_total ?? 0).toLocaleString('en-US')} events in ust/` : '';
  const counts = trace ? `${trace.events_total.toLocaleString('en-US')} events, ${formatBytes(trace.bytes_written)}, ${trace.events_lost_total} lost${ust}` : 'no trace written';
  const lines = [`${metadata.success ? 'trace' : trace ? 'FAILED run, trace kept' : 'FAILED run'}: ${runDir} (${counts})`];
  if (quiet) return lines;

  const benchmark = metadata.benchmark;
  const headline = benchmark ? headlineFigures(benchmark.figures) : null;
  if (benchmark && headline) {
    const program = benchmark.command.split(/\s+/)[0]!.split('/').pop();
    const runs = benchmark.iterations > 1 ? `; mean of ${benchmark.iterations} runs` : '';
    lines.push(`${program}: ${headline}${runs} (every figure in metadata.json)`);
  }
  if (trace && trace.events_lost_total > 0) {
    const perCpu = Object.entries(trace.events_lost_per_cpu).filter(([, n]) => n > 0).map(([cpu, n]) => `CPU ${cpu}: ${n.toLocaleString('en-US')}`);
    lines.push(`lost: ${trace.events_lost_total.toLocaleString('en-US')} events (${perCpu.join(', ')}); a larger --buffer-size or fewer --events keeps them`);
  }
  if (trace) {
    const dir = arg(shown(runDir, cwd));
    lines.push(
      `next:  ${TOOL_NAME} analyze ${dir}`,
      `       ${TOOL_NAME} query ${dir} "SELECT name, count(*) AS calls, sum(dur) AS total_ns FROM syscalls GROUP BY name ORDER BY total_ns DESC LIMIT 10"`,
      `       ${TOOL_NAME} view ${dir}`,
    );
  }
  return lines;
}
