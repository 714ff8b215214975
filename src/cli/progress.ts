// The terminal view of a run: one status line redrawn in place (phase,
// elapsed, events, bytes, lost) when stderr is a terminal; nothing but
// notes and warnings otherwise.

import type { LiveCounters } from '../backends/backend.js';
import { formatBytes } from '../report/units.js';
import type { RunPhase, RunReporter } from '../session/run.js';

const REDRAW_MS = 250;

/** The phases of a recording, and of reading a trace back. */
export type ProgressPhase = RunPhase | 'analyzing' | 'writing tables';

/** What the status line says in each phase (and step of one). */
const LABELS: Record<ProgressPhase, string> = {
  prepare: 'preparing',
  launch: 'starting',
  ready: 'waiting until ready',
  workload: 'recording',
  stop: 'stopping',
  write: 'writing',
  analyzing: 'analyzing',
  'writing tables': 'writing tables',
};
const STEP_LABELS: Record<string, string> = { ctf: 'CTF', text: 'text' };

export class TerminalReporter implements RunReporter {
  private readonly startedAt = Date.now();
  private currentLabel: string | null = null;
  private counters: (() => LiveCounters) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lineShown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly live: boolean,
  ) {}

  static forStderr(quiet: boolean): TerminalReporter {
    return new TerminalReporter(process.stderr, !quiet && process.stderr.isTTY === true);
  }

  phase(phase: ProgressPhase, counters?: () => LiveCounters, step?: string): void {
    this.currentLabel = step === undefined ? LABELS[phase] : `${LABELS[phase]} ${STEP_LABELS[step] ?? step}`;
    this.counters = counters ?? null;
    if (!this.live) return;
    this.timer ??= setInterval(() => this.redraw(), REDRAW_MS);
    this.redraw();
  }

  note(message: string): void {
    this.printLine(message);
  }

  warn(message: string): void {
    this.printLine(`warning: ${message}`);
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearLine();
  }

  private printLine(message: string): void {
    this.clearLine();
    this.stream.write(`${message}\n`);
    if (this.live) this.redraw();
  }

  private clearLine(): void {
    if (this.lineShown) this.stream.write('\r\x1b[2K');
    this.lineShown = false;
  }

  private redraw(): void {
    if (!this.currentLabel) return;
    const elapsed = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    let line = `[${this.currentLabel}] ${elapsed}s`;
    const c = this.counters?.();
    if (c) {
      line += `  ${c.events.toLocaleString('en-US')} events  ${formatBytes(c.bytes)}`;
      if (c.lost > 0) line += `  ${c.lost.toLocaleString('en-US')} LOST`;
    }
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns || 100) - 1)}`);
    this.lineShown = true;
  }
}
