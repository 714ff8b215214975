// Streaming reader of a cpu<N>.pages file (see capture-files.ts): reads big
// chunks and hands out one page record at a time, in place, so memory stays
// at one chunk whatever the size of the file.

import { open, type FileHandle } from 'node:fs/promises';
import { PAGE_RECORD_HEADER_SIZE } from './capture-files.js';

export interface PageRecord {
  /** The page is `size` bytes at `start` in `view` and `bytes` (the same memory). */
  view: DataView;
  bytes: Uint8Array;
  start: number;
  size: number;
  /** The pass over the buffers that read the page, from 1; 0 when not recorded. */
  drain: number;
  /** Events lost on this CPU when the page was read (cumulative). */
  lostSoFar: number;
}

export class PageFileReader {
  private bytes: Uint8Array;
  private view: DataView;
  private filled = 0;
  private pos = 0;
  private eof = false;
  /** Bytes of an incomplete record at the end of the file (a capture cut short). */
  truncatedBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    chunkBytes: number,
  ) {
    this.bytes = new Uint8Array(chunkBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  static async open(path: string, chunkBytes: number): Promise<PageFileReader> {
    return new PageFileReader(await open(path, 'r'), chunkBytes);
  }

  /** The next page record, valid until the next call; null at the end of the file. */
  async next(): Promise<PageRecord | null> {
    if (!(await this.ensure(PAGE_RECORD_HEADER_SIZE))) return null;
    const size = this.view.getUint32(this.pos, true);
    const drain = this.view.getUint32(this.pos + 4, true);
    const lostSoFar = this.view.getUint32(this.pos + 8, true) + this.view.getUint32(this.pos + 12, true) * 2 ** 32;
    if (!(await this.ensure(PAGE_RECORD_HEADER_SIZE + size))) return null;
    const start = this.pos + PAGE_RECORD_HEADER_SIZE;
    this.pos = start + size;
    return { view: this.view, bytes: this.bytes, start, size, drain, lostSoFar };
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** Makes `n` bytes available at pos; false when the file ends first. */
  private async ensure(n: number): Promise<boolean> {
    while (this.filled - this.pos < n) {
      if (this.eof) {
        this.truncatedBytes = this.filled - this.pos;
        return false;
      }
      this.compact(n);
      const { bytesRead } = await this.file.read(this.bytes, this.filled, this.bytes.length - this.filled, null);
      if (bytesRead === 0) this.eof = true;
      this.filled += bytesRead;
    }
    return true;
  }

  /** Moves the unread bytes to the front, growing the buffer when one record is larger than it. */
  private compact(needed: number): void {
    const unread = this.filled - this.pos;
    if (needed > this.bytes.length) {
      const bigger = new Uint8Array(needed);
      bigger.set(this.bytes.subarray(this.pos, this.filled));
      this.bytes = bigger;
      this.view = new DataView(bigger.buffer);
    } else {
      this.bytes.copyWithin(0, this.pos, this.filled);
    }
    this.pos = 0;
    this.filled = unread;
  }
}
