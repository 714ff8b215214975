// A query's result as text: an aligned table (psql/duckbox style), CSV
// (RFC 4180) or JSON (an array of row objects). Pure functions over column
// names and rows of plain values, so they are tested without DuckDB.

/** A cell as the query gives it, already converted from DuckDB's values (see sql-session.ts). */
export type Cell = null | boolean | number | bigint | string | Cell[] | { [key: string]: Cell } | { json: unknown };

/** A cell as text: NULL for the table, "" for CSV. */
export function cellText(cell: Cell, nullText: string): string {
  if (cell === null) return nullText;
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  if (Array.isArray(cell)) return `[${cell.map((c) => cellText(c, 'NULL')).join(', ')}]`;
  if ('json' in cell && Object.keys(cell).length === 1) return JSON.stringify(cell.json);
  return `{${Object.entries(cell as { [key: string]: Cell }).map(([k, v]) => `${k}: ${cellText(v, 'NULL')}`).join(', ')}}`;
}

function isNumeric(cell: Cell): boolean {
  return typeof cell === 'number' || typeof cell === 'bigint';
}

/**
 * Columns padded to their widest cell (numbers right-aligned), a rule under
 * the header, cells longer than maxCell cut with "…", and the row count.
 */
export function formatAligned(columns: string[], rows: Cell[][], options: { maxCell?: number; truncatedAt?: number | null } = {}): string {
  const maxCell = options.maxCell ?? 60;
  const cut = (text: string) => {
    const line = text.replace(/[\r\n\t]/g, ' ');
    return line.length > maxCell ? `${line.slice(0, maxCell - 1)}…` : line;
  };
  const texts = rows.map((row) => row.map((cell) => cut(cellText(cell, 'NULL'))));
  const widths = columns.map((name, i) => Math.max(name.length, ...texts.map((row) => row[i]!.length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => row[i] === null || isNumeric(row[i]!)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [columns.map((name, i) => pad(name, i)).join('  ').trimEnd(), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of texts) lines.push(row.map((text, i) => pad(text, i)).join('  ').trimEnd());
  const count = `(${rows.length.toLocaleString('en-US')} row${rows.length === 1 ? '' : 's'}`;
  lines.push(options.truncatedAt ? `${count} shown; more not shown: add LIMIT, or use --csv or --json for every row)` : `${count})`);
  return `${lines.join('\n')}\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(columns: string[]): string {
  return `${columns.map(csvField).join(',')}\n`;
}

export function csvRows(rows: Cell[][]): string {
  let out = '';
  for (const row of rows) out += `${row.map((cell) => csvField(cellText(cell, ''))).join(',')}\n`;
  return out;
}

/** A cell as JSON: integers past 2^53 are strings (no digit lost), a JSON column is its parsed value. */
export function jsonValue(cell: Cell): unknown {
  if (cell === null || typeof cell === 'string' || typeof cell === 'boolean') return cell;
  if (typeof cell === 'bigint') return Number.isSafeInteger(Number(cell)) ? Number(cell) : cell.toString();
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : String(cell);
  if (Array.isArray(cell)) return cell.map(jsonValue);
  if ('json' in cell && Object.keys(cell).length === 1) return cell.json;
  return Object.fromEntries(Object.entries(cell as { [key: string]: Cell }).map(([k, v]) => [k, jsonValue(v)]));
}

/** Rows as the members of a JSON array, one object per line; the caller writes "[" before the first and "]" after the last. */
export function jsonRows(columns: string[], rows: Cell[][], first: boolean): string {
  let out = '';
  rows.forEach((row, r) => {
    const object: Record<string, unknown> = {};
    columns.forEach((name, i) => (object[name] = jsonValue(row[i]!)));
    out += `${first && r === 0 ? '' : ',\n'}${JSON.stringify(object)}`;
  });
  return out;
}
