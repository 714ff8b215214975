// A hand-built CTF trace with plain-text metadata: every field class the
// reader knows, bit fields, both byte orders, a 27-bit clock that wraps.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes integers bit by bit: little-endian fills each byte from its LSB, big-endian from its MSB. */
class BitWriter {
  bytes = new Uint8Array(1 << 16);
  pos = 0;
  constructor(private readonly littleEndian: boolean) {}
  align(bits: number): this {
    this.pos = Math.ceil(this.pos / bits) * bits;
    return this;
  }
  int(value: number | bigint, size: number, align = 8): this {
    this.align(align);
    const v = BigInt.asUintN(size, BigInt(value));
    for (let i = 0; i < size; i++) {
      const bit = Number((v >> BigInt(this.littleEndian ? i : size - 1 - i)) & 1n);
      const at = this.pos + i;
      const shift = this.littleEndian ? at % 8 : 7 - (at % 8);
      this.bytes[at >> 3]! |= bit << shift;
    }
    this.pos += size;
    return this;
  }
  float(value: number, bits: 32 | 64): this {
    this.align(8);
    const view = new DataView(this.bytes.buffer);
    if (bits === 32) view.setFloat32(this.pos / 8, value, this.littleEndian);
    else view.setFloat64(this.pos / 8, value, this.littleEndian);
    this.pos += bits;
    return this;
  }
  text(value: string, withNul = true): this {
    this.align(8);
    const bytes = Buffer.from(value, 'latin1');
    this.bytes.set(bytes, this.pos / 8);
    this.pos += (bytes.length + (withNul ? 1 : 0)) * 8;
    return this;
  }
}

function metadataText(byteOrder: 'le' | 'be'): string {
  return `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = false; } := unsigned int;
trace { major = 1; minor = 8; byte_order = ${byteOrder};
  packet.header := struct { uint32_t magic; uint32_t stream_id; };
};
env { hostname = "crafted"; tracer_name = "test"; };
clock { name = c; freq = 1000000000; offset_s = 1000; offset = 5; };
typealias integer { size = 27; align = 1; signed = false; map = clock.c.value; } := ts27;
typealias integer { size = 64; align = 8; signed = false; map = clock.c.value; } := ts64;
typedef enum : uint8_t { A = 0, B = 1 ... 5, "C", } letter_t;
stream { id = 0;
  packet.context := struct { ts64 timestamp_begin; ts64 timestamp_end; uint32_t content_size; uint32_t packet_size; unsigned int events_discarded; uint32_t cpu_id; };
  event.header := struct { integer { size = 5; align = 1; signed = false; } id; ts27 timestamp; };
  event.context := struct { integer { size = 16; align = 8; signed = true; } _tid; };
};
event { id = 1; name = "ev"; stream_id = 0; fields := struct {
  integer { size = 3; align = 1; signed = true; } small;
  integer { size = 13; align = 1; signed = false; base = 16; } hex;
  letter_t _e;
  floating_point { exp_dig = 8; mant_dig = 24; align = 8; } f;
  floating_point { exp_dig = 11; mant_dig = 53; align = 8; } d;
  string s;
  uint8_t _n_length;
  integer { size = 16; align = 8; signed = true; base = 8; } arr[_n_length];
  integer { size = 8; align = 8; signed = false; encoding = UTF8; } text[6];
  variant <_e> { uint8_t A; uint32_t B; string C; } v;
  struct { uint8_t x; integer { size = 64; align = 8; signed = true; base = 16; } neg; } align(32) st;
  integer { size = 4; align = 1; signed = false; base = 2; } bits[2];
}; };
event { id = 2; name = "empty"; stream_id = 0; };
`;
}

export interface CraftedEvent {
  timestampLow: number;
  letter: number;
}

/** One stream, one packet, events whose 27-bit timestamps wrap once. */
export function writeCraftedTrace(dir: string, byteOrder: 'le' | 'be', events: CraftedEvent[], clockBegin: bigint): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata'), metadataText(byteOrder));
  const w = new BitWriter(byteOrder === 'le');
  w.int(0xc1fc1fc1, 32).int(0, 32);
  w.int(clockBegin, 64).int(clockBegin + 1_000_000n, 64);
  const contentSizeAt = w.pos;
  w.int(0, 32).int(0, 32).int(0, 32).int(3, 32);
  for (const [index, event] of events.entries()) {
    w.int(1, 5, 1).int(event.timestampLow, 27, 1);
    w.int(-7 - index, 16);
    // The payload struct is as aligned as its most aligned member (st, align(32)).
    w.align(32).int(-2 + index, 3, 1).int(0x1abc, 13, 1);
    w.int(event.letter, 8);
    w.float(1.5 + index, 32).float(-1e-7 * (index + 1), 64);
    w.text(`q"\\\t\x01é${index}`);
    w.int(2, 8).int(-8, 16).int(511, 16);
    w.text('abc', false).int(0, 8).text('zz', false);
    if (event.letter === 0) w.int(200, 8);
    else if (event.letter <= 5) w.int(4_000_000_000, 32);
    else w.text('variant-string');
    w.align(32).int(9, 8).int(-1n, 64);
    w.int(5, 4, 1).int(10, 4, 1);
  }
  w.align(8).int(2, 5, 1).int(events[events.length - 1]!.timestampLow + 1, 27, 1).int(0, 16);
  const contentBits = w.pos;
  const packetBytes = Math.ceil(contentBits / 8 / 64) * 64;
  const patch = new BitWriter(byteOrder === 'le');
  patch.bytes = w.bytes;
  patch.pos = contentSizeAt;
  patch.int(contentBits, 32).int(packetBytes * 8, 32);
  writeFileSync(join(dir, 'stream_0'), w.bytes.subarray(0, packetBytes));
}

export const WRAPPING_EVENTS: CraftedEvent[] = [
  { timestampLow: (1 << 27) - 40, letter: 0 },
  { timestampLow: (1 << 27) - 5, letter: 3 },
  { timestampLow: 7, letter: 6 },
  { timestampLow: 9, letter: 2 },
];
// The clock begins 10 below the next 2^27 boundary, above 2^32 so high bits matter.
export const CLOCK_BEGIN = (5n << 27n) + (1n << 27n) - 50n;


/** Three packets in one stream; the packet contexts say 7, then 1 more, events were discarded. */
export function writeCraftedTraceWithLosses(dir: string): void {
  const packets: Buffer[] = [];
  [0, 7, 8].forEach((discarded, index) => {
    const part = join(dir, `part${index}`);
    writeCraftedTrace(part, 'le', WRAPPING_EVENTS, CLOCK_BEGIN + (BigInt(index) << 28n));
    const packet = readFileSync(join(part, 'stream_0'));
    // events_discarded: after magic, stream_id, two 64-bit timestamps, content and packet sizes.
    packet.writeUInt32LE(discarded, 32);
    packets.push(packet);
    renameSync(join(part, 'metadata'), join(dir, 'metadata'));
    rmSync(part, { recursive: true });
  });
  writeFileSync(join(dir, 'stream_0'), Buffer.concat(packets));
}
