// Where the tables of a trace are: a directory `convert --to parquet` wrote
// (it has tables.json), or the cache `query` builds on first use:
//   - a run of ours (a directory with metadata.json): RUN/tables/, beside
//     kernel/ and never inside a CTF directory. babeltrace2 and our reader
//     look for directories holding a `metadata` file, and tables/ holds
//     none, so both still read RUN as before (test/query.test.ts checks).
//   - any other trace (an LTTng session, a corpus trace, a read-only copy):
//     $BENCHMARK_TRACER_CACHE, else $XDG_CACHE_HOME/benchmark-tracer, else
//     ~/.cache/benchmark-tracer, under tables/<hash of the trace's real path>:
//     we do not write into other tools' trace directories.
// tables.json records the schema version and a key of the trace's files
// (path, size, mtime of every metadata and stream file): a trace that
// changed, or tables of another schema version, are built again.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { findTraceDirs, streamFiles } from '../ctf/trace-reader.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { TABLES_SCHEMA_VERSION } from '../tables/schema.js';
import { writeTraceTables, type TablesOptions, type TablesResult } from '../tables/trace-tables.js';

export const MANIFEST = 'tables.json';

export interface TablesManifest {
  schema_version: number;
  tool: string;
  /** The trace the tables were made of, as given (absolute). */
  source: string;
  source_key: string;
  events: number;
  rows: Record<string, number>;
  origin_ns: string | null;
  damage: string | null;
}

export function isTablesDir(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

export function readManifest(dir: string): TablesManifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as TablesManifest;
  } catch {
    return null;
  }
}

/** A key that changes when any metadata or stream file of the trace changes (path, size, mtime). */
export function sourceKey(trace: string): string {
  const hash = createHash('sha256');
  for (const dir of findTraceDirs(trace)) {
    for (const file of [join(dir, 'metadata'), ...streamFiles(dir)]) {
      const stat = statSync(file);
      hash.update(`${relative(trace, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

function userCacheRoot(): string {
  if (process.env.BENCHMARK_TRACER_CACHE) return resolve(process.env.BENCHMARK_TRACER_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, TOOL_NAME);
}

/** Where `query` keeps the tables of `trace` (see the top of this file). */
export function cacheDirFor(trace: string): string {
  const real = realpathSync(trace);
  if (existsSync(join(real, 'metadata.json')) && !existsSync(join(real, 'metadata'))) return join(real, 'tables');
  return userCacheDirFor(trace);
}

/** The user's cache of the tables of `trace`: for traces we may not write beside. */
export function userCacheDirFor(trace: string): string {
  return join(userCacheRoot(), 'tables', createHash('sha256').update(realpathSync(trace)).digest('hex').slice(0, 16));
}

/** Writes the tables of `trace` and their manifest into `dir` (created if missing; files of the same names replaced). */
export async function writeTablesDir(trace: string, dir: string, options: TablesOptions = {}): Promise<{ manifest: TablesManifest; result: TablesResult }> {
  const key = sourceKey(trace);
  const result = await writeTraceTables([trace], dir, options);
  const manifest: TablesManifest = {
    schema_version: TABLES_SCHEMA_VERSION,
    tool: `${TOOL_NAME} ${TOOL_VERSION}`,
    source: resolve(trace),
    source_key: key,
    events: result.events,
    rows: result.rows,
    origin_ns: result.originNs,
    damage: result.damage,
  };
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, result };
}

/** What a query killed while it built left: the building directories of processes that are gone. */
function removeAbandonedBuilds(dir: string): void {
  const prefix = `${basename(dir)}.building-`;
  for (const entry of readdirSync(dirname(dir))) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(join(dirname(dir), entry), { recursive: true, force: true });
  }
}

/** The cache's tables of `trace`, built in a sibling directory and renamed over `dir`: a reader never sees half of them. */
export async function buildCachedTables(trace: string, dir: string, options: TablesOptions = {}): Promise<TablesManifest> {
  mkdirSync(dirname(dir), { recursive: true });
  removeAbandonedBuilds(dir);
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    const { manifest } = await writeTablesDir(trace, building, options);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    return manifest;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** The cached tables are of this trace as it is now, and of this schema. */
export function isFresh(dir: string, trace: string): boolean {
  const manifest = readManifest(dir);
  return manifest !== null && manifest.schema_version === TABLES_SCHEMA_VERSION && manifest.source_key === sourceKey(trace);
}
