// The HTML report: one self-contained file, as Lighthouse writes its own. The
// analysis JSON is embedded in a data block and a small inlined script renders
// it, so the page shows exactly the numbers `analyze --json` prints and works
// offline. A Content-Security-Policy forbids every fetch: nothing can leave it.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AnalysisReport } from '../analysis/model.js';
import { UserError, errorMessage } from '../util/errors.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

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

const SCRIPT_HASH = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function renderHtmlReport(report: AnalysisReport): string {
  const title = `Trace analysis: ${report.trace.application ?? report.trace.path}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtmlText(`${report.tool.name} ${report.tool.version}`)}">
<title>${escapeHtmlText(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="report"></div>
<noscript>This report is drawn by JavaScript; the data is in the JSON block of this file.</noscript>
<script type="application/json" id="report-data">${jsonForScriptElement(report)}</script>
<script>${PAGE_SCRIPT}</script>
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
