// The values convert --to takes: apart from ctf-export.ts, so that parsing
// the command line does not load the reader and the writers.

export type ExportFormat = 'text' | 'jsonl' | 'perfetto' | 'parquet';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['text', 'jsonl', 'perfetto', 'parquet'];
