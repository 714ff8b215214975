// Runs `lttng` commands: a failed command becomes one line naming the
// command and lttng's own error. `lttng create` records the "current
// session" in $LTTNG_HOME/.lttngrc; a private home keeps the user's own
// file untouched (as root the client still talks to the root daemon).

import { spawnSync } from 'node:child_process';
import { runCommand } from '../../util/run-command.js';

/** One invocation of `lttng`, as the command plans list them. */
export type LttngCommand = string[];

export class LttngCommandError extends Error {
  constructor(
    readonly args: LttngCommand,
    readonly lttngMessage: string,
  ) {
    super(`lttng ${args.join(' ')}: ${lttngMessage}`);
  }
}

/** Said when lttng dies without a word (the daemon dropped the connection: SIGPIPE). */
export const NO_ANSWER = 'no answer from the session daemon';

/** lttng's first "Error: ..." line (its reason), else its first line of output. */
export function lttngErrorMessage(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^Error:/i.test(l));
  return (error ?? lines[0] ?? NO_ANSWER).replace(/^Error:\s*/i, '');
}

export class LttngClient {
  private readonly env: NodeJS.ProcessEnv;

  constructor(home: string) {
    this.env = { ...process.env, LTTNG_HOME: home };
  }

  async run(args: LttngCommand, timeoutMs = 30_000): Promise<string> {
    const { code, stdout, stderr } = await runCommand('lttng', args, timeoutMs, this.env);
    if (code !== 0) throw new LttngCommandError(args, lttngErrorMessage(`${stderr}\n${stdout}`));
    return stdout;
  }

  /** For the steps a run takes synchronously (start, follow) and for signal handlers. */
  runSync(args: LttngCommand, timeoutMs = 30_000): string {
    const result = spawnSync('lttng', args, { env: this.env, encoding: 'utf8', timeout: timeoutMs });
    if (result.status !== 0) throw new LttngCommandError(args, lttngErrorMessage(`${result.stderr ?? ''}\n${result.stdout ?? ''}${result.error?.message ?? ''}`));
    return result.stdout;
  }

  async runPlan(plan: LttngCommand[]): Promise<void> {
    for (const args of plan) await this.run(args);
  }

  /** Stops and destroys a session, whatever state it is in; never throws. */
  async destroy(session: string): Promise<void> {
    await runCommand('lttng', ['destroy', session], 30_000, this.env);
  }

  destroyNow(session: string): void {
    spawnSync('lttng', ['destroy', session], { env: this.env, stdio: 'ignore', timeout: 10_000 });
  }
}

/** Discarded-event counts per channel, from `lttng list SESSION` ("- NAME: [enabled]" ... "Discarded events: N"). */
export function parseDiscardedEvents(listing: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let channel: string | null = null;
  for (const line of listing.split('\n')) {
    const header = /^-\s+(\S+):\s+\[(?:enabled|disabled)\]/.exec(line.trim());
    if (header) channel = header[1]!;
    const discarded = /Discarded events:\s+(\d+)/.exec(line);
    if (discarded && channel) counts[channel] = (counts[channel] ?? 0) + Number(discarded[1]);
  }
  return counts;
}
