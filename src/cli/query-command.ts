// query and convert --to parquet: find or build a trace's tables
// (query/tables-dir.ts), run the statement (query/sql-session.ts), print
// the rows (query/result-format.ts). Thin: the work is in those modules.

import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { csvHeader, csvRows, formatAligned, jsonRows, type Cell } from '../query/result-format.js';
import { QueryError, SqlSession } from '../query/sql-session.js';
import { buildCachedTables, cacheDirFor, isFresh, isTablesDir, readManifest, userCacheDirFor, writeTablesDir } from '../query/tables-dir.js';
import { TABLES_SCHEMA_VERSION } from '../tables/schema.js';
import type { TablesOptions } from '../tables/trace-tables.js';
import { isFilesystemError, UserError } from '../util/errors.js';
import { TOOL_NAME } from '../version.js';
import type { QueryCommand } from './query-args.js';
import { checkTraceDirectory, traceErrorToUser, withReadProgress } from './trace-errors.js';

/** Rows an aligned table shows at most: it is read whole to size its columns. */
const MAX_TABLE_ROWS = 10_000;

/** Runs `work` with the progress line of a tables build on a terminal. */
function withProgress<T>(quiet: boolean, work: (options: TablesOptions) => Promise<T>): Promise<T> {
  return withReadProgress('writing tables', quiet, (progress) => work({ progress }));
}

function warnDamage(trace: string, damage: string | null): void {
  if (damage) console.error(`${TOOL_NAME}: ${trace}: damaged trace, tables hold the events before the damage: ${damage}`);
}

export async function convertToParquetCommand(traceDir: string, outDir: string, quiet: boolean): Promise<number> {
  checkTraceDirectory(traceDir);
  if (existsSync(outDir) && (!statSync(outDir).isDirectory() || (readdirSync(outDir).length > 0 && !isTablesDir(outDir)))) {
    throw new UserError(`${outDir}: not an empty directory; convert --to parquet writes its tables into a new or empty one`);
  }
  const { manifest } = await withProgress(quiet, (options) => writeTablesDir(traceDir, outDir, options));
  warnDamage(traceDir, manifest.damage);
  return manifest.damage ? 1 : 0;
}

function freshTables(dir: string, trace: string): boolean {
  try {
    return isFresh(dir, trace);
  } catch (error) {
    throw traceErrorToUser(error);
  }
}

/** The directory of tables to query: TRACE itself when convert wrote it, else the cache, built when missing or stale. */
async function tablesFor(trace: string, quiet: boolean): Promise<string> {
  if (isTablesDir(trace)) {
    const manifest = readManifest(trace);
    if (manifest?.schema_version !== TABLES_SCHEMA_VERSION) {
      throw new UserError(`${trace}: tables of schema version ${manifest?.schema_version ?? '?'}, this version reads ${TABLES_SCHEMA_VERSION}: convert the trace again`);
    }
    return trace;
  }
  let dir = cacheDirFor(trace);
  if (freshTables(dir, trace)) return dir;
  let manifest;
  try {
    manifest = await withProgress(quiet, (options) => buildCachedTables(trace, dir, options));
  } catch (error) {
    // A run directory we may not write (a read-only copy): the user's cache instead.
    if (!isFilesystemError(error) || dir === userCacheDirFor(trace)) throw error;
    dir = userCacheDirFor(trace);
    if (freshTables(dir, trace)) return dir;
    manifest = await withProgress(quiet, (options) => buildCachedTables(trace, dir, options));
  }
  warnDamage(trace, manifest.damage);
  if (!quiet && process.stderr.isTTY) console.error(`${TOOL_NAME}: tables of ${manifest.events.toLocaleString('en-US')} events kept in ${dir}`);
  return dir;
}

/** Writes to the output; a reader that went away (`| head`) ends the writing quietly. */
class Output {
  private gone = false;

  constructor(private readonly stream: Writable) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.gone = true;
      else throw error;
    });
  }

  get closed(): boolean {
    return this.gone;
  }

  async write(text: string): Promise<void> {
    if (this.gone || text === '') return;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }
}

export async function queryCommand(command: QueryCommand): Promise<number> {
  checkTraceDirectory(command.trace);
  const dir = await tablesFor(command.trace, command.quiet);
  const session = await SqlSession.open(dir);
  const file = command.outputFile ? createWriteStream(command.outputFile) : null;
  const out = new Output(file ?? process.stdout);
  try {
    const result = await session.query(command.sql).catch((error: unknown) => {
      throw error instanceof QueryError ? new UserError(error.message, 2) : error;
    });
    const next = () =>
      result.next().catch((error: unknown) => {
        throw error instanceof QueryError ? new UserError(error.message, 2) : error;
      });
    if (command.output === 'table') {
      const rows: Cell[][] = [];
      let truncated = false;
      for (let chunk = await next(); chunk; chunk = await next()) {
        const room = MAX_TABLE_ROWS - rows.length;
        if (chunk.length > room) {
          rows.push(...chunk.slice(0, room));
          truncated = true;
          break;
        }
        rows.push(...chunk);
      }
      await out.write(formatAligned(result.columns, rows, { truncatedAt: truncated ? MAX_TABLE_ROWS : null }));
    } else if (command.output === 'csv') {
      await out.write(csvHeader(result.columns));
      for (let chunk = await next(); chunk && !out.closed; chunk = await next()) await out.write(csvRows(chunk));
    } else {
      await out.write('[');
      let first = true;
      for (let chunk = await next(); chunk && !out.closed; chunk = await next()) {
        await out.write(`${first ? '\n' : ''}${jsonRows(result.columns, chunk, first)}`);
        if (chunk.length > 0) first = false;
      }
      await out.write(first ? ']\n' : '\n]\n');
    }
  } finally {
    session.close();
    if (file) {
      file.end();
      await finished(file);
    }
  }
  return 0;
}
