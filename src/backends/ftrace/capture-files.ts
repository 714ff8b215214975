// The on-disk hand-off between recording (tracefs, root, during the run) and
// conversion (pure file work, after the run). Recording does no decoding, so
// the run itself stays cheap; conversion needs no root and no live kernel,
// so it is tested on fixtures.
//
// A capture directory holds:
//   capture.json   CaptureManifest (below)
//   cpu<N>.pages   the pages read from per_cpu/cpu<N>/trace_pipe_raw, each
//                  preceded by a PAGE_RECORD_HEADER_SIZE-byte record header:
//                    u32 LE  page size in bytes (the sub-buffer size)
//                    u32 LE  drain number: which pass over the buffers
//                            copied the page, counting from 1 (0: not
//                            recorded). Events a pass counts as lost were
//                            dropped after the pages it read and before
//                            those of the next pass: the converter places
//                            them there.
//                    u64 LE  events lost on this CPU so far (cumulative,
//                            from per_cpu/cpu<N>/stats, read just before
//                            the pass)
//   user-arguments.txt  bpftrace's lines, when paths and addresses are read

import type { ClockSample } from './clock-sync.js';

export const CAPTURE_MANIFEST = 'capture.json';
export const PAGE_RECORD_HEADER_SIZE = 16;

export function pagesFileName(cpu: number): string {
  return `cpu${cpu}.pages`;
}

/** One enabled tracepoint: its ftrace id and the kernel's own format text. */
export interface CapturedEventFormat {
  id: number;
  system: string;
  name: string;
  /** The whole text of events/<system>/<name>/format. */
  format: string;
}

import type { SocketEndpoint } from '../../util/proc-net.js';

/** One task as /proc showed it when a statedump was taken. */
export interface StatedumpTask {
  tid: number;
  pid: number;
  ppid: number;
  name: string;
  /** The state letter of /proc/<pid>/task/<tid>/stat (R, S, D, Z, ...), when known. */
  state?: string;
}

/** One open file descriptor as /proc/<pid>/fd showed it. */
export interface StatedumpFd {
  pid: number;
  fd: number;
  path: string;
  /** The open flags of /proc/<pid>/fdinfo/<fd> ("flags:", octal there), when known. */
  flags?: number;
  /** For a socket whose inode the kernel's socket tables know: its protocol, state and addresses. */
  socket?: SocketEndpoint;
}

export interface Statedump {
  /** Why it was taken: "start", "ready" (the server answered), "end" (before it was stopped). */
  label: string;
  /** CLOCK_MONOTONIC in ns (decimal string: it can pass 2^53) when the dump was taken. */
  timestampNs: string;
  tasks: StatedumpTask[];
  fds: StatedumpFd[];
}

export interface CaptureManifest {
  version: 2;
  cpus: number[];
  /** The kernel's events/header_page and events/header_event texts. */
  headerPage: string;
  headerEvent: string;
  events: CapturedEventFormat[];
  /** trace_clock used: "mono", or "local" mapped to it through clockSamples. */
  clock: string;
  clockSamples?: ClockSample[];
  /** CLOCK_REALTIME - CLOCK_MONOTONIC in ns at trace start (decimal string). */
  realtimeOffsetNs: string;
  /** In time order, at least one; the first one's time is the trace's time origin. */
  statedumps: Statedump[];
  /** Events lost per CPU at the end of the run, from per_cpu/cpu<N>/stats. */
  lostAtEnd: Record<string, number>;
  /**
   * /proc/sys/kernel/random/boot_id, when known: the CTF clock's uuid, as
   * LTTng's, so that readers can correlate this trace with LTTng ones.
   */
  bootId?: string;
}
