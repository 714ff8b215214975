// The tables of real LTTng kernel traces from other machines
// (../shared/corpus, lttng-modules 2.5 to 2.11, both byte orders, a
// kernel+userspace pair): written as Parquet, read back in DuckDB, each
// table against analyze's figures and the events against babeltrace2's
// text; the files carry the documented schema.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrace } from '../src/analysis/analyze.js';
import { SqlSession } from '../src/query/sql-session.js';
import { writeTablesDir } from '../src/query/tables-dir.js';
import { assertSchema, assertTablesAgree, babeltraceNameCounts } from './helpers/table-checks.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const GROUPS = ['lttng-kernel', 'lttng-kernel-ust'];
const traces = GROUPS.flatMap((group) => (existsSync(join(CORPUS, group)) ? readdirSync(join(CORPUS, group)).sort().map((name) => join(CORPUS, group, name)) : []));

const scratch = mkdtempSync(join(tmpdir(), 'bt-tables-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the corpus is there', () => {
  assert.ok(traces.length >= 6, `expected the corpus traces under ${CORPUS}`);
});

for (const trace of traces) {
  const name = trace.slice(CORPUS.length);
  test(`corpus ${name}: every table agrees with analyze and babeltrace2; the documented schema`, async () => {
    const dir = join(scratch, name.replaceAll('/', '_'));
    const [{ manifest }, report, text] = await Promise.all([writeTablesDir(trace, dir), analyzeTrace([trace]), babeltraceNameCounts(trace)]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(manifest.damage, null);
    assert.equal(manifest.events, report.trace.events);
    const session = await SqlSession.open(dir);
    try {
      await assertSchema(session, dir);
      await assertTablesAgree(session, report, text.counts);
    } finally {
      session.close();
    }
  });
}
