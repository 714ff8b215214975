// The command line of `query`, as args.ts's specification hands it over:
// the trace, the statement, and one output format.

import type { OptionValues } from 'commander';
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

export function queryCommand(trace: string, sql: string, values: OptionValues): QueryCommand {
  if (!sql.trim()) throw new UserError('query: the statement is empty');
  if (values.csv && values.json) throw new UserError('give --csv or --json, not both');
  return {
    kind: 'query',
    trace,
    sql,
    output: values.csv ? 'csv' : values.json ? 'json' : 'table',
    outputFile: (values.output as string | undefined) ?? null,
    quiet: (values.quiet as boolean | undefined) ?? false,
  };
}
