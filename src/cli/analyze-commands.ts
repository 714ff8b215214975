// analyze and compare: read traces with the analysis library, print the
// terminal report or JSON, or hand the report to the HTML renderer.

import { existsSync, statSync, writeFileSync } from 'node:fs';
import { analyzeTrace } from '../analysis/analyze.js';
import { compareReports } from '../analysis/compare.js';
import type { AnalysisReport } from '../analysis/model.js';
import { TraceFormatError } from '../ctf/metadata-file.js';
import { writeHtmlReport } from '../report/html.js';
import { UserError } from '../util/errors.js';
import { formatComparison, formatReport } from './analysis-text.js';
import { TerminalReporter } from './progress.js';

export interface AnalyzeRequest {
  traceDir: string;
  json: boolean;
  html: string | null;
  outputFile: string | null;
  top: number;
  quiet: boolean;
}

async function analyzeWithProgress(traceDir: string, quiet: boolean): Promise<AnalysisReport> {
  if (!existsSync(traceDir)) throw new UserError(`no such trace directory: ${traceDir}`);
  if (!statSync(traceDir).isDirectory()) throw new UserError(`not a directory: ${traceDir}`);
  const reporter = TerminalReporter.forStderr(quiet);
  const counters = { events: 0, bytes: 0, lost: 0 };
  reporter.phase('analyzing', () => counters);
  try {
    return await analyzeTrace([traceDir], {
      progress: (events, traceBytes) => {
        counters.events = events;
        counters.bytes = traceBytes;
      },
    });
  } catch (error) {
    if (error instanceof TraceFormatError) throw new UserError(error.message, 1);
    throw error;
  } finally {
    reporter.finish();
  }
}

function emit(text: string, outputFile: string | null): void {
  if (outputFile) writeFileSync(outputFile, text);
  else process.stdout.write(text);
}

/** A damaged trace is reported for what was read, then fails the command. */
function damageExit(reports: AnalysisReport[]): number {
  const damaged = reports.filter((r) => r.trace.damage !== null);
  for (const report of damaged) console.error(`benchmark-tracer: ${report.trace.path}: damaged trace, analyzed up to the damage: ${report.trace.damage}`);
  return damaged.length > 0 ? 1 : 0;
}

export async function analyzeCommand(request: AnalyzeRequest): Promise<number> {
  const report = await analyzeWithProgress(request.traceDir, request.quiet);
  if (request.html) await writeHtmlReport(report, request.html);
  if (request.json) emit(`${JSON.stringify(report, null, 1)}\n`, request.outputFile);
  else if (!request.html || request.outputFile) emit(formatReport(report, request.top), request.outputFile);
  return damageExit([report]);
}

export async function compareCommand(traceA: string, traceB: string, json: boolean, top: number, outputFile: string | null, quiet: boolean): Promise<number> {
  const a = await analyzeWithProgress(traceA, quiet);
  const b = await analyzeWithProgress(traceB, quiet);
  const comparison = compareReports(a, b);
  emit(json ? `${JSON.stringify(comparison, null, 1)}\n` : formatComparison(comparison, top), outputFile);
  return damageExit([a, b]);
}
