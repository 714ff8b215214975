// Rows into a DuckDB table, a vector (2048 rows) at a time. Numbers go into
// typed arrays that are copied into DuckDB's vectors in one call per column;
// only strings cross into DuckDB one by one. node-api's generic setItem
// (a BigInt per 64-bit value, a cache per string) took 1.4 s for 3 M rows of
// numbers here; this takes a fraction of that.

import duckdb from '@duckdb/node-bindings';
import { BIGINT, DuckDBDataChunk, INTEGER, VARCHAR, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';

export type StagingKind = 'i32' | 'i64' | 'str';

const TWO_32 = 4294967296;

interface Column {
  kind: StagingKind;
  /** i32: one int32 per row; i64: two (low, high), little-endian. */
  ints: Int32Array | null;
  strings: Array<string | Uint8Array | null> | null;
  /** Bit per row, set = valid (DuckDB's validity mask layout). */
  validity: Uint8Array;
  hasNull: boolean;
}

export function stagingType(kind: StagingKind): DuckDBType {
  return kind === 'i32' ? INTEGER : kind === 'i64' ? BIGINT : VARCHAR;
}

/**
 * One batch of rows of a table, flushed through the table's appender when
 * full. Values are set per column for the current row, then `endRow()`.
 * NaN (numbers) and null (strings) are SQL NULL.
 */
export class ChunkWriter {
  readonly capacity = duckdb.vector_size();
  private readonly columns: Column[];
  /**
   * One chunk, reused: a chunk's native memory is freed only when the GC
   * finalizes its handle, and the GC does not see it, so a new chunk per
   * batch held hundreds of MB by the end of a large trace.
   */
  private readonly chunk: duckdb.DataChunk;
  private readonly wrapped: DuckDBDataChunk;
  private row = 0;
  rows = 0;

  constructor(
    private readonly appender: DuckDBAppender,
    kinds: readonly StagingKind[],
  ) {
    this.chunk = duckdb.create_data_chunk(kinds.map((kind) => stagingType(kind).toLogicalType().logical_type));
    this.wrapped = new DuckDBDataChunk(this.chunk);
    const validityBytes = Math.ceil(this.capacity / 64) * 8;
    this.columns = kinds.map((kind) => ({
      kind,
      ints: kind === 'str' ? null : new Int32Array(kind === 'i64' ? this.capacity * 2 : this.capacity),
      strings: kind === 'str' ? new Array<string | Uint8Array | null>(this.capacity).fill(null) : null,
      validity: new Uint8Array(validityBytes).fill(0xff),
      hasNull: false,
    }));
  }

  i32(column: number, value: number): void {
    const c = this.columns[column]!;
    if (value !== value) this.setNull(c);
    else c.ints![this.row] = value;
  }

  /** A 64-bit integer given as a number: exact for safe integers. */
  i64(column: number, value: number): void {
    const c = this.columns[column]!;
    if (value !== value) {
      this.setNull(c);
      return;
    }
    const high = Math.floor(value / TWO_32);
    const at = this.row * 2;
    c.ints![at] = value - high * TWO_32;
    c.ints![at + 1] = high;
  }

  /** A string, or its UTF-8 bytes (kept by reference until the flush). */
  str(column: number, value: string | Uint8Array | null): void {
    const c = this.columns[column]!;
    c.strings![this.row] = value;
    if (value === null) this.setNull(c);
  }

  private setNull(c: Column): void {
    c.validity[this.row >> 3]! &= ~(1 << (this.row & 7));
    c.hasNull = true;
  }

  endRow(): void {
    this.rows++;
    if (++this.row === this.capacity) this.flush();
  }

  /** Hands the rows so far to the appender (DuckDB copies them). */
  flush(): void {
    const count = this.row;
    if (count === 0) return;
    const chunk = this.chunk;
    duckdb.data_chunk_reset(chunk);
    duckdb.data_chunk_set_size(chunk, count);
    this.columns.forEach((c, index) => {
      const vector = duckdb.data_chunk_get_vector(chunk, index);
      if (c.ints) {
        const bytes = c.kind === 'i64' ? count * 8 : count * 4;
        duckdb.copy_data_to_vector(vector, 0, c.ints.buffer as ArrayBuffer, c.ints.byteOffset, bytes);
      } else {
        const strings = c.strings!;
        for (let i = 0; i < count; i++) {
          const value = strings[i];
          if (typeof value === 'string') duckdb.vector_assign_string_element(vector, i, value);
          else if (value) duckdb.vector_assign_string_element_len(vector, i, value);
          strings[i] = null;
        }
      }
      if (c.hasNull) {
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, c.validity.buffer as ArrayBuffer, c.validity.byteOffset, Math.ceil(count / 64) * 8);
        c.validity.fill(0xff);
        c.hasNull = false;
      }
    });
    this.appender.appendDataChunk(this.wrapped);
    this.row = 0;
  }
}
