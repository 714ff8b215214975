// The command line of `query`: apart from args.ts, whose only part in it is
// the route here.

import { UserError } from '../util/errors.js';

export type QueryOutput = 'table' | 'csv' | 'json';

export interface QueryCommand {
  kind: 'query';
  /** A trace (run directory, CTF directory, any directory above traces) or a directory `convert --to parquet` wrote. */
  trace: string;
  sql: string;
  output: QueryOutput;
  outputFile: string | null;
  quiet: boolean;
}

export const QUERY_USAGE = `  query TRACE "SQL"    SQL (DuckDB's dialect) over the trace's tables: events, syscalls,
                       sched_slices, threads, processes, files, connections, lost_events
                       (docs/tables.md); built on first use and kept beside a run
                       (RUN/tables/) or in ~/.cache/benchmark-tracer; TRACE may also be
                       a directory written by convert --to parquet. Prints an aligned
                       table; --csv or --json instead; -o FILE
`;

export function parseQueryCommand(
  positionals: string[],
  values: { csv?: boolean; json?: boolean; output?: string; quiet?: boolean; to?: string; html?: string; top?: string },
): QueryCommand {
  const [, trace, sql, ...extra] = positionals;
  if (values.to || values.html !== undefined || values.top !== undefined) throw new UserError('query takes no --to, --html or --top (see --help)');
  if (!trace || sql === undefined) throw new UserError('query needs a trace and a statement: benchmark-tracer query TRACE "SELECT ..."');
  if (extra.length > 0) throw new UserError(`query takes one statement, in quotes; got more words: ${extra.join(' ')}`);
  if (!sql.trim()) throw new UserError('query: the statement is empty');
  if (values.csv && values.json) throw new UserError('give --csv or --json, not both');
  return {
    kind: 'query',
    trace,
    sql,
    output: values.csv ? 'csv' : values.json ? 'json' : 'table',
    outputFile: values.output ?? null,
    quiet: values.quiet ?? false,
  };
}
