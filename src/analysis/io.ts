// I/O: bytes and operations read and written per process and per file. A
// file's figures are added to its path's when its last fd closes (or at the
// end of the trace), so a path learnt late still names them.

import type { FileKind, OpenFile } from '../model/entities.js';
import type { EventClassInfo } from '../model/event-class-info.js';
import type { EventView } from '../model/event-view.js';
import type { SystemTracker } from '../model/tracker.js';
import type { IoResult } from './model.js';
import { topBy, type AnalysisContext, type AnalysisHandler, type AnalysisModule, type Ending, type EventFunction } from './registry.js';

const OPEN_SYSCALLS = new Set(['open', 'openat', 'openat2', 'creat']);

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

function addRead(counters: Counters, bytes: number): void {
  counters.reads++;
  counters.readBytes += bytes;
}

function addWrite(counters: Counters, bytes: number): void {
  counters.writes++;
  counters.writeBytes += bytes;
}

export const ioAnalysis: AnalysisModule<'io'> = {
  name: 'io',
  deps: [],
  create: (context: AnalysisContext) => new IoAnalysis(context.model),
};

class IoAnalysis implements AnalysisHandler<'io', never> {
  private readonly byProcess = new Map<number, Counters>();
  private readonly byFile = new Map<string, FileTotals>();
  private fdOperations = 0;
  private fdOperationsResolved = 0;
  /** Our syscall tracepoints record open's filename as a pointer: paths then come from statedumps only. */
  private pointerFilenames = false;

  constructor(private readonly model: SystemTracker) {
    model.onRelease((file) => this.fold(file));
  }

  bind(info: EventClassInfo): EventFunction | null {
    if (info.role === 'entry' && OPEN_SYSCALLS.has(info.syscall!)) {
      const filename = info.eventClass.payload?.members.find((m) => m.name.replace(/^_/, '') === 'filename');
      if (filename && filename.type.kind !== 'string') this.pointerFilenames = true;
    }
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
    const pid = this.model.processOf(view.thread).pid;
    const process = this.counters(pid);
    if (read) {
      read.pids.add(pid);
      addRead(read, view.readBytes);
      addRead(process, view.readBytes);
    }
    if (write) {
      write.pids.add(pid);
      addWrite(write, view.writeBytes);
      addWrite(process, view.writeBytes);
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

  finalize(end: Ending): IoResult {
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

  notes(result: IoResult): string[] {
    const notes: string[] = [];
    if (this.pointerFilenames) {
      notes.push('open/openat record the filename as a user pointer in this trace: file paths come only from statedumps (lttng_statedump_file_descriptor)');
    }
    if (result.fdOperations > 0 && result.resolvedShare < 1) {
      notes.push(
        `${result.fdOperations - result.fdOperationsResolved} of ${result.fdOperations} I/O operations were on fds of unknown files ` +
          '(opened before the trace and in no statedump, or opened by a path the trace does not record)',
      );
    }
    return notes;
  }
}
