// Writes one CTF data stream file: packets of about PACKET_BYTES, each a
// packet header and context (as declared by tsdl.ts) followed by events.
// The caller writes each event's context and payload itself, straight into
// the packet buffer, between beginEvent() and endEvent(): no copy, no
// allocation per event.
//
// Event times are ns offsets from the writer's time origin (exact below
// 2^53 ns, i.e. 104 days), so the hot path stays in plain numbers.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { TimestampNs } from '../util/timestamp.js';

const CTF_MAGIC = 0xc1fc1fc1;
const PACKET_BYTES = 1 << 20;

const PACKET_HEADER_BYTES = 4 + 16 + 4 + 8;
const PACKET_CONTEXT_BYTES = 8 * 6 + 4;
const PACKET_START_BYTES = PACKET_HEADER_BYTES + PACKET_CONTEXT_BYTES;
/** uint16 id, uint64 timestamp. */
const EVENT_HEADER_BYTES = 2 + 8;
const TWO_POW_32 = 2 ** 32;

export interface StreamWriterOptions {
  path: string;
  traceUuid: Uint8Array;
  streamInstanceId: number;
  cpuId: number;
  /** Event times are given as ns from this point. */
  timeOrigin: TimestampNs;
  packetBytes?: number;
}

export class CtfStreamWriter {
  /** The packet being filled; write event bodies at the offsets beginEvent() returns. */
  bytes: Uint8Array;
  view: DataView;
  private readonly fd: number;
  private readonly packetBytes: number;
  private readonly originHigh: number;
  private readonly originLow: number;
  private used = PACKET_START_BYTES;
  private eventsInPacket = 0;
  private firstTime = 0;
  private lastTime = 0;
  private seq = 0;
  private discarded = 0;
  private reportedDiscarded = 0;
  private bytesWritten = 0;
  private closed = false;

  constructor(private readonly options: StreamWriterOptions) {
    if (options.traceUuid.length !== 16) throw new Error('trace uuid must be 16 bytes');
    this.packetBytes = options.packetBytes ?? PACKET_BYTES;
    this.bytes = new Uint8Array(this.packetBytes);
    this.view = new DataView(this.bytes.buffer);
    this.originHigh = Number(BigInt.asUintN(64, options.timeOrigin) >> 32n);
    this.originLow = Number(BigInt.asUintN(64, options.timeOrigin) & 0xffffffffn);
    this.fd = openSync(options.path, 'w');
  }

  get packetsWritten(): number {
    return this.seq;
  }

  get totalBytes(): number {
    return this.bytesWritten;
  }

  /**
   * Starts an event at `offsetNs` from the time origin whose context and
   * payload take at most `maxBodyBytes`; returns where to write them in
   * `bytes`/`view` (read those after this call: a large event replaces them).
   */
  beginEvent(id: number, offsetNs: number, maxBodyBytes: number): number {
    if (this.used + EVENT_HEADER_BYTES + maxBodyBytes > this.bytes.length) {
      this.closePacket();
      const needed = PACKET_START_BYTES + EVENT_HEADER_BYTES + maxBodyBytes;
      // An event larger than a packet gets a packet of its own size.
      if (needed > this.bytes.length) this.resize(needed);
    }
    const at = this.used;
    this.view.setUint16(at, id, true);
    this.writeTime(this.view, at + 2, offsetNs);
    if (this.eventsInPacket === 0) this.firstTime = offsetNs;
    this.lastTime = offsetNs;
    this.eventsInPacket++;
    return at + EVENT_HEADER_BYTES;
  }

  /** Ends the event begun last: `end` is the offset just past its payload. */
  endEvent(end: number): void {
    this.used = end;
  }

  /**
   * Sets the stream's cumulative count of discarded events, reported by the
   * packet open now (or the next one). CTF's events_discarded is cumulative:
   * readers report the increase between two packets as lost in between.
   */
  setDiscarded(cumulative: number): void {
    if (cumulative > this.discarded) this.discarded = cumulative;
  }

  /** Ends the current packet, if it holds events, so that what follows starts a new one. */
  closePacket(): void {
    if (this.eventsInPacket === 0) return;
    this.flushPacket();
  }

  /**
   * Writes the last packet and closes the file. A stream that got no event
   * still gets one empty packet, at `emptyStreamAtNs`, so that it exists for
   * readers and carries its discarded count.
   */
  close(emptyStreamAtNs: number): void {
    if (this.closed) return;
    // Closed even when the last write fails (a full disk): an open file keeps its space.
    this.closed = true;
    try {
      if (this.eventsInPacket > 0 || this.seq === 0 || this.discarded > this.reportedDiscarded) {
        if (this.eventsInPacket === 0) {
          // An empty packet: where the last one ended, or at the given time in a stream without events.
          const at = this.seq === 0 ? emptyStreamAtNs : this.lastTime;
          this.firstTime = at;
          this.lastTime = at;
        }
        this.flushPacket();
      }
    } finally {
      closeSync(this.fd);
    }
  }

  private flushPacket(): void {
    if (this.seq === 0 && this.discarded > 0) {
      // Readers cannot count what a stream's first packet says it lost (the
      // stream could be a snapshot that starts late): an empty packet that
      // lost nothing goes first, so that the count is reported.
      const empty = new Uint8Array(PACKET_START_BYTES);
      this.writePacket(empty, new DataView(empty.buffer), PACKET_START_BYTES, this.firstTime, this.firstTime, 0);
    }
    this.writePacket(this.bytes, this.view, this.used, this.firstTime, this.lastTime, this.discarded);
    this.reportedDiscarded = this.discarded;
    this.used = PACKET_START_BYTES;
    this.eventsInPacket = 0;
    if (this.bytes.length > this.packetBytes) this.resize(this.packetBytes);
  }

  /** Fills the header and context of the `size`-byte packet in `bytes`, and writes it out. */
  private writePacket(bytes: Uint8Array, view: DataView, size: number, begin: number, end: number, discarded: number): void {
    view.setUint32(0, CTF_MAGIC, true);
    bytes.set(this.options.traceUuid, 4);
    view.setUint32(20, 0, true); // stream_id
    writeUint64(view, 24, this.options.streamInstanceId);
    const context = PACKET_HEADER_BYTES;
    this.writeTime(view, context, begin);
    this.writeTime(view, context + 8, end);
    writeUint64(view, context + 16, size * 8); // content_size, in bits
    writeUint64(view, context + 24, size * 8); // packet_size, in bits
    writeUint64(view, context + 32, this.seq);
    writeUint64(view, context + 40, discarded);
    view.setUint32(context + 48, this.options.cpuId, true);
    let done = 0;
    while (done < size) done += writeSync(this.fd, bytes, done, size - done);
    this.bytesWritten += size;
    this.seq++;
  }

  private writeTime(view: DataView, at: number, offsetNs: number): void {
    // origin + offset as two u32 halves, in exact double arithmetic.
    const low = this.originLow + offsetNs;
    const carry = Math.floor(low / TWO_POW_32);
    view.setUint32(at, low - carry * TWO_POW_32, true);
    view.setUint32(at + 4, this.originHigh + carry, true);
  }

  private resize(size: number): void {
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.used));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }
}

function writeUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % TWO_POW_32, true);
  view.setUint32(at + 4, Math.floor(value / TWO_POW_32), true);
}
