// SQL over a directory of trace tables: an in-memory DuckDB with one view
// per Parquet file (events, syscalls, ...), the user's statement run as it
// is, its rows handed out in chunks as plain cells.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBListValue, DuckDBStructValue, DuckDBArrayValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { TABLES } from '../tables/schema.js';
import type { Cell } from './result-format.js';

/** A statement DuckDB refused (syntax, unknown table, a conversion that failed): its message in one line. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** DuckDB's message without the LINE/caret lines that point into the statement. */
export function oneLine(message: string): string {
  const lines = message.replace(/^Failed to extract statements: /, '').split('\n').map((l) => l.trim());
  const kept: string[] = [];
  for (const line of lines) {
    if (line.startsWith('LINE ')) break;
    if (line) kept.push(line);
  }
  return kept.join(' ');
}

function toCell(value: DuckDBValue, json: boolean): Cell {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    if (json && typeof value === 'string') {
      try {
        return { json: JSON.parse(value) as unknown };
      } catch {
        return value;
      }
    }
    return value;
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map((v) => toCell(v, false));
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toCell(v, false)]));
  return String(value);
}

export interface QueryResult {
  columns: string[];
  /** The next rows (about 2048 at a time), or null at the end. */
  next(): Promise<Cell[][] | null>;
}

export class SqlSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The tables found in the directory. */
    readonly tables: string[],
  ) {}

  /** A session whose views are the tables of `dir` (any of schema.ts's that has its Parquet file there). */
  static async open(dir: string): Promise<SqlSession> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const tables: string[] = [];
    for (const table of TABLES) {
      const file = join(dir, `${table.name}.parquet`);
      if (!existsSync(file)) continue;
      await connection.run(`CREATE VIEW "${table.name}" AS SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
      tables.push(table.name);
    }
    return new SqlSession(instance, connection, tables);
  }

  async query(sql: string): Promise<QueryResult> {
    let result;
    try {
      result = await this.connection.stream(sql);
    } catch (error) {
      throw new QueryError(oneLine((error as Error).message));
    }
    const columns = result.deduplicatedColumnNames();
    const json = columns.map((_, i) => result.columnType(i).alias === 'JSON');
    return {
      columns,
      next: async () => {
        let chunk;
        try {
          chunk = await result.fetchChunk();
        } catch (error) {
          throw new QueryError(oneLine((error as Error).message));
        }
        if (!chunk || chunk.rowCount === 0) return null;
        return chunk.getRows().map((row) => row.map((value, i) => toCell(value, json[i]!)));
      },
    };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
