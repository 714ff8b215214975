// The tracefs backend: records in a private instance, copies raw ring-buffer
// pages to the capture directory, and converts them to CTF only after the
// run. While the workload runs, the pages stay in the ring buffer as long as
// it has room (see bytesToLeave): the workload competes with nothing but a
// look at the buffer's fill every DRAIN_INTERVAL_MS, and a copy once it fills.

import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BackendRecord, FtraceDetails, StatedumpCost } from '../backend-details.js';
import type { BackendOptions, LiveCounters, RecordingBackend, TraceEnvironment, TraceWriteResult } from '../backend.js';
import { BOOKKEEPING_EVENTS, parseTracepoint, syscallNamesOf, tracepointId, type Tracepoint } from '../event-set.js';
import {
  CAPTURE_MANIFEST,
  PAGE_RECORD_HEADER_SIZE,
  pagesFileName,
  type CaptureManifest,
  type CapturedEventFormat,
  type Statedump,
  type StatedumpFd,
} from './capture-files.js';
import { errorMessage } from '../../util/errors.js';
import { convertCaptureToCtf } from './convert.js';
import { UserArgumentRecorder } from './user-argument-recorder.js';
import { ClockSampler, localClockUnusable, type ClockSample } from './clock-sync.js';
import { ensureTracefs, removeStaleInstances, TracefsInstance } from './tracefs.js';
import { allPids, fdFlags, memAvailableBytes, networkNamespace, openFiles, tasksOf } from '../../util/procfs.js';
import { socketInode, socketTable, type SocketEndpoint } from '../../util/proc-net.js';
import { monotonicNs, realtimeOffsetNs } from '../../util/clock.js';

const DRAIN_INTERVAL_MS = 200;
/** The `local` clock is sampled against CLOCK_MONOTONIC every this many drains (and at start and stop). */
const DRAINS_PER_CLOCK_SAMPLE = 5;
/** Held on the output's filesystem during the recording, freed for the manifest and metadata.json. */
const END_RESERVE_BYTES = 4 << 20;
const WRITE_BATCH_BYTES = 1 << 20;
const MiB = 1024 * 1024;

/**
 * Per-CPU ring-buffer size. It must absorb what arrives between two drains and
 * while the drainer waits for a core, and it holds what is copied only after
 * the workload; never more than an eighth of free memory in all.
 */
export function perCpuBufferBytes(durationSeconds: number | null, cpuCount: number, memAvailable: number): number {
  const wanted = durationSeconds === null ? 256 * MiB : Math.min(512 * MiB, 64 * MiB + durationSeconds * 4 * MiB);
  const ceiling = Math.floor(memAvailable / 8 / Math.max(1, cpuCount));
  return Math.max(4 * MiB, Math.min(wanted, ceiling));
}

/**
 * How many unread bytes to leave in a CPU's ring buffer after a pass during
 * the recording: the copy to the pages file waits while the buffer has room.
 * Each page of page cache that copy fills is memory the machine must provide
 * while the workload runs, and on a VM whose host takes freed memory back it
 * is dear: 400 MB written after an idle spell took 2.5 s, 70 ms right after
 * memory had been freed (measured on a 2-core VM with free page reporting).
 * What stays is copied once the workload is over. Kept free: a quarter of the
 * buffer, and at least what arrived over the last second.
 */
export function bytesToLeave(capacityBytes: number, arrivedSinceLastPassBytes: number): number {
  const reserve = Math.max(capacityBytes / 4, arrivedSinceLastPassBytes * (1000 / DRAIN_INTERVAL_MS));
  return Math.max(0, Math.floor(capacityBytes - reserve));
}

interface CpuDrain {
  cpu: number;
  /** Unread bytes in the ring buffer after the last pass: what arrived since is the difference. */
  unreadAfterPass: number;
  pipeFd: number;
  outFd: number;
  batch: Buffer;
  batchUsed: number;
  /** Bytes of whole page records in the pages file: where a failed write is cut back to. */
  fileBytes: number;
  lostSoFar: number;
}

export class FtraceBackend implements RecordingBackend {
  readonly name = 'ftrace' as const;
  private readonly details: FtraceDetails = {};

  describe(reason: string): BackendRecord {
    return { name: this.name, reason, details: this.details };
  }
  private instance: TracefsInstance | null = null;
  private readonly captureDir: string;
  private drains: CpuDrain[] = [];
  private drainTimer: NodeJS.Timeout | null = null;
  private bufferBytes = 0;
  /** Bytes copied to the pages files while recording, and after it stopped. */
  private readonly copied = { recording: 0, stopped: 0 };
  private writeFailure: Error | null = null;
  private get reservePath(): string {
    return join(this.captureDir, 'end-reserve');
  }

  /** Never throws: on a filesystem turned read-only the reserve cannot go, and it then matters no more. */
  private releaseReserve(): void {
    try {
      rmSync(this.reservePath, { force: true });
    } catch {
      // Read-only: nothing more will be written here anyway.
    }
  }
  private failureListener: ((error: Error) => void) | null = null;
  private pageSize = 4096;
  private formats: CapturedEventFormat[] = [];
  private followed: number[] = [];
  private started = false;
  private bytesWritten = 0;
  private readonly statedumpsTaken: Statedump[] = [];
  private readonly statedumpCosts: StatedumpCost[] = [];
  private offsetNs = 0n;
  private manifestWritten = false;
  private manifestError: string | null = null;
  /** Which pass over the buffers this is; stored with each page so losses can be placed between passes. */
  private drainNumber = 0;
  private userArguments: UserArgumentRecorder | null = null;
  private clock: 'mono' | 'local' = 'mono';
  private clockSampler: ClockSampler | null = null;
  private readonly clockSamples: ClockSample[] = [];
  private clockSampleFailures = 0;

  constructor(private readonly options: BackendOptions) {
    this.captureDir = join(options.workDir, 'ftrace-capture');
  }

  async prepare(): Promise<void> {
    const tracefs = ensureTracefs();
    const stale = removeStaleInstances(tracefs);
    // The libuv thread pool starts on first use: start it now, so that every
    // thread of ours exists before we list them for set_event_notrace_pid.
    await stat('/');
    const instance = (this.instance = TracefsInstance.create(tracefs));
    instance.write('tracing_on', '0');
    const localUnusable = localClockUnusable(tracefs);
    if (localUnusable === null) {
      this.clockSampler = ClockSampler.create(tracefs);
      this.clock = 'local';
    }
    instance.write('trace_clock', this.clock);
    instance.write('options/overwrite', '0');
    instance.write('options/event-fork', this.options.systemWide ? '0' : '1');

    const cpus = instance.cpus();
    const bufferBytes = (this.bufferBytes = this.options.perCpuBufferBytes ?? perCpuBufferBytes(this.options.durationSeconds, cpus.length, memAvailableBytes()));
    instance.write('buffer_size_kb', String(Math.floor(bufferBytes / 1024)));
    try {
      this.pageSize = Number(instance.read('buffer_subbuf_size_kb').trim()) * 1024;
    } catch {
      this.pageSize = 4096; // Kernels before 6.8 have fixed one-page sub-buffers.
    }

    const events = dedupe([...this.options.events, ...BOOKKEEPING_EVENTS.map(parseTracepoint)]);
    this.formats = events.map((event) => {
      const dir = join(tracefs, 'events', event.system, event.name);
      return {
        id: Number(readFileSync(join(dir, 'id'), 'utf8')),
        system: event.system,
        name: event.name,
        format: readFileSync(join(dir, 'format'), 'utf8'),
      };
    });
    enableEvents(instance, events);

    if (this.options.systemWide) {
      const ownTids = tasksOf(process.pid).map((t) => t.tid);
      instance.write('set_event_notrace_pid', ownTids.join(' '));
    }

    mkdirSync(this.captureDir, { recursive: true });
    // The run starts it as a recorder of its own, before the traced command exists; it reads what is announced to it.
    const syscalls = this.options.userArguments ? syscallNamesOf(this.options.events) : null;
    this.userArguments = UserArgumentRecorder.create(this.captureDir, syscalls, this.options.systemWide ? { exclude: process.pid } : { announcedBy: process.pid });
    this.details.user_arguments = this.userArguments.status;
    this.drains = cpus.map((cpu) => ({
      cpu,
      unreadAfterPass: 0,
      pipeFd: openSync(instance.path(`per_cpu/cpu${cpu}/trace_pipe_raw`), constants.O_RDONLY | constants.O_NONBLOCK),
      outFd: openSync(join(this.captureDir, pagesFileName(cpu)), 'w'),
      fileBytes: 0,
      batch: Buffer.alloc(WRITE_BATCH_BYTES),
      batchUsed: 0,
      lostSoFar: 0,
    }));

    Object.assign(this.details, {
      instance: instance.name,
      tracefs,
      trace_clock: this.clock,
      ...(localUnusable === null ? {} : { trace_clock_reason: `mono: ${localUnusable}` }),
      buffer_mode: 'discard',
      buffer_size_per_cpu_bytes: bufferBytes,
      sub_buffer_bytes: this.pageSize,
      stale_instances_removed: stale,
      scope_filter: this.options.systemWide ? 'set_event_notrace_pid (tracer excluded)' : 'set_event_pid + event-fork',
      statedumps: this.statedumpCosts,
    });
  }

  /** set_event_pid with event-fork follows from follow() on: no wrapper needed. */
  launchPrefix(): string[] {
    return [];
  }

  follow(pid: number): void {
    if (this.options.systemWide) return;
    this.followed.push(pid);
    // The filter is by thread: threads the process already has (a preloaded
    // library's, say) are added with it; event-fork adds those created once
    // their creator is in. A thread created while we write is caught by the
    // next look. Appending keeps the pids followed so far.
    const added = new Set<number>();
    for (;;) {
      const fresh = [pid, ...tasksOf(pid).map((t) => t.tid)].filter((tid) => !added.has(tid));
      if (fresh.length === 0) break;
      fresh.forEach((tid) => added.add(tid));
      this.requireInstance().append('set_event_pid', `${fresh.join(' ')}\n`);
    }
  }

  companion(): UserArgumentRecorder | null {
    return this.userArguments;
  }

  start(): void {
    const instance = this.requireInstance();
    if (!this.options.systemWide && this.followed.length === 0) {
      // An empty set_event_pid means no filter: never start in that state.
      throw new Error('internal: tree scope started before any process was followed');
    }
    this.offsetNs = realtimeOffsetNs();
    this.details.realtime_offset_ns = this.offsetNs.toString();
    // Space held back for the end: on a full disk the manifest (and the run's metadata.json) still fit.
    writeFileSync(this.reservePath, Buffer.alloc(END_RESERVE_BYTES));
    this.sampleClock('start');
    instance.write('tracing_on', '1');
    this.started = true;
    this.drainTimer = setInterval(() => this.drainAllOrFail(), DRAIN_INTERVAL_MS);
  }

  onFailure(listener: (error: Error) => void): void {
    this.failureListener = listener;
  }

  /** A pages file that cannot be written ends the recording; what is on disk stays whole records. */
  private drainAllOrFail(everything = false): void {
    if (this.writeFailure) return;
    try {
      this.drainAll(everything);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' ? 'the output filesystem is full' : code === 'EROFS' ? 'the output filesystem became read-only' : errorMessage(error);
      this.writeFailure = new Error(`${why} (${this.captureDir}): recording stopped; the ${this.bytesWritten.toLocaleString('en-US')} bytes captured until then are kept`);
      if (this.drainTimer) clearInterval(this.drainTimer);
      this.drainTimer = null;
      this.instance?.write('tracing_on', '0');
      this.releaseReserve();
      this.failureListener?.(this.writeFailure);
    }
  }

  useRealtimeOffset(offsetNs: bigint): void {
    this.offsetNs = offsetNs;
    this.details.realtime_offset_ns = offsetNs.toString();
  }

  statedump(pids: number[] | null, label: string): void {
    const began = performance.now();
    const timestampNs = monotonicNs();
    const tasks = (pids ?? allPids()).flatMap((pid) => tasksOf(pid));
    // One read of the socket tables per network namespace, and only where a socket is open.
    const tablesByNamespace = new Map<string, Map<string, SocketEndpoint>>();
    const socketOf = (pid: number, path: string): SocketEndpoint | undefined => {
      const inode = socketInode(path);
      if (inode === null) return undefined;
      const namespace = networkNamespace(pid);
      let table = tablesByNamespace.get(namespace);
      if (!table) tablesByNamespace.set(namespace, (table = socketTable(pid)));
      return table.get(inode);
    };
    const fds = [...new Set(tasks.map((t) => t.pid))].flatMap((pid) =>
      openFiles(pid).map((f): StatedumpFd => {
        const socket = socketOf(pid, f.path);
        return { pid, fd: f.fd, path: f.path, flags: fdFlags(pid, f.fd), ...(socket ? { socket } : {}) };
      }),
    );
    this.statedumpsTaken.push({ label, timestampNs: timestampNs.toString(), tasks, fds });
    // What each one cost is in metadata.json: a system-wide dump reads all of /proc.
    this.statedumpCosts.push({ label, tasks: tasks.length, fds: fds.length, milliseconds: Math.round((performance.now() - began) * 10) / 10 });
  }

  counters(): LiveCounters {
    const instance = this.instance;
    if (!instance || !this.started) return { events: 0, bytes: this.bytesWritten, lost: 0 };
    let events = 0;
    let lost = 0;
    let unread = 0;
    for (const { cpu } of this.drains) {
      try {
        const stats = instance.cpuStats(cpu);
        events += stats.recorded;
        lost += stats.lost;
        unread += stats.unreadBytes;
      } catch {
        // The instance is going away.
      }
    }
    return { events, bytes: this.bytesWritten + unread, lost };
  }

  async stop(): Promise<void> {
    const instance = this.requireInstance();
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    instance.write('tracing_on', '0');
    this.sampleClock('during');
    this.clockSampler?.remove();
    this.clockSampler = null;
    if (this.clockSamples.length > 0) this.details.clock_samples = { ...describeSamples(this.clockSamples), failed: this.clockSampleFailures };
    this.drainAllOrFail(true);
    this.details.copied_while_recording_bytes = this.copied.recording;
    this.details.copied_after_recording_bytes = this.copied.stopped;
    const lostAtEnd: Record<string, number> = {};
    for (const drain of this.drains) lostAtEnd[drain.cpu] = instance.cpuStats(drain.cpu).lost;
    this.closeDrains();
    this.releaseReserve();
    try {
      this.writeManifest(instance, lostAtEnd);
    } catch (error) {
      this.manifestError = errorMessage(error);
      throw error;
    }
    instance.remove();
  }

  async writeTrace(
    kernelDir: string,
    env: TraceEnvironment,
    onProgress?: (p: { events: number; bytes: number }) => void,
  ): Promise<TraceWriteResult> {
    if (this.manifestError) throw new Error(`the capture could not be finished (${this.manifestError}): there is nothing to convert`);
    if (!this.manifestWritten) throw new Error('internal: writeTrace before stop');
    const result = await convertCaptureToCtf({ captureDir: this.captureDir, outDir: kernelDir, env, onProgress }).catch((error: unknown) => {
      // Never a half-written trace that looks whole; what was recorded stays as it was captured.
      try {
        rmSync(kernelDir, { recursive: true, force: true });
      } catch {
        // Read-only: the metadata.json of the start says the run did not finish.
      }
      throw new Error(`the CTF trace could not be written (${errorMessage(error)}): kernel/ removed, the capture kept in ${basename(this.captureDir)}/`);
    });
    if (result.userArguments && this.details.user_arguments) Object.assign(this.details.user_arguments, result.userArguments);
    rmSync(this.captureDir, { recursive: true, force: true });
    return result;
  }

  cleanup(): void {
    this.releaseReserve();
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    this.closeDrains();
    this.clockSampler?.remove();
    this.clockSampler = null;
    this.instance?.remove();
  }

  /**
   * On the `local` clock, one more pair of readings for the converter's
   * mapping to CLOCK_MONOTONIC. The first one must succeed; a later one that
   * fails leaves the mapping to the others, and is counted.
   */
  private sampleClock(when: 'start' | 'during'): void {
    if (!this.clockSampler) return;
    try {
      this.clockSamples.push(this.clockSampler.sample());
    } catch (error) {
      if (when === 'start') throw error;
      this.clockSampleFailures++;
    }
  }

  private requireInstance(): TracefsInstance {
    if (!this.instance) throw new Error('internal: tracefs backend used before prepare');
    return this.instance;
  }

  /** A pass over the CPUs' buffers: while recording, only what bytesToLeave says must go; `everything` once stopped. */
  private drainAll(everything: boolean): void {
    const instance = this.instance;
    if (!instance) return;
    this.drainNumber++;
    if (this.drainNumber % DRAINS_PER_CLOCK_SAMPLE === 0) this.sampleClock('during');
    for (const drain of this.drains) {
      if (drain.pipeFd < 0) continue;
      const stats = instance.cpuStats(drain.cpu);
      drain.lostSoFar = stats.lost;
      const wanted = everything ? Infinity : stats.unreadBytes - bytesToLeave(this.bufferBytes, Math.max(0, stats.unreadBytes - drain.unreadAfterPass));
      const copied = wanted > 0 ? this.drainCpu(drain, wanted) : 0;
      drain.unreadAfterPass = Math.max(0, stats.unreadBytes - copied);
      if (everything) this.copied.stopped += copied;
      else this.copied.recording += copied;
    }
  }

  /** Copies pages until about `wanted` bytes are out or the buffer is empty; returns the bytes copied. */
  private drainCpu(drain: CpuDrain, wanted: number): number {
    const recordSize = PAGE_RECORD_HEADER_SIZE + this.pageSize;
    let copied = 0;
    while (copied < wanted) {
      if (drain.batchUsed + recordSize > drain.batch.length) this.flush(drain);
      const at = drain.batchUsed;
      let read: number;
      try {
        read = readSync(drain.pipeFd, drain.batch, at + PAGE_RECORD_HEADER_SIZE, this.pageSize, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') break;
        throw error;
      }
      if (read <= 0) break;
      drain.batch.writeUInt32LE(read, at);
      drain.batch.writeUInt32LE(this.drainNumber, at + 4);
      drain.batch.writeBigUInt64LE(BigInt(drain.lostSoFar), at + 8);
      drain.batchUsed += PAGE_RECORD_HEADER_SIZE + read;
      copied += read;
    }
    this.flush(drain);
    return copied;
  }

  private flush(drain: CpuDrain): void {
    let done = 0;
    try {
      while (done < drain.batchUsed) done += writeSync(drain.outFd, drain.batch, done, drain.batchUsed - done);
    } catch (error) {
      // A record cut in half would make the whole file unreadable: back to the last whole one.
      drain.batchUsed = 0;
      ftruncateSync(drain.outFd, drain.fileBytes);
      throw error;
    }
    drain.fileBytes += drain.batchUsed;
    this.bytesWritten += drain.batchUsed;
    drain.batchUsed = 0;
  }

  private closeDrains(): void {
    for (const drain of this.drains) {
      if (drain.pipeFd >= 0) closeSync(drain.pipeFd);
      if (drain.outFd >= 0) {
        if (drain.batchUsed > 0 && !this.writeFailure) this.flush(drain);
        closeSync(drain.outFd);
      }
      drain.pipeFd = -1;
      drain.outFd = -1;
    }
  }

  private writeManifest(instance: TracefsInstance, lostAtEnd: Record<string, number>): void {
    const events = join(instance.tracefs, 'events');
    const manifest: CaptureManifest = {
      version: 2,
      cpus: this.drains.map((d) => d.cpu),
      headerPage: readFileSync(join(events, 'header_page'), 'utf8'),
      headerEvent: readFileSync(join(events, 'header_event'), 'utf8'),
      events: this.formats,
      clock: this.clock,
      ...(this.clock === 'local' ? { clockSamples: this.clockSamples } : {}),
      realtimeOffsetNs: this.offsetNs.toString(),
      statedumps: this.statedumpsTaken.length > 0 ? this.statedumpsTaken : [{ label: 'start', timestampNs: monotonicNs().toString(), tasks: [], fds: [] }],
      lostAtEnd,
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    };
    writeFileSync(join(this.captureDir, CAPTURE_MANIFEST), JSON.stringify(manifest));
    this.manifestWritten = true;
  }
}

function dedupe(events: Tracepoint[]): Tracepoint[] {
  return [...new Map(events.map((e) => [tracepointId(e), e])).values()];
}

/** Turns on whole subsystems with one write where the set holds all of them. */
function enableEvents(instance: TracefsInstance, events: Tracepoint[]): void {
  const bySystem = new Map<string, string[]>();
  for (const e of events) bySystem.set(e.system, [...(bySystem.get(e.system) ?? []), e.name]);
  const available = readFileSync(join(instance.tracefs, 'available_events'), 'utf8').split('\n');
  const countBySystem = new Map<string, number>();
  for (const line of available) {
    const system = line.split(':')[0];
    if (system) countBySystem.set(system, (countBySystem.get(system) ?? 0) + 1);
  }
  for (const [system, names] of bySystem) {
    if (names.length === countBySystem.get(system)) instance.write(`events/${system}/enable`, '1');
    else for (const name of names) instance.write(`events/${system}/${name}/enable`, '1');
  }
}

/** How good the `local` to CLOCK_MONOTONIC mapping is: the samples' widest error, and how far the offset moved. */
function describeSamples(samples: readonly ClockSample[]): { count: number; max_error_ns: number; offset_drift_ns: number } {
  const offsets = samples.map((s) => Number(BigInt(s.monoNs) - BigInt(s.localNs)));
  return {
    count: samples.length,
    max_error_ns: Math.max(...samples.map((s) => s.errorNs)),
    offset_drift_ns: Math.max(...offsets) - Math.min(...offsets),
  };
}
