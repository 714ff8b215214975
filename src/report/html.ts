// The HTML report: one self-contained file, as Lighthouse writes its own. The
// analysis JSON is embedded in a data block and an inlined script renders it,
// so the page shows exactly the numbers `analyze --json` prints and works
// offline. A Content-Security-Policy forbids every fetch: nothing can leave it.
//
// The script is src/report/page/ (TypeScript, checked against the DOM library
// by tsconfig.page.json), which `npm run build` bundles with esbuild into one
// script beside this module; it is read when a page is written.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport } from '../analysis/model.js';
import { UserError, errorMessage } from '../util/errors.js';
import { PAGE_STYLE } from './page-style.js';

export const PAGE_SCRIPT_FILE = fileURLToPath(new URL('./page.bundle.js', import.meta.url));

/**
 * JSON that can sit inside a <script> element: `<` is escaped so no `</script>`
 * or `<!--` in a process name or path can end the block, and U+2028/U+2029 so
 * the text stays valid JavaScript too.
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A built page script, ready to sit in a <script> element; a one-line error naming the fix when it is not built. */
export function readPageScript(file = PAGE_SCRIPT_FILE): string {
  let script: string;
  try {
    script = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw new UserError(`the HTML report's script ${file} is not built (${reason}): run \`npm run build\``, 1);
  }
  if (/<\/script/i.test(script)) throw new UserError(`the HTML report's script ${file} contains "</script" and cannot be inlined`, 1);
  return script;
}

function contentSecurityPolicy(script: string): string {
  const hash = createHash('sha256').update(script).digest('base64');
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${hash}'`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

let built: { script: string; policy: string } | undefined;

/** The built script and the Content-Security-Policy that lets it alone run (read once). */
export function builtPageScript(): { script: string; policy: string } {
  if (!built) {
    const script = readPageScript();
    built = { script, policy: contentSecurityPolicy(script) };
  }
  return built;
}

export function renderHtmlReport(report: AnalysisReport): string {
  const { script, policy } = builtPageScript();
  const title = `Trace analysis: ${report.trace.application ?? report.trace.path}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtmlText(`${report.tool.name} ${report.tool.version}`)}">
<title>${escapeHtmlText(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="report"></div>
<noscript>This report is drawn by JavaScript; the data is in the JSON block of this file.</noscript>
<script type="application/json" id="report-data">${jsonForScriptElement(report)}</script>
<script>${script}</script>
</body>
</html>
`;
}

export function writeHtmlReport(report: AnalysisReport, file: string): void {
  try {
    writeFileSync(file, renderHtmlReport(report));
  } catch (error) {
    throw new UserError(`cannot write the HTML report to ${file}: ${errorMessage(error)}`, 1);
  }
}
