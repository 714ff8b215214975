// A trace -> the tables of schema.ts, as Parquet files, in one pass. The
// model (src/model/) follows threads, processes, fds and syscalls in flight
// exactly as for `analyze`; each event adds a row to `events`, a syscall's
// exit (or its replacement, or the end) a row to `syscalls`, a sched_switch
// a row to `sched_slices`; the small tables are written from the model at
// the end. Rows go to a DuckDB database file beside the output a vector at
// a time (memory_limit keeps DuckDB's share bounded; ours is per thread,
// CPU and open file, never per event), then DuckDB writes each table as
// Parquet (ZSTD level 1: 14 MB where the default level gives 13, in less time) with the schema version in the files' key-value metadata.

import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { errnoName, isErrorReturn } from '../analysis/errno.js';
import { cpuOfStreamFile } from '../analysis/lost-events.js';
import { TraceFormatError } from '../ctf/metadata-file.js';
import { absoluteNs, findTraceDirs, nsBetween, openMessages, streamFiles, timeOf, type DiscardedNotice, type MessageMerger, type MessageTime } from '../ctf/trace-reader.js';
import { utf8 } from '../export/jsonl.js';
import type { OpenFile, SocketConnection, Thread } from '../model/entities.js';
import { intAt, textAt, type EventClassInfo } from '../model/event-class-info.js';
import { ModelPass } from '../model/model-pass.js';
import { nativeSyscall } from '../model/lttng-names.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { ChunkWriter, stagingType, type StagingKind } from './chunk-writer.js';
import { payloadJsonFor, type PayloadJson } from './payload-json.js';
import { TABLES, TABLES_SCHEMA_VERSION, type ColumnSpec, type TableName } from './schema.js';

export interface TablesOptions {
  /** Called every PROGRESS_EVERY events and at the end: events read, the trace's size in bytes. */
  progress?: (events: number, traceBytes: number) => void;
  /** DuckDB's memory limit while building (default 128MB: beyond it DuckDB spills to a temp dir beside the output). */
  memoryLimit?: string;
}

export interface TablesResult {
  events: number;
  rows: Record<TableName, number>;
  /** The first event's time, ns since the epoch of the trace's clock; null for a trace of no events. */
  originNs: string | null;
  /** Why reading stopped early (a damaged trace): the tables hold what was read before it. */
  damage: string | null;
  /** The Parquet files written, by table. */
  files: Record<TableName, string>;
}

const PROGRESS_EVERY = 1 << 16;
const FD_ARGUMENTS = ['fd', 'fildes', 'oldfd', 'epfd', 'in_fd', 'fd_in', 'fdin'];
/** Syscalls whose return value is a new fd that names what the call was about. */
const FD_MAKERS = new Set([
  'open', 'openat', 'openat2', 'creat', 'open_by_handle_at', 'socket', 'accept', 'accept4', 'dup', 'dup2', 'dup3',
  'eventfd', 'eventfd2', 'epoll_create', 'epoll_create1', 'timerfd_create', 'signalfd', 'signalfd4', 'inotify_init',
  'inotify_init1', 'perf_event_open', 'userfaultfd', 'pidfd_open', 'io_uring_setup', 'bpf', 'memfd_create',
]);

/** How the staging tables hold a column: ids into the string dictionary for names, JSON text for lists. */
const DICTIONARY_COLUMNS = new Set(['events.name', 'events.procname', 'syscalls.name', 'syscalls.procname', 'sched_slices.procname']);

/** Staged apart, in PayloadBatcher's table. */
const BATCHED_COLUMN = 'events.payload';

/** The columns of a table's staging table: the batched one is not among them. */
function stagedColumns(table: TableName, columns: ColumnSpec[]): ColumnSpec[] {
  return columns.filter((c) => `${table}.${c.name}` !== BATCHED_COLUMN);
}

function stagingKind(table: TableName, column: ColumnSpec): StagingKind {
  if (DICTIONARY_COLUMNS.has(`${table}.${column.name}`)) return 'i32';
  if (column.type === 'BIGINT') return 'i64';
  if (column.type === 'INTEGER') return 'i32';
  return 'str';
}

/** Time columns are staged as ns after the first event and written as ns since the epoch. */
function isTimeColumn(column: ColumnSpec): boolean {
  return column.name === 'ts' || column.name.endsWith('_ts');
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Names (events, syscalls, threads) -> small ints; the Parquet files get the strings back. */
class StringDictionary {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();

  id(raw: string): number {
    let id = this.ids.get(raw);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(utf8(raw));
      this.ids.set(raw, id);
    }
    return id;
  }

  /** A DuckDB list literal of every string, for `dict[id + 1]`. */
  sqlList(): string {
    return `[${this.list.map(sqlString).join(',')}]::VARCHAR[]`;
  }
}

/**
 * The events' payloads, joined by newlines (which JSON text never holds) a
 * vector's worth at a time into one string of a one-column table: one string
 * crosses into DuckDB per 2048 events instead of one per event, and the COPY
 * splits them back in order (unnest, POSITIONAL JOIN). A string per event
 * cost 3.2 s of a 3.5 M-event trace's 5.7 s here.
 */
/** Small enough that a row's text (~2.5 KB) stays inline in DuckDB's blocks, not in overflow strings held in memory. */
const EVENTS_PER_PAYLOAD_ROW = 64;

class PayloadBatcher {
  private bytes = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private count = 0;

  constructor(private readonly writer: ChunkWriter) {}

  add(json: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes; +1 for the newline.
    if (this.pos + json.length * 3 + 1 > this.bytes.length) this.grow(json.length * 3 + 1);
    if (this.count > 0) this.bytes[this.pos++] = 10;
    this.pos += this.bytes.write(json, this.pos, 'utf8');
    if (++this.count === EVENTS_PER_PAYLOAD_ROW) this.flush();
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.pos + need));
    this.bytes.copy(bigger, 0, 0, this.pos);
    this.bytes = bigger;
  }

  flush(): void {
    if (this.count === 0) return;
    // DuckDB copies the bytes when the writer flushes, which is now: the buffer is reused after.
    this.writer.str(0, Buffer.from(this.bytes.subarray(0, this.pos)));
    this.writer.endRow();
    this.pos = 0;
    this.count = 0;
  }
}

/** What is bound once per event class for this pass. */
interface ClassPlan {
  nameId: number;
  payload: PayloadJson;
  kind: 'entry' | 'exit' | 'switch' | 'wakeup' | 'other';
  fdIndex: number;
  nextTid: number;
  nextComm: number;
  prevState: number;
  wokenTid: number;
}

/** Per thread, by the model's thread index: its syscall entry's details and its events. */
interface ThreadExtras {
  entryCpu: number;
  entryProcname: number;
  entryFd: number;
  entryFile: OpenFile | null;
  firstNs: number;
  lastNs: number;
  events: number;
}

interface CpuSlice {
  tid: number;
  startNs: number;
  procname: number;
  runqueueNs: number;
}

interface ReadState {
  origin: MessageTime | null;
  lastNs: number;
  events: number;
}

// Column positions in the staging tables (the order of schema.ts).
const E = { ts: 0, cpu: 1, name: 2, tid: 3, pid: 4, procname: 5 };
const S = { ts: 0, dur: 1, cpu: 2, tid: 3, pid: 4, procname: 5, name: 6, ret: 7, errno: 8, fd: 9, fileId: 10, path: 11, bytes: 12 };
const K = { ts: 0, dur: 1, cpu: 2, tid: 3, pid: 4, procname: 5, endState: 6, runqueue: 7 };

class TablesPass {
  readonly dictionary = new StringDictionary();
  readonly pass: ModelPass<ClassPlan>;
  private readonly extras: ThreadExtras[] = [];
  private readonly cpus = new Map<number, CpuSlice>();
  private readonly wakeups = new Map<number, number>();
  private readonly fileIds = new WeakMap<OpenFile, number>();
  private nextFileId = 0;
  readonly lost: DiscardedNotice[] = [];
  readonly read: ReadState = { origin: null, lastNs: 0, events: 0 };

  readonly payloads: PayloadBatcher;

  constructor(
    private readonly writers: Record<TableName, ChunkWriter>,
    payloadWriter: ChunkWriter,
  ) {
    this.payloads = new PayloadBatcher(payloadWriter);
    this.pass = new ModelPass((info, event) => this.plan(info, event.trace));
    this.pass.tracker.onRelease((file, timeNs) => this.released(file, timeNs));
  }

  private plan(info: EventClassInfo, trace: Parameters<typeof payloadJsonFor>[1]): ClassPlan {
    const name = info.name;
    let kind: ClassPlan['kind'] = 'other';
    if (info.role === 'entry') kind = 'entry';
    else if (info.role === 'exit') kind = 'exit';
    else if (name === 'sched_switch') kind = 'switch';
    else if (name === 'sched_waking' || name === 'sched_wakeup_new' || (name === 'sched_wakeup' && !info.traceEventNames.has('sched_waking'))) kind = 'wakeup';
    return {
      nameId: this.dictionary.id(name),
      payload: payloadJsonFor(info.eventClass.payload, trace),
      kind,
      fdIndex: info.firstField(...FD_ARGUMENTS),
      nextTid: info.field('next_tid'),
      nextComm: info.field('next_comm'),
      prevState: info.field('prev_state'),
      wokenTid: info.field('tid'),
    };
  }

  private extrasOf(thread: Thread): ThreadExtras {
    let extras = this.extras[thread.index];
    if (!extras) {
      extras = { entryCpu: NaN, entryProcname: -1, entryFd: NaN, entryFile: null, firstNs: NaN, lastNs: NaN, events: 0 };
      while (this.extras.length < thread.index) this.extras.push(undefined as unknown as ThreadExtras);
      this.extras[thread.index] = extras;
    }
    return extras;
  }

  fileId(file: OpenFile | null | undefined): number {
    if (!file) return NaN;
    let id = this.fileIds.get(file);
    if (id === undefined) {
      id = this.nextFileId++;
      this.fileIds.set(file, id);
    }
    return id;
  }

  /** One merged message; false at the next multiple of PROGRESS_EVERY events (time to report and yield). */
  readBatch(merger: MessageMerger): boolean {
    const read = this.read;
    const pass = this.pass;
    const view = pass.view;
    const events = this.writers.events;
    for (let message = merger.next(); message; message = merger.next()) {
      if (message.kind === 'discarded') {
        this.lost.push({ ...message });
        continue;
      }
      if (message.kind !== 'event') continue;
      const event = message;
      read.origin ??= timeOf(event);
      const now = nsBetween(read.origin, event);
      read.lastNs = now;
      const binding = pass.begin(event, now);
      const plan = binding.plan;
      const thread = view.thread;
      const extras = this.extrasOf(thread);
      if (extras.events++ === 0) extras.firstNs = now;
      extras.lastNs = now;
      const procname = this.dictionary.id(thread.name);

      events.i64(E.ts, now);
      events.i32(E.cpu, event.cpuId ?? NaN);
      events.i32(E.name, plan.nameId);
      events.i32(E.tid, view.tid < 0 ? NaN : view.tid);
      events.i32(E.pid, thread.pid ?? NaN);
      events.i32(E.procname, procname);
      events.endRow();
      this.payloads.add(plan.payload(event.payload));

      switch (plan.kind) {
        case 'entry': {
          const fd = intAt(event.payload, plan.fdIndex);
          pass.apply(binding);
          const replaced = view.replacedEntry;
          // The thread's earlier entry never got its exit (lost, or a call that does not return): its row, without one.
          if (replaced) this.syscallRow(thread, extras, replaced.syscall.name, replaced.startNs, NaN, NaN, extras.entryFile, replaced.path ?? extras.entryFile?.path ?? null, NaN);
          extras.entryCpu = event.cpuId ?? NaN;
          extras.entryProcname = procname;
          extras.entryFd = fd;
          extras.entryFile = this.fdOf(thread, fd);
          // Numbered now, so that its files row is written when it is released (a close's exit comes after that).
          if (extras.entryFile) this.fileId(extras.entryFile);
          break;
        }
        case 'exit':
          pass.apply(binding);
          this.exited(thread, extras, now);
          break;
        case 'switch':
          pass.apply(binding);
          this.switched(event.cpuId ?? 0, now, plan, event.payload);
          break;
        case 'wakeup': {
          pass.apply(binding);
          const woken = intAt(event.payload, plan.wokenTid);
          if (!this.wakeups.has(woken)) this.wakeups.set(woken, now);
          break;
        }
        default:
          pass.apply(binding);
      }
      if (++read.events % PROGRESS_EVERY === 0) return true;
    }
    return false;
  }

  /** A syscall's exit, after the model applied it: the row of its entry, with the I/O the analyses count. */
  private exited(thread: Thread, extras: ThreadExtras, now: number): void {
    const view = this.pass.view;
    const entry = view.entry;
    if (!entry || view.childReturn) return;
    const tracker = this.pass.tracker;
    let bytes = NaN;
    // As analysis/io.ts and analysis/network.ts count them, so the tables agree with analyze.
    const read = view.readFile;
    const write = view.writeFile;
    const pid = read || write ? tracker.processOf(thread).pid : 0;
    if (read) {
      read.pids.add(pid);
      read.reads++;
      read.readBytes += view.readBytes;
      bytes = view.readBytes;
      if (read.kind === 'socket') this.connectionOf(read, pid, entry.a).receivedBytes += view.readBytes;
    }
    if (write) {
      write.pids.add(pid);
      write.writes++;
      write.writeBytes += view.writeBytes;
      bytes = view.writeBytes;
      if (write.kind === 'socket') this.connectionOf(write, pid, entry.a).sentBytes += view.writeBytes;
    }
    const ret = view.ret;
    let file = read ?? write ?? view.connectedFile;
    if (!file && ret >= 0 && FD_MAKERS.has(nativeSyscall(entry.syscall.name))) file = this.fdOf(thread, ret);
    file ??= extras.entryFile;
    this.syscallRow(thread, extras, entry.syscall.name, entry.startNs, now - entry.startNs, ret, file, entry.path ?? file?.path ?? null, bytes);
  }

  /** What fd refers to in the thread's process, without making anything (the model's fileOf would). */
  private fdOf(thread: Thread, fd: number): OpenFile | null {
    if (!Number.isInteger(fd) || fd < 0) return null;
    return this.pass.tracker.processes.get(thread.pid ?? thread.tid)?.fds.get(fd) ?? null;
  }

  private connectionOf(file: OpenFile, pid: number, fd: number): SocketConnection {
    file.connection ??= { pid, fd: Number.isNaN(fd) ? -1 : fd, direction: 'unknown', family: null, local: null, peer: null, sentBytes: 0, receivedBytes: 0, openedNs: null };
    return file.connection;
  }

  syscallRow(thread: Thread, extras: ThreadExtras, name: string, startNs: number, dur: number, ret: number, file: OpenFile | null, path: string | null, bytes: number): void {
    const w = this.writers.syscalls;
    w.i64(S.ts, startNs);
    w.i64(S.dur, dur);
    w.i32(S.cpu, extras.entryCpu);
    w.i32(S.tid, thread.tid < 0 ? NaN : thread.tid);
    w.i32(S.pid, thread.pid ?? NaN);
    w.i32(S.procname, extras.entryProcname >= 0 ? extras.entryProcname : this.dictionary.id(thread.name));
    w.i32(S.name, this.dictionary.id(name));
    w.i64(S.ret, ret);
    w.str(S.errno, isErrorReturn(ret) ? errnoName(-ret) : null);
    w.i32(S.fd, Number.isInteger(extras.entryFd) ? extras.entryFd : NaN);
    w.i64(S.fileId, this.fileId(file));
    w.str(S.path, path === null ? null : utf8(path));
    w.i64(S.bytes, bytes);
    w.endRow();
  }

  private switched(cpu: number, now: number, plan: ClassPlan, payload: Parameters<typeof intAt>[0]): void {
    const nextTid = intAt(payload, plan.nextTid);
    const previous = this.cpus.get(cpu);
    if (previous) this.sliceRow(cpu, previous, now, intAt(payload, plan.prevState));
    const woken = this.wakeups.get(nextTid);
    let runqueueNs = NaN;
    if (woken !== undefined) {
      runqueueNs = now - woken;
      this.wakeups.delete(nextTid);
    }
    const comm = textAt(payload, plan.nextComm);
    const procname = this.dictionary.id(comm ?? this.pass.tracker.threads.get(nextTid)?.name ?? '');
    if (previous) {
      previous.tid = nextTid;
      previous.startNs = now;
      previous.procname = procname;
      previous.runqueueNs = runqueueNs;
    } else this.cpus.set(cpu, { tid: nextTid, startNs: now, procname, runqueueNs });
  }

  private sliceRow(cpu: number, slice: CpuSlice, endNs: number, endState: number): void {
    const w = this.writers.sched_slices;
    w.i64(K.ts, slice.startNs);
    w.i64(K.dur, endNs - slice.startNs);
    w.i32(K.cpu, cpu);
    w.i32(K.tid, slice.tid);
    w.i32(K.pid, slice.tid === 0 ? 0 : (this.pass.tracker.threads.get(slice.tid)?.pid ?? NaN));
    w.i32(K.procname, slice.procname);
    w.i64(K.endState, endState);
    w.i64(K.runqueue, slice.runqueueNs);
    w.endRow();
  }

  /** A file's last fd went: its row, and its connection's. */
  private released(file: OpenFile, timeNs: number): void {
    const tracker = this.pass.tracker;
    const closed = tracker.ending ? NaN : timeNs;
    const known = this.fileIds.has(file);
    if (!known && file.reads + file.writes === 0 && !file.connection) return;
    const id = this.fileId(file);
    const f = this.writers.files;
    f.i64(0, id);
    f.str(1, file.path === null ? null : utf8(file.path));
    f.str(2, file.kind);
    f.str(3, JSON.stringify([...file.pids].sort((a, b) => a - b)));
    f.i64(4, file.reads);
    f.i64(5, file.readBytes);
    f.i64(6, file.writes);
    f.i64(7, file.writeBytes);
    f.i64(8, closed);
    f.endRow();
    const c = file.connection;
    if (!c) return;
    // A statedump after the accept or connect can name what the syscall recorded only as a pointer (as analysis/network.ts).
    if (file.socket) {
      c.family ??= file.socket.protocol || null;
      c.local ??= file.socket.local;
      c.peer ??= file.socket.peer;
    }
    const w = this.writers.connections;
    const local = c.local ?? (file.path && !file.path.startsWith('socket:[') ? file.path : null);
    w.i64(0, id);
    w.i32(1, c.pid);
    w.i32(2, c.fd);
    w.str(3, c.direction);
    w.str(4, c.family);
    w.str(5, local === null ? null : utf8(local));
    w.str(6, c.peer === null ? null : utf8(c.peer));
    w.i64(7, c.sentBytes);
    w.i64(8, c.receivedBytes);
    w.i64(9, c.openedNs ?? NaN);
    w.i64(10, closed);
    w.endRow();
  }

  /** The end of the trace: open files, syscalls in flight, the last slice of each CPU, threads, processes. */
  finish(): void {
    const tracker = this.pass.tracker;
    const end = this.read.lastNs;
    this.payloads.flush();
    for (const thread of tracker.threads.values()) {
      const pending = thread.pending;
      if (!pending) continue;
      const extras = this.extrasOf(thread);
      this.syscallRow(thread, extras, pending.syscall.name, pending.startNs, NaN, NaN, extras.entryFile, pending.path ?? extras.entryFile?.path ?? null, NaN);
    }
    tracker.releaseAll();
    for (const [cpu, slice] of [...this.cpus].sort((a, b) => a[0] - b[0])) this.sliceRow(cpu, slice, end, NaN);

    const t = this.writers.threads;
    for (const thread of tracker.threads.values()) {
      if (thread.tid < 0) continue;
      const extras = this.extras[thread.index];
      t.i32(0, thread.tid);
      t.i32(1, thread.tid === 0 ? 0 : (thread.pid ?? NaN));
      t.str(2, utf8(thread.tid === 0 && !thread.name ? 'swapper' : thread.name));
      t.i64(3, extras?.events ? extras.firstNs : NaN);
      t.i64(4, extras?.events ? extras.lastNs : NaN);
      t.i64(5, extras?.events ?? 0);
      t.endRow();
    }

    const p = this.writers.processes;
    for (const process of tracker.processes.values()) {
      if (process.pid <= 0) continue;
      const main = tracker.threads.get(process.pid);
      const name = (main?.pid === process.pid || main?.pid === null ? main?.name : '') || process.names[0] || '?';
      const last = process.execs[process.execs.length - 1];
      p.i32(0, process.pid);
      p.i32(1, process.parentPid ?? NaN);
      p.str(2, utf8(name));
      p.str(3, JSON.stringify(process.names.map(utf8)));
      p.str(4, last ? utf8(last.filename) : null);
      p.str(5, JSON.stringify(process.execs.map((e) => utf8(e.filename))));
      p.i64(6, process.forkedNs ?? NaN);
      p.i64(7, process.exitedNs ?? NaN);
      p.i32(8, Math.max(1, process.tids.size));
      p.endRow();
    }
  }
}

/** The SELECT list that turns a staging table into the documented one. */
function selectList(table: TableName, columns: ColumnSpec[], originNs: bigint, dictionary: string): string {
  return columns
    .map((column) => {
      const name = `"${column.name}"`;
      let expression = name;
      if (DICTIONARY_COLUMNS.has(`${table}.${column.name}`)) expression = `(${dictionary})[${name} + 1]`;
      else if (column.type === 'BIGINT' && isTimeColumn(column)) expression = `${name} + ${originNs}::BIGINT`;
      else if (`${table}.${column.name}` === BATCHED_COLUMN) expression = `"batched"."text"::JSON`;
      else if (column.type === 'JSON') expression = `${name}::JSON`;
      else if (column.type === 'VARCHAR[]') expression = `${name}::JSON::VARCHAR[]`;
      else if (column.type === 'INTEGER[]') expression = `${name}::JSON::INTEGER[]`;
      return `${expression} AS ${name}`;
    })
    .join(', ');
}

function fromClause(table: TableName): string {
  if (!BATCHED_COLUMN.startsWith(`${table}.`)) return `"t_${table}"`;
  return `"t_${table}" POSITIONAL JOIN (SELECT unnest(string_split("text", chr(10))) AS "text" FROM "t_batched") AS "batched"`;
}

async function lostRows(connection: DuckDBConnection, lost: DiscardedNotice[], origin: bigint): Promise<ChunkWriter> {
  const appender = await connection.createAppender('t_lost_events');
  const w = new ChunkWriter(appender, ['i32', 'str', 'i64', 'i64', 'i64', 'str']);
  for (const notice of lost) {
    w.i32(0, cpuOfStreamFile(notice.streamFile) ?? NaN);
    w.str(1, notice.what);
    w.i64(2, notice.count);
    w.i64(3, notice.beginNs === null ? NaN : Number(notice.beginNs - origin));
    w.i64(4, notice.endNs === null ? NaN : Number(notice.endNs - origin));
    w.str(5, notice.streamFile);
    w.endRow();
  }
  w.flush();
  appender.closeSync();
  return w;
}

/**
 * Writes the tables of every trace under `roots` into `outDir` (created if
 * missing) as `<table>.parquet`. A damaged trace gives the tables of what
 * was read before the damage, and says so in `damage`.
 */
export async function writeTraceTables(roots: string[], outDir: string, options: TablesOptions = {}): Promise<TablesResult> {
  const merger = openMessages(roots);
  const traceBytes = roots.flatMap((root) => findTraceDirs(root)).flatMap((dir) => streamFiles(dir)).reduce((sum, file) => sum + statSync(file).size, 0);
  mkdirSync(outDir, { recursive: true });
  const staging = join(outDir, `.staging-${process.pid}.duckdb`);
  const removeStaging = () => {
    rmSync(staging, { force: true });
    rmSync(`${staging}.wal`, { force: true });
    rmSync(`${staging}.tmp`, { recursive: true, force: true });
  };
  removeStaging();
  // A database file rather than :memory:, so DuckDB's share stays flat (its in-memory tables grew with the trace).
  const instance = await DuckDBInstance.create(staging, {
    memory_limit: options.memoryLimit ?? '128MB',
    temp_directory: `${staging}.tmp`,
    preserve_insertion_order: 'true',
  });
  const connection = await instance.connect();
  // The staging database is removed at the end: nothing to checkpoint when it closes.
  await connection.run('PRAGMA disable_checkpoint_on_shutdown');
  try {
    const writers = {} as Record<TableName, ChunkWriter>;
    const appenders = [];
    for (const table of TABLES) {
      const staged = stagedColumns(table.name, table.columns);
      const kinds = staged.map((c) => stagingKind(table.name, c));
      const columns = staged.map((c, i) => `"${c.name}" ${stagingType(kinds[i]!).toString()}`).join(', ');
      await connection.run(`CREATE TABLE "t_${table.name}" (${columns})`);
      if (table.name === 'lost_events') continue;
      const appender = await connection.createAppender(`t_${table.name}`);
      appenders.push(appender);
      writers[table.name] = new ChunkWriter(appender, kinds);
    }

    await connection.run('CREATE TABLE "t_batched" ("text" VARCHAR)');
    const batchedAppender = await connection.createAppender('t_batched');
    appenders.push(batchedAppender);
    const batchedWriter = new ChunkWriter(batchedAppender, ['str']);
    const tables = new TablesPass(writers, batchedWriter);
    let damage: string | null = null;
    try {
      while (tables.readBatch(merger)) {
        if (options.progress) {
          options.progress(tables.read.events, traceBytes);
          await yieldToEventLoop();
        }
      }
    } catch (error) {
      if (!(error instanceof TraceFormatError)) throw error;
      damage = error.message;
    } finally {
      merger.close();
    }
    options.progress?.(tables.read.events, traceBytes);
    tables.finish();
    for (const writer of [...Object.values(writers), batchedWriter]) writer.flush();
    for (const appender of appenders) appender.closeSync();
    const origin = tables.read.origin ? absoluteNs(tables.read.origin) : (tables.lost[0]?.beginNs ?? 0n);
    writers.lost_events = await lostRows(connection, tables.lost, origin);

    const dictionary = tables.dictionary.sqlList();
    const files = {} as Record<TableName, string>;
    const rows = {} as Record<TableName, number>;
    for (const table of TABLES) {
      const file = join(outDir, `${table.name}.parquet`);
      const metadata = `{benchmark_tracer_schema_version: '${TABLES_SCHEMA_VERSION}', benchmark_tracer_table: '${table.name}', benchmark_tracer_version: ${sqlString(`${TOOL_NAME} ${TOOL_VERSION}`)}}`;
      await connection.run(
        `COPY (SELECT ${selectList(table.name, table.columns, origin, dictionary)} FROM ${fromClause(table.name)}) TO ${sqlString(file)} ` +
          `(FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 1, KV_METADATA ${metadata})`,
      );
      files[table.name] = file;
      rows[table.name] = writers[table.name].rows;
    }
    return { events: tables.read.events, rows, originNs: tables.read.origin ? origin.toString() : null, damage, files };
  } finally {
    connection.closeSync();
    instance.closeSync();
    removeStaging();
  }
}
