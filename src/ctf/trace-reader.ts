// Reads CTF 1.8 trace directories: each stream file packet by packet (memory
// is bounded by the largest packet), and all streams of all traces merged in
// time order.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  collectReferencedNames,
  DecodeError,
  DecoderCompiler,
  DecodeState,
  type Decoder,
  type FieldValue,
} from './field-decoder.js';
import { metadataError, readTraceMetadata, TraceFormatError } from './metadata-file.js';
import { MetadataError, type ClockClass, type EventClass, type FieldClass, type StreamClass, type TraceMetadata } from './metadata-model.js';

const PACKET_MAGIC = 0xc1fc1fc1;
const FIRST_READ_BYTES = 4096;

/** Packet-context members that describe the packet rather than its contents. */
export const PACKET_CONTEXT_MEANINGS: ReadonlySet<string> = new Set([
  'timestamp_begin',
  'timestamp_end',
  'content_size',
  'packet_size',
  'events_discarded',
  'packet_seq_num',
]);
const PACKET_HEADER_SPECIAL = new Set(['magic', 'stream_id', 'stream_instance_id']);
const NO_CLOCK_UPDATE = new Set(['timestamp_end']);

export interface CtfTrace {
  dir: string;
  /** As babeltrace2 names it: the hostname, then the path below the directory the user gave. */
  name: string;
  metadata: TraceMetadata;
  /** The first clock the metadata declares (LTTng declares one). Events use their stream class's. */
  clock: ClockClass | null;
  /** Names that some sequence or variant refers to: printers keep these fields. */
  referencedNames: ReadonlySet<string>;
  /** Decoders of every scope: the stream classes' compiled when the trace is opened, an event class's at its first event (every class is checked at the open); stream files share them. */
  decoders: TraceDecoders;
}

export interface TraceDecoders {
  packetHeader: Decoder | null;
  streams: Map<number, StreamDecoders>;
}

/** The origin of the times of one merge: the earliest clock origin of its traces (for LTTng: Unix time, in ns). */
export interface TimeBase {
  ns: bigint;
}

/**
 * When a message happened: `base.ns + ns`. A number, exact while it is a safe
 * integer (below 2^53 ns, ~104 days after the base: clocks count from boot);
 * past that, `nsExact` has the exact value and `ns` the nearest number (which
 * still orders correctly where it differs).
 */
export interface MessageTime {
  base: TimeBase;
  ns: number;
  nsExact: bigint | null;
}

/**
 * One event. The reader refills the same object, and its arrays' top level,
 * for the next event of the same stream file: a message of `openMessages` is
 * valid until the next call of `next()`. `readMessages` hands out copies.
 */
export interface CtfEvent extends MessageTime {
  kind: 'event';
  trace: CtfTrace;
  streamClass: StreamClass;
  eventClass: EventClass;
  /** Clock value in cycles (a number while it is a safe integer). */
  cycles: number | bigint;
  /** Nanoseconds from the epoch of the time base (the Unix epoch for LTTng), exact; computed on each read. */
  readonly timestampNs: bigint;
  cpuId: number | null;
  packetContext: FieldValue[] | null;
  streamContext: FieldValue[] | null;
  context: FieldValue[] | null;
  payload: FieldValue[] | null;
}

/** What a packet's counters say was lost before it (LTTng: a full ring buffer). */
export interface DiscardedNotice extends MessageTime {
  kind: 'discarded';
  what: 'event' | 'packet';
  count: number;
  trace: CtfTrace;
  streamClassId: number;
  streamId: number;
  /** Absolute, as babeltrace2 prints it. */
  streamFile: string;
  /** The range the loss happened in: previous packet's end to this packet's end (events) or beginning (packets). */
  beginNs: bigint | null;
  endNs: bigint | null;
  /** Where the notice sorts among events: the range's beginning. */
  timestampNs: bigint;
}

/** A packet that begins before the previous one of its stream ended (old LTTng did this): read anyway. */
export interface BackwardsPacketNotice extends MessageTime {
  kind: 'backwards-packet';
  streamFile: string;
  packetOffset: number;
  beginNs: bigint;
  previousEndNs: bigint;
  timestampNs: bigint;
}

export type CtfMessage = CtfEvent | DiscardedNotice | BackwardsPacketNotice;

interface PacketCounters {
  endNs: bigint | null;
  discarded: number | null;
  sequence: number | null;
}

interface StreamDecoders {
  packetContext: Decoder | null;
  eventHeader: Decoder | null;
  eventContext: Decoder | null;
  /** By event id (a sparse array where ids are). */
  events: EventDecoders[];
  /** Has the stream-level symbols: each event class's compiler is a fork of it. */
  compiler: DecoderCompiler;
}

interface EventDecoders {
  eventClass: EventClass;
  /** False until the class's first event (a kernel trace declares a thousand classes and uses a few hundred at most). */
  compiled: boolean;
  context: Decoder | null;
  payload: Decoder | null;
}

/** What the user named cannot be read as a trace at all (missing, a file, unreadable, no trace in it): bad input, not a bad trace. */
export class TraceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceInputError';
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

/** What a file-system error means to a user, in words (null: not one of those). */
export function fileProblem(error: unknown): string | null {
  return FILE_PROBLEMS[(error as NodeJS.ErrnoException | null)?.code ?? ''] ?? null;
}

function inputError(path: string, error: unknown): unknown {
  const problem = fileProblem(error);
  return problem ? new TraceInputError(`${path}: ${problem}`) : error;
}

/** Every directory at or under `root` that holds a `metadata` file, sorted. */
export function findTraceDirs(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw inputError(dir, error);
    }
    if (entries.some((e) => e.isFile() && e.name === 'metadata')) found.push(dir);
    for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.')) visit(join(dir, entry.name));
  };
  visit(root);
  return found.sort();
}

export function openTrace(dir: string, root = dir): CtfTrace {
  let metadata: TraceMetadata;
  try {
    metadata = readTraceMetadata(dir);
  } catch (error) {
    throw inputError(join(dir, 'metadata'), error);
  }
  const types: Array<FieldClass | null> = [metadata.packetHeader];
  for (const stream of metadata.streams.values()) {
    types.push(stream.packetContext, stream.eventHeader, stream.eventContext);
    for (const event of stream.events.values()) types.push(event.context, event.payload);
  }
  const clock = metadata.clocks.values().next().value ?? null;
  // babeltrace2: the hostname, a slash, the path below the directory given (nothing for the directory itself).
  const hostname = metadata.env.get('hostname');
  const below = relative(root, dir);
  const name = [typeof hostname === 'string' ? hostname : null, below || null].filter((part) => part !== null).join('/');
  const referencedNames = collectReferencedNames(types);
  let decoders: TraceDecoders;
  try {
    decoders = compileTrace(metadata, referencedNames);
  } catch (error) {
    if (error instanceof MetadataError) throw metadataError(dir, error);
    throw error;
  }
  return { dir, name, metadata, clock, referencedNames, decoders };
}

/**
 * The packet header and the stream classes' scopes compiled; every event
 * class checked (metadata that cannot be decoded with fails here, before any
 * event) and compiled at its first event.
 */
function compileTrace(metadata: TraceMetadata, referencedNames: ReadonlySet<string>): TraceDecoders {
  const compiler = new DecoderCompiler(metadata.byteOrder, referencedNames);
  const packetHeader = metadata.packetHeader ? compiler.compileScope(metadata.packetHeader, { special: PACKET_HEADER_SPECIAL }) : null;
  const streams = new Map<number, StreamDecoders>();
  for (const stream of metadata.streams.values()) {
    const streamCompiler = compiler.fork();
    const decoders: StreamDecoders = {
      packetContext: stream.packetContext
        ? streamCompiler.compileScope(stream.packetContext, { special: PACKET_CONTEXT_MEANINGS, noClockUpdate: NO_CLOCK_UPDATE })
        : null,
      eventHeader: stream.eventHeader ? streamCompiler.compileScope(stream.eventHeader, { captureEventId: true, effectsOnly: true }) : null,
      eventContext: stream.eventContext ? streamCompiler.compileScope(stream.eventContext) : null,
      events: [],
      compiler: streamCompiler,
    };
    for (const event of stream.events.values()) {
      const checker = streamCompiler.fork();
      if (event.context) checker.checkScope(event.context);
      if (event.payload) checker.checkScope(event.payload);
      decoders.events[event.id] = { eventClass: event, compiled: false, context: null, payload: null };
    }
    streams.set(stream.id, decoders);
  }
  return { packetHeader, streams };
}

/** An event class's decoders, made at its first event (checkScope already found what would fail). */
function compileEvent(stream: StreamDecoders, decoders: EventDecoders): void {
  const compiler = stream.compiler.fork();
  const event = decoders.eventClass;
  decoders.context = event.context ? compiler.compileScope(event.context) : null;
  decoders.payload = event.payload ? compiler.compileScope(event.payload) : null;
  decoders.compiled = true;
}

/** ns from origin, as babeltrace2 computes it: offsets and value converted separately. */
export function cyclesToNs(clock: ClockClass | null, cycles: bigint): bigint {
  if (!clock) return cycles;
  const toNs = (c: bigint) => (clock.freq === 1_000_000_000n ? c : (c * 1_000_000_000n) / clock.freq);
  return clock.offsetSeconds * 1_000_000_000n + toNs(clock.offsetCycles) + toNs(cycles);
}

/** The earliest origin of the clocks of these traces (0 without any): small numbers for the times of a merge. */
export function timeBaseOf(traces: Iterable<CtfTrace>): TimeBase {
  let earliest: bigint | null = null;
  for (const trace of traces) {
    for (const stream of trace.metadata.streams.values()) {
      if (!stream.clock) continue;
      const origin = cyclesToNs(stream.clock, 0n);
      if (earliest === null || origin < earliest) earliest = origin;
    }
  }
  return { ns: earliest ?? 0n };
}

/** A message's exact time: ns from the epoch of its base's clock. */
export function absoluteNs(time: MessageTime): bigint {
  return time.base.ns + (time.nsExact ?? BigInt(time.ns));
}

/** `time` - `since` in ns, as a number: number arithmetic when both are exact (always, below ~104 days). */
export function nsBetween(since: MessageTime, time: MessageTime): number {
  if (time.nsExact === null && since.nsExact === null && time.base === since.base) return time.ns - since.ns;
  return Number(absoluteNs(time) - absoluteNs(since));
}

/** A copy of a message's time, to keep past the next message. */
export function timeOf(time: MessageTime): MessageTime {
  return { base: time.base, ns: time.ns, nsExact: time.nsExact };
}

/** The time `ns` (from the base's epoch) as a message time on `base`. */
function timeOnBase(base: TimeBase, ns: bigint): MessageTime {
  const relative = ns - base.ns;
  const number = Number(relative);
  return { base, ns: number, nsExact: Number.isSafeInteger(number) ? null : relative };
}

/** The reader's event object, refilled for each event of its stream file. */
class StreamEvent implements CtfEvent {
  readonly kind = 'event';
  streamClass!: StreamClass;
  eventClass!: EventClass;
  cycles: number | bigint = 0;
  ns = 0;
  nsExact: bigint | null = null;
  cpuId: number | null = null;
  packetContext: FieldValue[] | null = null;
  streamContext: FieldValue[] | null = null;
  context: FieldValue[] | null = null;
  payload: FieldValue[] | null = null;

  constructor(
    readonly trace: CtfTrace,
    readonly base: TimeBase,
  ) {}

  get timestampNs(): bigint {
    return absoluteNs(this);
  }

  /** A copy that the reader will not refill (the arrays below the top level are new for every event). */
  copy(): StreamEvent {
    const copy = Object.assign(new StreamEvent(this.trace, this.base), this);
    copy.packetContext = this.packetContext?.slice() ?? null;
    copy.streamContext = this.streamContext?.slice() ?? null;
    copy.context = this.context?.slice() ?? null;
    copy.payload = this.payload?.slice() ?? null;
    return copy;
  }
}

/** One stream file, decoded event by event. */
export class StreamFileReader {
  private readonly fd: number;
  private readonly fileSize: number;
  private readonly state = new DecodeState();
  private buffer = Buffer.alloc(FIRST_READ_BYTES);
  private packetOffset = 0;
  private nextPacketOffset = 0;
  private inPacket = false;
  private current: StreamDecoders | null = null;
  private currentClass: StreamClass | null = null;
  private readonly event: StreamEvent;
  /** Bytes the current packet should have when the file ends inside it, else 0. */
  private truncatedBytes = 0;
  private previousPacket: PacketCounters | null = null;
  private readonly notices: Array<DiscardedNotice | BackwardsPacketNotice> = [];
  /** The current packet's stream clock; its origin's distance from the time base when it counts nanoseconds and that is a safe integer (then an event's time is one addition of numbers). */
  private clock: ClockClass | null = null;
  private fastOriginFromBase: number | null = null;
  /** Offsets of packets another stream file of the same trace also holds: not read here. */
  readonly skipped = new Set<number>();
  /** Set while scanning packet headers only (see packetIdentities). */
  private identities: Array<{ offset: number; key: string }> | null = null;

  constructor(
    readonly trace: CtfTrace,
    readonly file: string,
    /** babeltrace2's stream ID when the packet header has no stream_instance_id: the file's rank in its trace. */
    private readonly fileIndex = 0,
    /** Shared by every stream file of a merge. */
    private readonly base: TimeBase = timeBaseOf([trace]),
  ) {
    this.event = new StreamEvent(trace, base);
    try {
      this.fd = openSync(file, 'r');
      this.fileSize = statSync(file).size;
    } catch (error) {
      throw inputError(file, error);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Each packet's offset and identity, from its header alone; up to the first damage (which the real read reports). */
  packetIdentities(): Array<{ offset: number; key: string }> {
    const scan = new StreamFileReader(this.trace, this.file, this.fileIndex, this.base);
    scan.identities = [];
    try {
      while (scan.openPacket());
    } catch {
      // The damage is the real read's to report.
    } finally {
      scan.close();
    }
    return scan.identities;
  }

  /** The next event or loss notice, or null at the end of the file. */
  next(): CtfMessage | null {
    try {
      for (;;) {
        if (this.notices.length > 0) return this.notices.shift()!;
        if (!this.inPacket) {
          if (!this.openPacket()) return null;
          continue;
        }
        if (this.state.pos < this.state.end) return this.decodeEvent();
        if (this.truncatedBytes > 0) throw this.truncationError();
        this.inPacket = false;
      }
    } catch (error) {
      if (error instanceof DecodeError) {
        if (this.truncatedBytes > 0) throw this.truncationError();
        throw new TraceFormatError(this.file, this.packetOffset + Math.floor(error.bitOffset / 8), error.message);
      }
      throw error;
    }
  }

  private truncationError(): TraceFormatError {
    const present = this.fileSize - this.packetOffset;
    return new TraceFormatError(this.file, this.fileSize, `file cut short: the packet at byte ${this.packetOffset} is ${this.truncatedBytes} bytes long, the file has ${present} from there`);
  }

  private read(offset: number, length: number): Buffer {
    if (this.buffer.length < length) this.buffer = Buffer.alloc(Math.max(length, this.buffer.length * 2));
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, this.buffer, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return this.buffer.subarray(0, done);
  }

  private openPacket(): boolean {
    if (this.nextPacketOffset >= this.fileSize) return false;
    this.packetOffset = this.nextPacketOffset;
    const remaining = this.fileSize - this.packetOffset;
    const state = this.state;
    let bytes = this.read(this.packetOffset, Math.min(FIRST_READ_BYTES, remaining));
    state.setPacket(bytes, bytes.length * 8);
    state.special.clear();
    const streams = this.trace.decoders.streams;
    this.trace.decoders.packetHeader?.(state);
    const magic = state.special.get('magic');
    if (magic !== undefined && Number(magic) !== PACKET_MAGIC) {
      throw new DecodeError(`bad packet magic 0x${magic.toString(16)}`, 0);
    }
    const streamId = Number(state.special.get('stream_id') ?? 0);
    const decoders = streams.get(streamId);
    const streamClass = this.trace.metadata.streams.get(streamId);
    if (!decoders || !streamClass) throw new DecodeError(`packet of unknown stream class ${streamId}`, 0);
    const context = decoders.packetContext?.(state) ?? null;
    const packetBits = Number(state.special.get('packet_size') ?? remaining * 8);
    const contentBits = Number(state.special.get('content_size') ?? packetBits);
    if (packetBits % 8 !== 0 || packetBits <= 0 || contentBits > packetBits) {
      throw new DecodeError(`bad packet size (packet ${packetBits} bits, content ${contentBits} bits)`, 0);
    }
    const headerEnd = state.pos;
    if (contentBits < headerEnd) throw new DecodeError('packet content smaller than its header', 0);
    if (this.identities || this.skipped.has(this.packetOffset)) {
      this.identities?.push({ offset: this.packetOffset, key: packetIdentity(streamId, state.special, packetBits) });
      this.nextPacketOffset = this.packetOffset + packetBits / 8;
      return true;
    }
    // A packet longer than the rest of the file (cut, or a size babeltrace2 refuses): decode what is there, then say so.
    const contentBytes = Math.ceil(contentBits / 8);
    this.truncatedBytes = packetBits / 8 > remaining ? packetBits / 8 : 0;
    if (contentBytes > bytes.length) bytes = this.read(this.packetOffset, Math.min(contentBytes, remaining));
    state.setPacket(bytes, Math.min(contentBits, bytes.length * 8));
    state.pos = headerEnd;
    const begin = state.special.get('timestamp_begin');
    if (begin !== undefined) state.clock = begin;
    if (streamClass.clock !== this.clock || this.currentClass === null) {
      this.clock = streamClass.clock;
      const originFromBase = Number(cyclesToNs(this.clock, 0n) - this.base.ns);
      const countsNs = this.clock === null || this.clock.freq === 1_000_000_000n;
      this.fastOriginFromBase = countsNs && Number.isSafeInteger(originFromBase) ? originFromBase : null;
    }
    this.countLosses(streamClass.id);
    this.nextPacketOffset = this.packetOffset + packetBits / 8;
    this.current = decoders;
    this.currentClass = streamClass;
    const event = this.event;
    event.streamClass = streamClass;
    event.packetContext = context as FieldValue[] | null;
    const cpuIndex = streamClass.packetContext?.members.findIndex((m) => m.name === 'cpu_id') ?? -1;
    event.cpuId = cpuIndex >= 0 && context ? Number((context as FieldValue[])[cpuIndex]) : null;
    this.inPacket = true;
    return true;
  }

  /** Compares this packet's counters with the previous packet's, as babeltrace2 does. */
  private countLosses(streamClassId: number): void {
    const special = this.state.special;
    const toNs = (name: string): bigint | null => {
      const value = special.get(name);
      return value === undefined || this.clock === null ? null : cyclesToNs(this.clock, BigInt(value));
    };
    const discarded = special.has('events_discarded') ? Number(special.get('events_discarded')) : null;
    const sequence = special.has('packet_seq_num') ? Number(special.get('packet_seq_num')) : null;
    const current: PacketCounters = { endNs: toNs('timestamp_end'), discarded, sequence };
    const previous = this.previousPacket;
    this.previousPacket = current;
    if (!previous) return;
    const beginNs = toNs('timestamp_begin');
    if (beginNs !== null && previous.endNs !== null && beginNs < previous.endNs) {
      this.notices.push({
        kind: 'backwards-packet',
        streamFile: this.file,
        packetOffset: this.packetOffset,
        beginNs,
        previousEndNs: previous.endNs,
        timestampNs: beginNs,
        ...timeOnBase(this.base, beginNs),
      });
      // Counters of a packet out of order say nothing about losses between it and its neighbour.
      return;
    }
    const instance = special.get('stream_instance_id');
    const notice = (what: 'event' | 'packet', count: number, endNs: bigint | null): DiscardedNotice => ({
      kind: 'discarded',
      what,
      count,
      trace: this.trace,
      streamFile: resolve(this.file),
      streamClassId,
      streamId: instance === undefined ? this.fileIndex : Number(instance),
      beginNs: previous.endNs,
      endNs,
      timestampNs: previous.endNs ?? 0n,
      ...timeOnBase(this.base, previous.endNs ?? 0n),
    });
    if (sequence !== null && previous.sequence !== null && sequence > previous.sequence + 1) {
      this.notices.push(notice('packet', sequence - previous.sequence - 1, toNs('timestamp_begin')));
    }
    if (discarded !== null && previous.discarded !== null && discarded > previous.discarded) {
      this.notices.push(notice('event', discarded - previous.discarded, current.endNs));
    }
  }

  private decodeEvent(): CtfEvent {
    const state = this.state;
    const decoders = this.current!;
    state.eventId = 0;
    const start = state.pos;
    decoders.eventHeader?.(state);
    const decoder = decoders.events[state.eventId];
    if (decoder === undefined) throw new DecodeError(`unknown event id ${state.eventId} in stream class ${this.currentClass!.id}`, state.pos);
    if (!decoder.compiled) compileEvent(decoders, decoder);
    const event = this.event;
    // The header's time (a clock-mapped field further on moves the clock for the next event only).
    const clock = state.clock;
    event.cycles = clock;
    const fast = this.fastOriginFromBase;
    const ns = typeof clock === 'number' && fast !== null ? fast + clock : NaN;
    if (ns <= Number.MAX_SAFE_INTEGER && ns >= -Number.MAX_SAFE_INTEGER) {
      event.ns = ns;
      event.nsExact = null;
    } else {
      const exact = timeOnBase(this.base, cyclesToNs(this.clock, BigInt(clock)));
      event.ns = exact.ns;
      event.nsExact = exact.nsExact;
    }
    event.eventClass = decoder.eventClass;
    event.streamContext = (decoders.eventContext?.(state) ?? null) as FieldValue[] | null;
    event.context = (decoder.context?.(state) ?? null) as FieldValue[] | null;
    event.payload = (decoder.payload?.(state) ?? null) as FieldValue[] | null;
    // An event of no bits would be read forever.
    if (state.pos === start) throw new DecodeError('an event of zero size', start);
    return event;
  }
}

/** The stream files of a trace directory: every regular, non-empty file but `metadata`. */
export function streamFiles(traceDir: string): string[] {
  return readdirSync(traceDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'metadata' && !e.name.startsWith('.'))
    .map((e) => join(traceDir, e.name))
    .filter((file) => statSync(file).size > 0)
    .sort();
}

/** babeltrace2's identity of a packet (ds_index_entries_equal): stream, instance, size, times, sequence number. */
function packetIdentity(streamId: number, special: ReadonlyMap<string, number | bigint>, packetBits: number): string {
  const part = (name: string) => String(special.get(name) ?? '-');
  return `${streamId}/${part('stream_instance_id')}/${packetBits}/${part('timestamp_begin')}/${part('timestamp_end')}/${part('packet_seq_num')}`;
}

/**
 * Traces that share a UUID are one trace to babeltrace2 (LTTng snapshots,
 * copies): a packet that several of their stream files hold is read once,
 * from the first file in path order. Only then are packet headers scanned.
 */
function dropDuplicatePackets(readers: StreamFileReader[]): void {
  const byUuid = new Map<string, StreamFileReader[]>();
  for (const reader of readers) {
    const uuid = reader.trace.metadata.uuid;
    if (uuid !== null) byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), reader]);
  }
  for (const group of byUuid.values()) {
    if (new Set(group.map((r) => r.trace.dir)).size < 2) continue;
    const seen = new Set<string>();
    for (const reader of [...group].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
      for (const { offset, key } of reader.packetIdentities()) {
        if (seen.has(key)) reader.skipped.add(offset);
        else seen.add(key);
      }
    }
  }
}

/** Opens every stream of every trace under `roots`, on one time base; the caller closes what it gets. */
export function openMessages(roots: string[]): MessageMerger {
  const traces: Array<[CtfTrace, string[]]> = [];
  const readers: StreamFileReader[] = [];
  try {
    for (const root of roots) {
      const dirs = findTraceDirs(root);
      if (dirs.length === 0) throw new TraceInputError(`${root}: no CTF trace here (no directory with a metadata file)`);
      // A trace with no stream file is a trace of no events (babeltrace2 prints nothing and succeeds).
      for (const dir of dirs) traces.push([openTrace(dir, root), streamFiles(dir)]);
    }
    const base = timeBaseOf(traces.map(([trace]) => trace));
    for (const [trace, files] of traces) files.forEach((file, index) => readers.push(new StreamFileReader(trace, file, index, base)));
    dropDuplicatePackets(readers);
  } catch (error) {
    for (const reader of readers) reader.close();
    throw error;
  }
  return new MessageMerger(readers);
}

/** Events and loss notices of every stream of every trace under `roots`, in time order; each one the caller's to keep. */
export function* readMessages(roots: string[]): Generator<CtfMessage> {
  const merger = openMessages(roots);
  try {
    for (let message = merger.next(); message; message = merger.next()) yield message instanceof StreamEvent ? message.copy() : message;
  } finally {
    merger.close();
  }
}

/** Events of every stream of every trace under `roots`, in time order. */
export function* readEvents(roots: string[]): Generator<CtfEvent> {
  for (const message of readMessages(roots)) if (message.kind === 'event') yield message;
}

interface HeapEntry {
  message: CtfMessage;
  reader: StreamFileReader;
  order: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  const x = a.message;
  const y = b.message;
  // Rounding to a number keeps the order, so differing numbers decide; equal ones are exact unless either has nsExact.
  if (x.ns !== y.ns) return x.ns < y.ns;
  if (x.nsExact !== null || y.nsExact !== null) {
    const difference = absoluteNs(x) - absoluteNs(y);
    if (difference !== 0n) return difference < 0n;
  }
  return a.order < b.order;
}

/**
 * A binary min-heap of streams keyed by their next message's time; ties go to
 * the earlier stream. A message is valid until the next call of next(): its
 * stream's reader refills the same event object.
 */
export class MessageMerger {
  private readonly heap: HeapEntry[] = [];
  private started = false;

  constructor(private readonly readers: StreamFileReader[]) {}

  close(): void {
    for (const reader of this.readers) reader.close();
  }

  next(): CtfMessage | null {
    const heap = this.heap;
    if (!this.started) {
      this.started = true;
      this.readers.forEach((reader, order) => {
        const message = reader.next();
        if (message) this.push({ message, reader, order });
      });
    } else if (heap.length > 0) {
      // The top was handed out last time: replace it with its stream's next message.
      const top = heap[0]!;
      const message = top.reader.next();
      if (message) {
        top.message = message;
      } else {
        const last = heap.pop()!;
        if (heap.length > 0) heap[0] = last;
      }
      this.siftDown();
    }
    return heap.length > 0 ? heap[0]!.message : null;
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private siftDown(): void {
    const heap = this.heap;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
