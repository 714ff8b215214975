// I/O: bytes and operations read and written per process and per file. A
// file's figures are added to its path's when its last fd closes (or at the
// end of the trace), so a path learnt late still names them.

import type { EventClassInfo } from './event-class-info.js';
import { topBy, type Analysis, type Ending, type EventFunction } from './handler.js';
import type { IoResult } from './model.js';
import type { EventView, FileKind, OpenFile, TraceState } from './state.js';

interface Counters {
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

interface FileTotals extends Counters {
  path: string | null;
  kind: FileKind;
  processes: Set<number>;
}

export class IoAnalysis implements Analysis {
  private readonly byProcess = new Map<number, Counters>();
  private readonly byFile = new Map<string, FileTotals>();
  private fdOperations = 0;
  private fdOperationsResolved = 0;

  constructor(private readonly state: TraceState) {
    state.onRelease((file) => this.fold(file));
  }

  bind(info: EventClassInfo): EventFunction | null {
    return info.role === 'exit' ? (view) => this.exit(view) : null;
  }

  private counters(pid: number): Counters {
    let counters = this.byProcess.get(pid);
    if (!counters) {
      counters = { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
      this.byProcess.set(pid, counters);
    }
    return counters;
  }

  private exit(view: EventView): void {
    const read = view.readFile;
    const write = view.writeFile;
    if (!read && !write) return;
    const pid = this.state.processOf(view.thread).pid;
    const process = this.counters(pid);
    if (read) {
      read.reads++;
      read.readBytes += view.readBytes;
      read.pids.add(pid);
      process.reads++;
      process.readBytes += view.readBytes;
    }
    if (write) {
      write.writes++;
      write.writeBytes += view.writeBytes;
      write.pids.add(pid);
      process.writes++;
      process.writeBytes += view.writeBytes;
    }
  }

  private fold(file: OpenFile): void {
    const operations = file.reads + file.writes;
    if (operations === 0) return;
    this.fdOperations += operations;
    if (file.kind !== 'unknown') this.fdOperationsResolved += operations;
    // Files whose path is unknown are counted together by kind.
    const key = file.path ?? `\0${file.kind}`;
    let totals = this.byFile.get(key);
    if (!totals) {
      totals = { path: file.path, kind: file.kind, readBytes: 0, writeBytes: 0, reads: 0, writes: 0, processes: new Set() };
      this.byFile.set(key, totals);
    }
    totals.readBytes += file.readBytes;
    totals.writeBytes += file.writeBytes;
    totals.reads += file.reads;
    totals.writes += file.writes;
    for (const pid of file.pids) totals.processes.add(pid);
  }

  finish(end: Ending): IoResult {
    const bytes = (c: Counters) => c.readBytes + c.writeBytes || (c.reads + c.writes) * 1e-9;
    return {
      byProcess: topBy(this.byProcess, ([, c]) => bytes(c)).map(([pid, c]) => ({ ...end.processRef(pid), ...c })),
      byFile: topBy(this.byFile.values(), bytes).map((f) => ({
        path: f.path,
        kind: f.kind,
        readBytes: f.readBytes,
        writeBytes: f.writeBytes,
        reads: f.reads,
        writes: f.writes,
        processes: [...f.processes].sort((a, b) => a - b),
      })),
      fdOperations: this.fdOperations,
      fdOperationsResolved: this.fdOperationsResolved,
      resolvedShare: this.fdOperations === 0 ? 0 : this.fdOperationsResolved / this.fdOperations,
    };
  }
}
