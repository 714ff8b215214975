// What the trace says about each thread at the current point of a
// conversion: its process (tgid) and name, for the LTTng-style context of
// every event. Fed in timestamp order by the events that create and rename
// threads. Task objects are updated in place, never replaced, so callers
// may keep one while its tid stays the same.

/** Bytes of a task name, NUL included (TASK_COMM_LEN). */
export const COMM_BYTES = 16;

export class Task {
  /** The name as four little-endian u32 words (16 bytes, NUL-padded): written to events as is. */
  n0 = 0;
  n1 = 0;
  n2 = 0;
  n3 = 0;

  constructor(public pid: number) {}

  setName(name: string): void {
    const bytes = new Uint8Array(COMM_BYTES);
    const encoded = new TextEncoder().encode(name);
    bytes.set(encoded.subarray(0, Math.min(encoded.length, COMM_BYTES - 1)));
    this.setNameBytes(bytes, 0, COMM_BYTES - 1);
  }

  /** Takes the name from at most `max` bytes (up to a NUL, 15 at most) at `at`. */
  setNameBytes(bytes: Uint8Array, at: number, max: number): void {
    const limit = Math.min(max, COMM_BYTES - 1);
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    for (let i = 0; i < limit; i++) {
      const b = bytes[at + i]!;
      if (b === 0) break;
      const shifted = b * 2 ** (8 * (i & 3));
      if (i < 4) w0 += shifted;
      else if (i < 8) w1 += shifted;
      else if (i < 12) w2 += shifted;
      else w3 += shifted;
    }
    this.n0 = w0;
    this.n1 = w1;
    this.n2 = w2;
    this.n3 = w3;
  }
}

export class TaskTable {
  private readonly tasks = new Map<number, Task>();
  /** tid 0 is each CPU's idle task. */
  private readonly idle = new Map<number, Task>();

  /** The task of `tid`; an unknown one is its own process with no name yet. */
  get(tid: number, cpu: number): Task {
    if (tid === 0) return this.idleTask(cpu);
    let task = this.tasks.get(tid);
    if (!task) {
      task = new Task(tid);
      this.tasks.set(tid, task);
    }
    return task;
  }

  private idleTask(cpu: number): Task {
    let task = this.idle.get(cpu);
    if (!task) {
      task = new Task(0);
      task.setName(`swapper/${cpu}`);
      this.idle.set(cpu, task);
    }
    return task;
  }
}
