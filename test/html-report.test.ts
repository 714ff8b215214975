// The HTML report in headless Chromium: it renders from file:// without any
// request leaving the page and without console errors, and every number it
// shows is the report's own (read back from the data-* attributes): on a
// constructed report that fills every field, and on the `analyze --html` of a
// trace we record and of a real LTTng trace from the corpus.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnalysisReport, ProcessNode } from '../src/analysis/model.js';
import { jsonForScriptElement, renderHtmlReport, writeHtmlReport } from '../src/report/html.js';
import { formatBytes, formatCount, formatDuration, formatShare } from '../src/report/units.js';
import { sampleAnalysisReport } from './helpers/analysis-report-fixture.js';
import { onlyRun, runCli, tempOutputDir } from './helpers/cli.js';
import { HeadlessChromium, type Page } from './helpers/headless-chromium.js';

function valueAt(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v == null ? undefined : (v as Record<string, unknown>)[key]), object);
}

/** The page's encoding of a value in data-value. */
function asDataValue(value: unknown): string {
  return value == null ? '' : String(value);
}

function allProcesses(nodes: ProcessNode[], parent: number | null = null): Array<{ pid: number; parent: number | null }> {
  return nodes.flatMap((n) => [{ pid: n.pid, parent }, ...allProcesses(n.children, n.pid)]);
}

/** The rows of a table as the page shows them now: data-index and the data-value of one column. */
function tableColumn(page: Page, source: string, column: string): Promise<Array<{ index: number; value: string }>> {
  return page.evaluate(`Array.from(document.querySelectorAll('table[data-source="${source}"] tbody tr')).map((tr) => ({
    index: Number(tr.dataset.index),
    value: tr.querySelector('td[data-col="${column}"]').dataset.value,
  }))`);
}


const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

async function assertRendersOffline(page: Page, file: string): Promise<void> {
  assert.equal(await page.evaluate('document.body.dataset.rendered'), 'true');
  assert.deepEqual(page.pageErrors, []);
  assert.deepEqual(page.consoleErrors, []);
  assert.ok(page.requests.length >= 1, 'the page load itself is seen as a request');
  for (const url of page.requests) assert.match(url, /^(file|data):/, `request left the page: ${url}`);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /(src|href)=["']?(https?:)?\/\//i, 'no external resource');
}

async function assertMetricsAreTheReports(page: Page, report: AnalysisReport): Promise<Array<{ path: string; value: string }>> {
  const metrics = await page.evaluate<Array<{ path: string; value: string }>>(
    `Array.from(document.querySelectorAll('[data-metric]')).map((e) => ({ path: e.dataset.metric, value: e.dataset.value }))`,
  );
  for (const { path, value } of metrics) {
    const expected = path === 'trace.cpus' ? report.trace.cpus.join(',') : asDataValue(valueAt(report, path));
    assert.notEqual(valueAt(report, path), undefined, `${path} is not in the report`);
    assert.equal(value, expected, path);
  }
  const paths = new Set(metrics.map((m) => m.path));
  for (const path of ['trace.durationNs', 'trace.events', 'lost.total', 'syscalls.total', 'io.resolvedShare', 'cpu.runQueueLatency.p99Ns']) {
    assert.ok(paths.has(path), `${path} is shown`);
  }
  return metrics;
}

const TABLES = ['syscalls.bySyscall', 'syscalls.byProcess', 'syscalls.byThread', 'cpu.byCpu', 'cpu.byThread', 'io.byFile', 'io.byProcess', 'network.connections', 'network.byProcess'];

async function assertCellsAreTheReports(page: Page, report: AnalysisReport): Promise<number> {
  const cells = await page.evaluate<Array<{ source: string; index: number; field: string; value: string }>>(
    `Array.from(document.querySelectorAll('[data-source] [data-index] [data-field]')).map((e) => ({
      source: e.closest('[data-source]').dataset.source,
      index: Number(e.closest('[data-index]').dataset.index),
      field: e.dataset.field,
      value: e.dataset.value,
    }))`,
  );
  for (const { source, index, field, value } of cells) {
    const row = (valueAt(report, source) as unknown[])[index];
    assert.notEqual(row, undefined, `${source}.${index} is not in the report`);
    assert.equal(value, asDataValue(valueAt(row, field)), `${source}.${index}.${field}`);
  }
  const rowCounts = await page.evaluate<Record<string, number>>(
    `Object.fromEntries(Array.from(document.querySelectorAll('table[data-source]')).map((t) => [t.dataset.source, t.tBodies[0].rows.length]))`,
  );
  for (const source of TABLES) {
    assert.equal(rowCounts[source], Math.min(1000, (valueAt(report, source) as unknown[]).length), `rows of ${source}`);
  }
  const errors = await tableColumn(page, 'syscalls.bySyscall', 'errors');
  for (const { index, value } of errors) {
    const expected = Object.values(report.syscalls.bySyscall[index]!.errors).reduce((a, b) => a + b, 0);
    assert.equal(Number(value), expected, `errors of ${report.syscalls.bySyscall[index]!.name}`);
  }
  return cells.length;
}

async function assertTimelineIsTheReports(page: Page, report: AnalysisReport): Promise<void> {
  const rows = await page.evaluate<Array<{ cpu: number; runs: Array<{ tid: number; from: number; to: number }> }>>(
    `Array.from(document.querySelectorAll('svg[data-timeline] g.timeline-row')).map((g) => ({
      cpu: Number(g.dataset.cpu),
      runs: Array.from(g.querySelectorAll('rect[data-tid]')).map((r) => ({ tid: Number(r.dataset.tid), from: Number(r.dataset.from), to: Number(r.dataset.to) })),
    }))`,
  );
  assert.deepEqual(rows.map((r) => r.cpu), report.cpu.timeline.cpus.map((c) => c.cpu), 'one row per CPU');
  rows.forEach((row, i) => {
    const buckets = report.cpu.timeline.cpus[i]!.buckets;
    const covered = new Array<boolean>(buckets.length).fill(false);
    for (const run of row.runs) {
      for (let b = run.from; b < run.to; b++) {
        assert.equal(buckets[b]?.tid, run.tid, `CPU ${row.cpu} bucket ${b}`);
        covered[b] = true;
      }
    }
    buckets.forEach((b, k) => assert.equal(covered[k], b !== null, `CPU ${row.cpu} bucket ${k} drawn iff busy`));
  });
  const legend = await page.evaluate<number[]>(`Array.from(document.querySelectorAll('[data-legend] [data-tid]')).map((e) => Number(e.dataset.tid))`);
  const drawn = new Set(rows.flatMap((r) => r.runs.map((run) => run.tid)));
  assert.ok(legend.every((tid) => drawn.has(tid)), 'the legend names threads of the timeline');
}

async function assertProcessTreeIsTheReports(page: Page, report: AnalysisReport): Promise<void> {
  const shown = await page.evaluate<Array<{ pid: number; parent: number | null }>>(
    `Array.from(document.querySelectorAll('[data-process-tree] li[data-pid]')).map((li) => {
      const parent = li.parentElement.closest('li[data-pid]');
      return { pid: Number(li.dataset.pid), parent: parent ? Number(parent.dataset.pid) : null };
    })`,
  );
  assert.deepEqual(shown, allProcesses(report.processes.roots), 'every process, under its parent');
}

/** Writes the page with `analyze --html` and checks it against `analyze --json` of the same trace. */
async function checkAnalyzeHtml(browser: HeadlessChromium, traceDir: string, dir: string): Promise<AnalysisReport> {
  const json = await runCli(['analyze', traceDir, '--json', '-q']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as AnalysisReport;
  const file = join(dir, 'report.html');
  const html = await runCli(['analyze', traceDir, '--html', file, '-q']);
  assert.equal(html.code, 0, html.stderr);
  const page = await browser.openPage(pathToFileURL(file).href);
  await assertRendersOffline(page, file);
  await assertMetricsAreTheReports(page, report);
  await assertCellsAreTheReports(page, report);
  await assertTimelineIsTheReports(page, report);
  await assertProcessTreeIsTheReports(page, report);
  return report;
}

describe('HTML report of a constructed report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-html-'));
  const file = join(dir, 'report.html');
  const report = sampleAnalysisReport({ cpus: 3 });
  let browser: HeadlessChromium;
  let page: Page;

  before(async () => {
    writeHtmlReport(report, file);
    browser = HeadlessChromium.launch();
    page = await browser.openPage(pathToFileURL(file).href);
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('renders offline with no console or page errors', () => assertRendersOffline(page, file));

  test('every data-metric shows the value at its path in the report', async () => {
    const metrics = await assertMetricsAreTheReports(page, report);
    assert.ok(metrics.length > 100, `only ${metrics.length} metrics on the page`);
    const histogramBars = metrics.filter((m) => m.path.startsWith('syscalls.bySyscall.0.histogram.counts.'));
    assert.equal(histogramBars.map((m) => Number(m.value)).reduce((a, b) => a + b, 0), report.syscalls.bySyscall[0]!.latency.count, 'histogram shows every timed call');
  });

  test('every table cell and bar shows the field of its row in the report', async () => {
    const cells = await assertCellsAreTheReports(page, report);
    assert.ok(cells > 300, `only ${cells} cells`);
  });

  test('numbers are written as the terminal writes them (one unit system)', async () => {
    const cards = ['trace.durationNs', 'trace.events', 'io.resolvedShare', 'cpu.runQueueLatency.p99Ns'];
    const shown = await page.evaluate<string[]>(`${JSON.stringify(cards)}.map((p) => document.querySelector('.card [data-metric="' + p + '"]').textContent)`);
    assert.deepEqual(shown, [
      formatDuration(report.trace.durationNs), formatCount(report.trace.events), formatShare(report.io.resolvedShare), formatDuration(report.cpu.runQueueLatency.p99Ns),
    ]);
    const read = await page.evaluate<Array<{ index: number; text: string }>>(
      `Array.from(document.querySelectorAll('table[data-source="io.byFile"] td[data-field="readBytes"]')).map((td) => ({ index: Number(td.closest('tr').dataset.index), text: td.textContent }))`,
    );
    for (const { index, text } of read) assert.equal(text, formatBytes(report.io.byFile[index]!.readBytes));
    assert.ok(read.some((r) => /KiB|MiB/.test(r.text)), 'some file read shows binary units');
  });

  test('the timeline has one row per CPU and each run is the thread of its buckets', () => assertTimelineIsTheReports(page, report));

  test('clicking a header sorts the table: numbers by value, text alphabetically', async () => {
    const bySyscall = report.syscalls.bySyscall;
    const counts = (rows: Array<{ index: number }>) => rows.map((r) => bySyscall[r.index]!.count);
    const descending = [...bySyscall.map((s) => s.count)].sort((a, b) => b - a);

    await page.click('table[data-source="syscalls.bySyscall"] th[data-col="count"]');
    assert.deepEqual(counts(await tableColumn(page, 'syscalls.bySyscall', 'count')), descending);
    await page.click('table[data-source="syscalls.bySyscall"] th[data-col="count"]');
    assert.deepEqual(counts(await tableColumn(page, 'syscalls.bySyscall', 'count')), [...descending].reverse());

    await page.click('table[data-source="syscalls.bySyscall"] th[data-col="name"]');
    const names = (await tableColumn(page, 'syscalls.bySyscall', 'name')).map((r) => r.value);
    assert.deepEqual(names, bySyscall.map((s) => s.name).sort((a, b) => a.localeCompare(b)));
    // Numeric, not textual: 10 after 9 for the p99 column too.
    await page.click('table[data-source="syscalls.bySyscall"] th[data-col="latency.p99Ns"]');
    const p99 = (await tableColumn(page, 'syscalls.bySyscall', 'latency.p99Ns')).map((r) => Number(r.value));
    assert.deepEqual(p99, bySyscall.map((s) => s.latency.p99Ns).sort((a, b) => b - a));
  });

  test('the process tree shows every process under its parent', async () => {
    await assertProcessTreeIsTheReports(page, report);
    await page.click('[data-process-tree] summary');
    const hidden = await page.evaluate<number>(`Array.from(document.querySelectorAll('[data-process-tree] li[data-pid]')).filter((li) => !li.checkVisibility()).length`);
    assert.equal(hidden, allProcesses(report.processes.roots[0]!.children).length, 'clicking the first process hides its descendants');
  });

  test('lost events and notes are shown, names and notes as text', async () => {
    assert.equal(await page.evaluate(`document.querySelector('[data-lost-alert] [data-metric="lost.total"]').dataset.value`), String(report.lost.total));
    assert.deepEqual(await page.evaluate(`Array.from(document.querySelectorAll('[data-uncertain] li')).map((li) => li.textContent)`), report.lost.uncertain);
    assert.deepEqual(await page.evaluate(`Array.from(document.querySelectorAll('[data-notes] li')).map((li) => li.textContent)`), report.notes);
    assert.equal(await page.evaluate(`document.querySelectorAll('[data-notes] script').length`), 0);
  });

  test('no lost-events alert when nothing was lost; a damaged trace says so', async () => {
    assert.equal(await page.evaluate(`document.querySelectorAll('[data-damage-alert]').length`), 0);
    const file = join(dir, 'nothing-lost.html');
    writeHtmlReport(sampleAnalysisReport({ lostEvents: 0, damage: 'stream cpu1: packet 7 ends past the file' }), file);
    const clean = await browser.openPage(pathToFileURL(file).href);
    assert.equal(await clean.evaluate('document.body.dataset.rendered'), 'true');
    assert.equal(await clean.evaluate(`document.querySelectorAll('[data-lost-alert]').length`), 0);
    assert.equal(await clean.evaluate(`document.querySelector('[data-damage-alert] [data-metric="trace.damage"]').textContent`), 'stream cpu1: packet 7 ends past the file');
    assert.deepEqual([...clean.pageErrors, ...clean.consoleErrors], []);
  });
});

test('the embedded JSON cannot end its script element and reads back as the report', () => {
  const report: AnalysisReport = sampleAnalysisReport();
  report.notes.push('</script><script>alert(1)</script> <!-- \u2028\u2029');
  const json = jsonForScriptElement(report);
  assert.doesNotMatch(json, /</);
  assert.doesNotMatch(json, /[\u2028\u2029]/);
  assert.deepEqual(JSON.parse(json), report);
  const html = renderHtmlReport(report);
  assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two script elements end');
});

describe('HTML report of analyze --html on real traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-html-real-'));
  let browser: HeadlessChromium;
  before(() => (browser = HeadlessChromium.launch()));
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a trace we record of a command that forks, execs and writes a file', async () => {
    const output = tempOutputDir();
    try {
      const target = join(dir, 'written.txt');
      const recorded = await runCli(['--custom', `sh -c 'for i in 1 2 3; do echo line$i >> ${target}; done; cat ${target} >/dev/null; sleep 0.1'`, '--runs-dir', output, '-q']);
      assert.equal(recorded.code, 0, recorded.stderr);
      const report = await checkAnalyzeHtml(browser, onlyRun(output).dir, dir);
      assert.ok(report.syscalls.bySyscall.length > 0 && report.processes.roots.length > 0, 'the page had syscalls and processes to show');
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  });

  test('an --html file that cannot be written is a one-line error', async () => {
    const result = await runCli(['analyze', join(CORPUS, 'lttng-kernel', 'tviz-wget-k'), '--html', join(dir, 'no-such-dir', 'report.html'), '-q']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr.trim(), /^[^\n]*cannot write the HTML report to .*no-such-dir.*$/);
  });

  test('a real LTTng kernel trace from the corpus', async () => {
    const trace = join(CORPUS, 'lttng-kernel', 'tviz-wget-k');
    assert.ok(existsSync(trace), `corpus trace missing: ${trace}`);
    const report = await checkAnalyzeHtml(browser, trace, dir);
    assert.ok(report.cpu.timeline.cpus.length > 1 && report.network.connections.length > 0, 'the page had CPUs and connections to show');
  });
});
