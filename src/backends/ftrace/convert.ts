// Converts a capture directory (capture-files.ts) into a CTF 1.8 trace laid
// out as LTTng lays out a kernel trace: `metadata` and one stream file per
// CPU (channel0_<cpu>). Events of all CPUs are replayed in timestamp order,
// since an event's context can depend on an earlier event of another CPU
// (a fork on CPU 0 names the child that runs on CPU 1).

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { TraceEnvironment, TraceWriteResult } from '../backend.js';
import { CAPTURE_MANIFEST, pagesFileName, type CaptureManifest, type Statedump } from './capture-files.js';
import { checkHeaderEvent, decodePage, PageEvents, parsePageLayout, type PageLayout } from './ring-buffer.js';
import { PageFileReader, type PageRecord } from './page-file.js';
import {
  buildEventClasses,
  commonTypeField,
  EVENT_CONTEXT,
  EVENT_CONTEXT_BYTES,
  encodeSocketAddress,
  writeEventContext,
  type FtraceEventClass,
} from './event-classes.js';
import type { FormatField } from './event-format.js';
import { maxPayloadBytes, transcode } from './transcoder.js';
import { STATEDUMP_EVENT_NAMES, statedumpEventClasses, statedumpEventCounts, writeStatedump } from './lttng-statedump.js';
import { Task, TaskTable } from './task-table.js';
import { LocalClockMap } from './clock-sync.js';
import { parseSocketAddress, UserArguments, USER_ARGUMENTS_FILE } from './user-arguments.js';
import { UNREAD_PATH } from '../../model/lttng-names.js';
import { CtfStreamWriter } from '../../ctf/stream-writer.js';
import { renderMetadata, type CtfEventClass } from '../../ctf/tsdl.js';
import { addOffset, timestampNs, type TimestampNs } from '../../util/timestamp.js';

export interface ConvertOptions {
  captureDir: string;
  outDir: string;
  env: TraceEnvironment;
  onProgress?: (p: { events: number; bytes: number }) => void;
}

export interface ConvertResult extends TraceWriteResult {
  /** Stream file names in outDir, one per CPU. */
  streams: string[];
  /** User-space arguments read beside the trace, and how many found their event; null when none were read. */
  userArguments: { records: number; matched: number; repeated: number; unread: number; lost: number } | null;
}

const PROGRESS_EVERY = 1 << 16;
/** Read chunks share this budget across CPUs, within [1 MiB, 8 MiB] each. */
const READ_BUDGET_BYTES = 64 << 20;

export async function convertCaptureToCtf(opts: ConvertOptions): Promise<ConvertResult> {
  const manifest = JSON.parse(readFileSync(join(opts.captureDir, CAPTURE_MANIFEST), 'utf8')) as CaptureManifest;
  if (manifest.version !== 2) throw new Error(`unsupported capture version ${manifest.version}`);
  if (manifest.clock !== 'mono' && manifest.clock !== 'local') throw new Error(`capture used trace_clock "${manifest.clock}"; only "mono" and "local" convert to the monotonic clock`);
  const layout = parsePageLayout(manifest.headerPage);
  checkHeaderEvent(manifest.headerEvent);

  mkdirSync(opts.outDir, { recursive: true });
  if (manifest.statedumps.length === 0) throw new Error('capture has no statedump: its first one is the time origin');
  const origin = timestampNs(manifest.statedumps[0]!.timestampNs);
  const clockMap = manifest.clock === 'local' ? new LocalClockMap(manifest.clockSamples ?? [], origin) : null;
  const uuid = randomUUID();
  const uuidBytes = Uint8Array.from(uuid.replaceAll('-', '').match(/../g)!.map((h) => parseInt(h, 16)));
  const cpus = [...manifest.cpus].sort((a, b) => a - b);
  const chunkBytes = Math.min(8 << 20, Math.max(1 << 20, Math.floor(READ_BUDGET_BYTES / Math.max(1, cpus.length))));
  const streams = cpus.map((cpu) => `channel0_${cpu}`);
  const readers: PageFileReader[] = [];
  const writers: CtfStreamWriter[] = [];
  try {
    for (const cpu of cpus) readers.push(await PageFileReader.open(join(opts.captureDir, pagesFileName(cpu)), chunkBytes));
    for (const [i, cpu] of cpus.entries()) {
      writers.push(
        new CtfStreamWriter({ path: join(opts.outDir, streams[i]!), traceUuid: uuidBytes, streamInstanceId: cpu, cpuId: cpu, timeOrigin: origin }),
      );
    }
    const cursors = cpus.map((cpu, i) => new CpuCursor(cpu, writers[i]!, readers[i]!, layout, origin, clockMap));
    const argumentsFile = join(opts.captureDir, USER_ARGUMENTS_FILE);
    const userArguments = existsSync(argumentsFile) ? UserArguments.read(argumentsFile) : null;
    const replay = new Replay(manifest, cursors, opts, userArguments, origin);
    await replay.run();

    const lostPerCpu: Record<string, number> = {};
    for (const c of cursors) {
      const lost = Math.max(c.totalLost(), manifest.lostAtEnd[c.cpu] ?? 0);
      // What the last drain and the end of the run count was lost after every event read.
      if (lost > c.lostPlaced()) c.writer.closePacket();
      c.writer.setDiscarded(lost);
      c.writer.close(Number.isFinite(replay.first) ? replay.first : 0);
      lostPerCpu[c.cpu] = lost;
    }

    const metadataPath = join(opts.outDir, 'metadata');
    writeFileSync(
      metadataPath,
      renderMetadata({
        uuid,
        env: traceEnv(opts),
        clock: {
          name: 'monotonic',
          description: 'Monotonic Clock',
          ...(manifest.bootId && UUID.test(manifest.bootId) ? { uuid: manifest.bootId } : {}),
          offsetNs: BigInt(manifest.realtimeOffsetNs),
        },
        eventContext: EVENT_CONTEXT,
        events: replay.classes,
      }),
    );

    const bytesWritten = writers.reduce((sum, w) => sum + w.totalBytes, 0) + statSync(metadataPath).size;
    opts.onProgress?.({ events: replay.events, bytes: bytesWritten });
    const time = (offset: number): string | null => (Number.isFinite(offset) ? addOffset(origin, offset).toString() : null);
    return {
      eventsTotal: replay.events,
      eventCounts: replay.eventCounts(),
      lostPerCpu,
      bytesWritten,
      firstTimestampNs: time(replay.first),
      lastTimestampNs: time(replay.last),
      streams,
      userArguments: userArguments && {
        records: userArguments.records,
        matched: userArguments.matched,
        repeated: userArguments.repeated,
        unread: userArguments.unread,
        lost: userArguments.lost,
      },
      skippedRecords: replay.skipped + cursors.reduce((n, c) => n + c.skipped + (c.reader.truncatedBytes > 0 ? 1 : 0), 0),
    };
  } finally {
    for (const w of writers) {
      try {
        w.close(0);
      } catch {
        // Already failing (the error on its way out says why); the others must still close.
      }
    }
    for (const r of readers) await r.close();
  }
}

const UNREAD_PATH_BYTES = Buffer.from(UNREAD_PATH, 'latin1');
/** lttng-modules' fields of a failed or unknown address: family 0 (AF_UNSPEC). */
const UNKNOWN_SOCKET_ADDRESS = { family: 0, port: 0, v4: [], v6: [] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replays the events of every CPU in time order into their streams, with each statedump at its time. */
class Replay {
  readonly classes: CtfEventClass[];
  events = 0;
  skipped = 0;
  /** First and last event times, as ns from the origin. */
  first = Infinity;
  last = -Infinity;
  private readonly tasks = new TaskTable();
  private readonly byFtraceId: Array<FtraceEventClass | undefined> = [];
  private readonly commonType: FormatField | null;
  private readonly statedumpClasses = statedumpEventClasses(0);
  private readonly counts = new Map<number, number>();
  /** The statedumps not written yet, in time order, and the next one's time from the origin. */
  private readonly pendingDumps: Statedump[];
  private nextDumpAt: number;

  constructor(
    private readonly manifest: CaptureManifest,
    private readonly cursors: CpuCursor[],
    private readonly opts: ConvertOptions,
    private readonly userArguments: UserArguments | null,
    private readonly origin: TimestampNs,
  ) {
    this.pendingDumps = [...manifest.statedumps];
    this.nextDumpAt = this.nextDumpTime();
    // Events before the first statedump (between tracing_on and /proc's
    // reading) are of the threads it lists.
    if (manifest.statedumps[0]) this.learnTasks(manifest.statedumps[0]);
    const ftrace = buildEventClasses(manifest.events, this.tasks, this.statedumpClasses.length, new Set(STATEDUMP_EVENT_NAMES), userArguments !== null);
    for (const c of ftrace) this.byFtraceId[c.ftraceId] = c;
    this.commonType = commonTypeField(manifest.events);
    this.classes = [...this.statedumpClasses, ...ftrace.map((c) => ({ id: c.ctfId, name: c.name, fields: c.transcoder.fields }))];
  }

  async run(): Promise<void> {
    const cursors = this.cursors;
    for (const cursor of cursors) await cursor.advance();
    // A statedump goes to the first CPU's stream at its own time, after every event before it.
    const dumpsWriter = cursors[0]?.writer;
    if (!dumpsWriter) return;
    for (;;) {
      let best: CpuCursor | null = null;
      let second = Infinity;
      for (const c of cursors) {
        if (best === null || c.time < best.time) {
          if (best !== null) second = best.time;
          best = c;
        } else if (c.time < second) {
          second = c.time;
        }
      }
      if (this.pendingDumps.length > 0 && best!.time >= this.nextDumpAt) {
        this.writeNextStatedump(dumpsWriter);
        continue;
      }
      if (best!.time === Infinity) break;
      // Emit from the earliest CPU until another one (or a statedump) comes first.
      do {
        this.emit(best!);
        if (++best!.index < best!.page.count) best!.time = Math.max(best!.timeOf(best!.index), best!.time);
        else await best!.advance();
      } while (best!.time <= second && best!.time < this.nextDumpAt);
    }
  }

  eventCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const cls of this.classes) {
      const n = this.counts.get(cls.id);
      if (n) counts[cls.name] = n;
    }
    return counts;
  }

  private emit(c: CpuCursor): void {
    const view = c.view!;
    const bytes = c.bytes!;
    const rec = c.page.offsets[c.index]!;
    const length = c.page.lengths[c.index]!;
    const commonType = this.commonType;
    const cls = commonType && length >= commonType.offset + 2 ? this.byFtraceId[view.getUint16(rec + commonType.offset, true)] : undefined;
    if (!cls || length < cls.commonPidOffset + 4) {
      this.skipped++;
      return;
    }
    const tid = view.getInt32(rec + cls.commonPidOffset, true);
    const whole = length >= cls.fixedLength;
    if (whole) cls.before?.(view, bytes, rec, length, tid, c.cpu);
    const injected = cls.userArgument === null ? null : this.userArgumentOf(cls.userArgument, tid, c.time);
    const w = c.writer;
    const at = w.beginEvent(cls.ctfId, c.time, EVENT_CONTEXT_BYTES + maxPayloadBytes(cls.transcoder, length, injected?.length ?? 0));
    const bodyAt = writeEventContext(w.view, at, this.tasks.get(tid, c.cpu), tid);
    w.endEvent(transcode(cls.transcoder.ops, view, bytes, rec, length, w.view, w.bytes, bodyAt, injected));
    if (whole) cls.after?.(view, bytes, rec, length, tid, c.cpu);
    this.wrote(cls.ctfId, c.time, 1);
  }

  /** The bytes the event's injected fields get: a path, or a socket address (family 0 when unknown). */
  private userArgumentOf(argument: NonNullable<FtraceEventClass['userArgument']>, tid: number, time: number): Uint8Array {
    const value = this.userArguments?.take(tid, argument.syscall, addOffset(this.origin, time)) ?? null;
    if (argument.kind === 'path') return value ? Buffer.from(value, 'latin1') : UNREAD_PATH_BYTES;
    return encodeSocketAddress((value !== null && parseSocketAddress(value)) || UNKNOWN_SOCKET_ADDRESS);
  }

  private writeNextStatedump(writer: CtfStreamWriter): void {
    const dump = this.pendingDumps.shift()!;
    const at = this.nextDumpAt;
    this.nextDumpAt = this.nextDumpTime();
    const tracer = new Task(0);
    tracer.setName(this.opts.env.tracerName);
    writeStatedump(writer, this.statedumpClasses[0]!.id, dump, tracer, at);
    statedumpEventCounts(dump).forEach((n, i) => this.wrote(this.statedumpClasses[i]!.id, at, n));
    // Threads named since the last event that named them (a rename we did not record) get /proc's word.
    this.learnTasks(dump);
  }

  /** When the next statedump was taken, as ns from the origin; Infinity when none is left. */
  private nextDumpTime(): number {
    const dump = this.pendingDumps[0];
    if (!dump) return Infinity;
    return Number(timestampNs(dump.timestampNs) - timestampNs(this.manifest.statedumps[0]!.timestampNs));
  }

  private learnTasks(dump: Statedump): void {
    for (const t of dump.tasks) {
      const task = this.tasks.get(t.tid, 0);
      task.pid = t.pid;
      task.setName(t.name);
    }
  }

  private wrote(ctfId: number, time: number, n: number): void {
    if (n === 0) return;
    this.counts.set(ctfId, (this.counts.get(ctfId) ?? 0) + n);
    if (time < this.first) this.first = time;
    if (time > this.last) this.last = time;
    const before = this.events;
    this.events += n;
    if (this.opts.onProgress && Math.floor(this.events / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) {
      this.opts.onProgress({ events: this.events, bytes: this.cursors.reduce((sum, c) => sum + c.writer.totalBytes, 0) });
    }
  }
}

/** One CPU's pages, decoded one page at a time, with what they say about lost events. */
class CpuCursor {
  readonly page = new PageEvents();
  view: DataView | null = null;
  bytes: Uint8Array | null = null;
  index = 0;
  /** The page timestamp, as ns from the trace origin (on the `local` clock: from its reading at the origin). */
  pageOffset = 0;
  /** The next event's time, as ns from the origin; Infinity when done. Never decreases. */
  time = -Infinity;
  /** Events of pages left out. */
  skipped = 0;
  /**
   * Lost events, as the record headers' stats say (statsLost: placed;
   * lastRecordLost: the current drain's count, placed at the next drain),
   * and as the pages' own RB_MISSED_* marks say.
   */
  private statsLost = 0;
  private lastRecordLost: number | null = null;
  private lastDrain = 0;
  private markedLost = 0;

  constructor(
    readonly cpu: number,
    readonly writer: CtfStreamWriter,
    readonly reader: PageFileReader,
    private readonly layout: PageLayout,
    private readonly origin: TimestampNs,
    private readonly clockMap: LocalClockMap | null,
  ) {}

  /** The time of the page's event `index`, as monotonic ns from the trace origin. */
  timeOf(index: number): number {
    const time = this.pageOffset + this.page.deltas[index]!;
    return this.clockMap ? this.clockMap.toMonotonic(time) : time;
  }

  /** Both sources count the same losses (overwritten events): the larger one is the count. */
  lostPlaced(): number {
    return Math.max(this.statsLost, this.markedLost);
  }

  totalLost(): number {
    return Math.max(this.lostPlaced(), this.lastRecordLost ?? 0);
  }

  /** Moves to the first event of the next page that has one. */
  async advance(): Promise<void> {
    for (;;) {
      const record = await this.reader.next();
      if (!record) {
        this.time = Infinity;
        return;
      }
      this.noteDrain(record);
      this.view = record.view;
      this.bytes = record.bytes;
      decodePage(record.view, record.start, record.size, this.layout, this.page);
      if (this.page.missedEvents !== 0) {
        // The kernel lost events just before this page: they belong to the
        // packet that starts here. Without a stored count, at least one.
        this.writer.closePacket();
        this.markedLost += this.page.missedEvents > 0 ? this.page.missedEvents : 1;
        this.writer.setDiscarded(this.lostPlaced());
      }
      if (this.page.count === 0) continue;
      const pageOffset = Number(this.page.timestamp - (this.clockMap?.localOrigin ?? this.origin));
      if (!Number.isSafeInteger(pageOffset)) {
        // A page stamped more than 104 days away from the trace start is corrupt.
        this.skipped += this.page.count;
        continue;
      }
      this.index = 0;
      this.pageOffset = pageOffset;
      this.time = Math.max(this.timeOf(0), this.time);
      return;
    }
  }

  /**
   * A drain stamps its pages with the loss count it read before copying
   * them. In discard mode events are lost while the buffer is full: after
   * the events that drain found, before those the next drain finds. So where
   * a new drain begins (its number changes, or, when not recorded, its
   * stamp does), the previous stamp's losses go to the packet that starts
   * here, whose range covers the gap.
   */
  private noteDrain(record: PageRecord): void {
    const previous = this.lastRecordLost;
    const newDrain = record.drain !== 0 ? record.drain !== this.lastDrain : record.lostSoFar !== previous;
    if (previous !== null && newDrain && previous > this.statsLost) {
      this.writer.closePacket();
      this.statsLost = previous;
      this.writer.setDiscarded(this.lostPlaced());
    }
    this.lastDrain = record.drain;
    this.lastRecordLost = record.lostSoFar;
  }
}

function traceEnv(opts: ConvertOptions): Record<string, string | number> {
  const [major = 0, minor = 0, patch = 0] = opts.env.tracerVersion.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  // LTTng puts a kernel trace in <session>/kernel: the session is the trace's name.
  const out = resolve(opts.outDir);
  const traceName = basename(out) === 'kernel' ? basename(dirname(out)) : basename(out);
  return {
    hostname: opts.env.hostname,
    domain: 'kernel',
    sysname: 'Linux',
    kernel_release: opts.env.kernelRelease,
    kernel_version: opts.env.kernelVersion,
    tracer_name: opts.env.tracerName,
    tracer_major: major,
    tracer_minor: minor,
    tracer_patchlevel: patch,
    trace_buffering_scheme: 'global',
    trace_name: traceName,
  };
}
