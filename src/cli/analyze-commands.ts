// analyze and compare: read traces with the analysis library, print the
// terminal report or JSON, or hand the report to the HTML renderer.

import { writeFileSync } from 'node:fs';
import { analyzeTrace } from '../analysis/analyze.js';
import { compareReports } from '../analysis/compare.js';
import type { AnalysisReport } from '../analysis/model.js';
import { formatComparison, formatReport } from './analysis-text.js';
import { checkTraceDirectory, withReadProgress } from './trace-errors.js';

export interface AnalyzeRequest {
  traceDir: string;
  json: boolean;
  html: string | null;
  outputFile: string | null;
  top: number;
  quiet: boolean;
}

function analyzeWithProgress(traceDir: string, quiet: boolean): Promise<AnalysisReport> {
  checkTraceDirectory(traceDir);
  return withReadProgress('analyzing', quiet, (progress) => analyzeTrace([traceDir], { progress }));
}

/** Writes to a file or stdout; a reader that went away (`| head`) is how reading ends, not an error. */
async function emit(text: string, outputFile: string | null): Promise<void> {
  if (outputFile) {
    writeFileSync(outputFile, text);
    return;
  }
  const isEpipe = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
  await new Promise<void>((resolve, reject) => {
    process.stdout.on('error', (error) => {
      if (isEpipe(error)) resolve();
      else reject(error);
    });
    process.stdout.write(text, (error) => (error && !isEpipe(error) ? reject(error) : resolve()));
  });
}

/** A damaged trace is reported for what was read, then fails the command. */
function damageExit(reports: AnalysisReport[]): number {
  const damaged = reports.filter((r) => r.trace.damage !== null);
  for (const report of damaged) console.error(`benchmark-tracer: ${report.trace.path}: damaged trace, analyzed up to the damage: ${report.trace.damage}`);
  return damaged.length > 0 ? 1 : 0;
}

export async function analyzeCommand(request: AnalyzeRequest): Promise<number> {
  // Loaded only for --html, and before the analysis: a page script that is not built fails at once.
  const html = request.html ? await import('../report/html.js') : null;
  html?.builtPageScript();
  const report = await analyzeWithProgress(request.traceDir, request.quiet);
  if (html && request.html) html.writeHtmlReport(report, request.html);
  if (request.json) await emit(`${JSON.stringify(report, null, 1)}\n`, request.outputFile);
  else if (!request.html || request.outputFile) await emit(formatReport(report, request.top), request.outputFile);
  return damageExit([report]);
}

export async function compareCommand(traceA: string, traceB: string, json: boolean, top: number, outputFile: string | null, quiet: boolean): Promise<number> {
  const a = await analyzeWithProgress(traceA, quiet);
  const b = await analyzeWithProgress(traceB, quiet);
  const comparison = compareReports(a, b);
  await emit(json ? `${JSON.stringify(comparison, null, 1)}\n` : formatComparison(comparison, top), outputFile);
  return damageExit([a, b]);
}
