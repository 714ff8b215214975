// The HTML report's script as built: src/report/page/ is type-checked for the
// browser (tsconfig.page.json: the DOM library, no Node) against the report
// model, and bundled into one classic script that html.ts inlines. That the
// script draws a real report correctly is html-report.test.ts's part (in
// headless Chromium); here, what the build promises.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { PAGE_SCRIPT_FILE, readPageScript, renderHtmlReport } from '../src/report/html.js';
import { UserError } from '../src/util/errors.js';
import { sampleAnalysisReport } from './helpers/analysis-report-fixture.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

test('the page script is one classic script, self-contained, allowed by the page CSP by its hash', () => {
  const script = readPageScript();
  // A classic script: an import or export left in it would not parse.
  assert.doesNotThrow(() => new Script(script, { filename: PAGE_SCRIPT_FILE }));
  assert.doesNotMatch(script, /\brequire\(|\bimport\(/, 'nothing loaded at run time');
  assert.doesNotMatch(script, /<\/script/i);
  // The terminal's formatters are bundled in, not copied: their module is named in the bundle.
  assert.match(script, /\/\/ src\/report\/units\.ts\n/);
  assert.match(script, /function formatDuration\(/);
  const html = renderHtmlReport(sampleAnalysisReport());
  const hash = createHash('sha256').update(script).digest('base64');
  assert.ok(html.includes(`<script>${script}</script>`), 'the script is inlined as built');
  assert.match(html, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
});

test('a page script that is not built is a one-line error naming the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-page-'));
  try {
    const missing = join(dir, 'page.bundle.js');
    assert.throws(() => readPageScript(missing), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^[^\n]*page\.bundle\.js is not built \(ENOENT\): run `npm run build`$/);
      return true;
    });
    writeFileSync(missing, 'const s = "</script>";');
    assert.throws(() => readPageScript(missing), /cannot be inlined/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The type errors of a probe module checked under config (a tsconfig of the repository): "line: message". */
function typeErrors(config: string, lines: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bt-page-check-'));
  try {
    const probe = join(dir, 'probe.ts');
    writeFileSync(probe, lines.join('\n') + '\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(REPO, config), compilerOptions: { noEmit: true, rootDir: '/', typeRoots: [join(REPO, 'node_modules/@types')] }, include: [probe] }));
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    const errors = tsc.stdout.split('\n').filter((line) => line.includes('error TS'));
    assert.equal(tsc.status === 0, errors.length === 0, tsc.stdout + tsc.stderr);
    return errors.map((line) => `${line.match(/probe\.ts\((\d+),/)?.[1]}: ${line.replace(/^.*error /, '')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the page type check has the DOM, not Node, and knows the report fields', () => {
  const errors = typeErrors('tsconfig.page.json', [
    `import type { AnalysisReport } from '${REPO}src/analysis/model.js';`,
    `import type { Path } from '${REPO}src/report/page/dom.js';`,
    `export const known: Path<AnalysisReport> = 'cpu.runQueueLatency.p99Ns';`,
    `export const body: HTMLElement = document.body;`,
    `export const misspelt: Path<AnalysisReport> = 'cpu.runQueueLatency.p99';`,
    `export const node = Buffer.from('x');`,
  ]);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0]!, /^5: .*"cpu\.runQueueLatency\.p99"/);
  assert.match(errors[1]!, /^6: .*Buffer/);
});

test('the main type check has Node, not the DOM', () => {
  const errors = typeErrors('tsconfig.json', [`export const node = Buffer.from('x');`, `export const body = document.body;`]);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /^2: .*'document'/);
});
