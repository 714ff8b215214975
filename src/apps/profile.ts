// What an application profile hands to a run: how to start its server (the
// traced part), how to tell it is ready, what the client does against it,
// and how to undo everything it set up. The custom command is a profile too.

export interface ClientStep {
  label: string;
  /** A shell command line, run untraced unless the run says otherwise. */
  command: string;
  /** The step fails unless its stdout matches. */
  expectOutput?: RegExp;
}

export interface BenchmarkStep extends ClientStep {
  /** Run again and again until --duration is over (tools with no time limit of their own). */
  repeatUntilDeadline: boolean;
  /** The figures the tool printed: requests per second, latency percentiles, errors. */
  parse(stdout: string): Record<string, number>;
  /** Why these figures mean the workload failed (errors the tool counted but exited 0 for), or null. */
  failure?(figures: Record<string, number>): string | null;
}

/** Who can reach a private instance, for metadata.json: how it is locked, never the secret. */
export interface InstanceAccess {
  /** Where it listens: 'private network namespace', 'loopback', 'unix socket in a 0700 directory'. */
  network: string;
  /** How a client proves it is the run's, or null when reaching it is the only lock. */
  authentication: string | null;
  /** Why, where the choice is not obvious. */
  note?: string;
}

export interface AppInstance {
  application: string;
  description: string;
  /** The server's version as it reports it, when known. */
  version: string | null;
  /** The instance's own configuration (ports, dirs, config file), for metadata.json. */
  config: Record<string, unknown>;
  /** Who can reach the instance; null for a custom command, which is the user's own. */
  access: InstanceAccess | null;
  /**
   * Every command of the instance, the server and its clients, runs under it
   * (the private network namespace's nsenter), before the backend's own prefix.
   */
  launchPrefix?: string[];
  /** Added to the environment of the client commands (ready check, smoke, benchmark, stop): the run's secret, never on a command line. */
  clientEnv?: Record<string, string>;
  /** What provisioning ran before the server (initdb, image import...). */
  setupCommands: string[];
  /** The traced command; its output is shown (custom commands) or kept for metadata.json. */
  server: { command: string; cwd?: string; env?: NodeJS.ProcessEnv; output: 'inherit' | 'capture' };
  /** A command that exits 0 once the server answers; null: it listens on a socket. */
  readyCommand: string | null;
  readyTimeoutSeconds: number;
  smoke: ClientStep[];
  benchmark: BenchmarkStep | null;
  /** A graceful stop command; null: SIGTERM to the server's process group. */
  stopCommand: string | null;
  /**
   * Removes what provisioning created, once the server is stopped. Runs on
   * every exit path, from a signal handler too: synchronous, idempotent,
   * never throws.
   */
  cleanup(): void;
}

export interface ProvisionOptions {
  durationSeconds: number | null;
}

export interface AppProfile {
  name: string;
  provision(options: ProvisionOptions): Promise<AppInstance>;
}
