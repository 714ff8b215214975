// Keeps LTTng's userspace --vpid tracker on a process tree. LTTng's trackers
// do not follow forks: the roots are tracked at once, their descendants as a
// poll of /proc finds them (a child's first TRACK_POLL_MS are not recorded).
// The kernel domain needs none of this: the UTS namespace of kernel-backend.ts.

import { descendantsOf } from '../../util/procfs.js';
import type { LttngClient, LttngCommand } from './lttng-cli.js';

export const TRACK_POLL_MS = 100;

/** The pids of `tree` not tracked yet, once each. */
export function newDescendants(tree: number[], tracked: ReadonlySet<number>): number[] {
  return [...new Set(tree)].filter((pid) => !tracked.has(pid));
}

export class TreeTracker {
  private readonly roots: number[] = [];
  private readonly tracked = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly client: LttngClient,
    /** The lttng command that adds these pids to the session's tracker. */
    private readonly trackCommand: (pids: number[]) => LttngCommand,
  ) {}

  get hasRoots(): boolean {
    return this.roots.length > 0;
  }

  /** A new root; tracked now when `now` (else by trackRoots). */
  addRoot(pid: number, now: boolean): void {
    this.roots.push(pid);
    if (now) this.trackNow([pid]);
  }

  /** Tracks the roots and starts following their descendants. */
  start(): void {
    this.trackNow(this.roots);
    this.timer ??= setInterval(() => void this.poll(), TRACK_POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private trackNow(pids: number[]): void {
    const fresh = newDescendants(pids, this.tracked);
    if (fresh.length === 0) return;
    this.client.runSync(this.trackCommand(fresh));
    fresh.forEach((pid) => this.tracked.add(pid));
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const fresh = newDescendants(this.roots.flatMap(descendantsOf), this.tracked);
      if (fresh.length > 0) {
        await this.client.run(this.trackCommand(fresh));
        fresh.forEach((pid) => this.tracked.add(pid));
      }
    } catch {
      // The session is being stopped; the next poll (if any) tries again.
    } finally {
      this.polling = false;
    }
  }
}
