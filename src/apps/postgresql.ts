// PostgreSQL: a private cluster (initdb) in the instance dir, its postmaster
// run as the postgres user (it refuses root) with its own socket dir and port;
// psql for the smoke test; pgbench (initialised first) over TCP for the
// benchmark. The postmaster is the traced pid: no pg_ctl start, which daemonizes.
// Locked to the run: the server listens in a network namespace of the run's
// own, and every login, over TCP or the socket, needs the password made for
// the run (scram-sha-256), which the clients get in their environment.

import { existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../util/ports.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { makePrivateInstance, newSecret, shellQuote, writePrivateFile } from './instance-dir.js';
import type { AppProfile, BenchmarkStep } from './profile.js';
import { requireProgram, runSetupStep, serviceUser } from './service-user.js';

const CLIENTS = 8;
const THREADS = 2;
/** pgbench -T takes whole seconds and ends a little after them: leave it this much of --duration. */
const PGBENCH_MARGIN_SECONDS = 0.75;
/** Transactions per client and run, for a --duration too short for -T: repeated until the deadline. */
const SHORT_RUN_TRANSACTIONS = 50;
/** No --duration, no deadline: one run of this length. */
const UNBOUNDED_SECONDS = 10;

/** pgbench's summary: tps, latency average and stddev, transactions processed and failed, clients, threads. */
export function parsePgbenchReport(stdout: string): Record<string, number> {
  const patterns: Record<string, RegExp> = {
    tps: /^tps = ([\d.]+)/m,
    latency_average_ms: /^latency average = ([\d.]+) ms/m,
    latency_stddev_ms: /^latency stddev = ([\d.]+) ms/m,
    initial_connection_time_ms: /^initial connection time = ([\d.]+) ms/m,
    transactions: /^number of transactions actually processed: (\d+)/m,
    failed_transactions: /^number of failed transactions: (\d+)/m,
    clients: /^number of clients: (\d+)/m,
    threads: /^number of threads: (\d+)/m,
  };
  const figures: Record<string, number> = {};
  for (const [name, pattern] of Object.entries(patterns)) {
    const match = pattern.exec(stdout);
    if (match) figures[name] = Number(match[1]);
  }
  return figures;
}

export const postgresqlProfile: AppProfile = {
  name: 'postgresql',
  async provision({ durationSeconds }) {
    const programs = requirePrograms('postgresql');
    // The tools of the server's own version, beside its real file (Debian: /usr/lib/postgresql/<ver>/bin),
    // rather than /usr/bin's wrappers that pick a version for themselves.
    const postgres = realpathSync(programs.postgres!);
    const bin = dirname(postgres);
    const tool = (name: string, debianPackage: string) => (existsSync(join(bin, name)) ? join(bin, name) : requireProgram([name], debianPackage));
    const initdb = tool('initdb', 'postgresql');
    const pgCtl = tool('pg_ctl', 'postgresql');
    const isReady = tool('pg_isready', 'postgresql-client');
    const psql = tool('psql', 'postgresql-client');
    const pgbench = tool('pgbench', 'postgresql');
    const user = serviceUser('postgres', 'postgresql');
    const port = await freePort();
    const { dir, network, cleanup } = await makePrivateInstance('postgresql', user);
    try {
      const datadir = join(dir, 'data');
      const secret = newSecret();
      // Read by initdb (as postgres), then removed: the secret stays only in the clients' environment.
      const passwordFile = join(dir, 'superuser-password');
      writePrivateFile(passwordFile, `${secret}\n`, user);
      const initdbArgs = ['-D', datadir, '-A', 'scram-sha-256', `--pwfile=${passwordFile}`, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'];
      try {
        await runSetupStep(...user.argv(initdb, initdbArgs), dir);
      } finally {
        rmSync(passwordFile, { force: true });
      }
      const version = /\(PostgreSQL\) (\S+)/.exec((await runCommand(postgres, ['--version'])).stdout)?.[1] ?? null;

      // fsync off: a throw-away cluster; the benchmark measures the server, not the disk.
      const settings = ['fsync=off', 'full_page_writes=off', 'shared_buffers=32MB', 'max_connections=40', 'logging_collector=off'];
      const serverArgs = ['-D', datadir, '-k', dir, '-h', '127.0.0.1', '-p', String(port), ...settings.flatMap((s) => ['-c', s])];
      const overSocket = `-h ${shellQuote(dir)} -p ${port} -U postgres`;
      const sql = (...statements: string[]) =>
        `${psql} -X -A -t -v ON_ERROR_STOP=1 ${overSocket} -d postgres ${statements.map((s) => `-c ${shellQuote(s)}`).join(' ')}`;
      return {
        application: 'postgresql',
        description: `PostgreSQL under pgbench (TPC-B-like, scale 1, ${CLIENTS} clients over TCP)`,
        version,
        config: {
          port,
          dir,
          datadir,
          config_file: join(datadir, 'postgresql.conf'),
          socket_dir: dir,
          user: user.name,
          settings,
        },
        access: {
          network: 'private network namespace (127.0.0.1 inside it), unix socket in a 0700 directory',
          authentication: 'scram-sha-256 on TCP and the socket, with a password made for the run (the clients get it as PGPASSWORD)',
        },
        launchPrefix: network.launchPrefix(),
        clientEnv: { PGPASSWORD: secret },
        setupCommands: [user.run([initdb, ...initdbArgs].map(shellQuote).join(' '))],
        server: { command: `exec ${user.run([postgres, ...serverArgs].map(shellQuote).join(' '))}`, cwd: dir, output: 'capture' },
        readyCommand: `${isReady} -q ${overSocket} -d postgres`,
        readyTimeoutSeconds: 60,
        smoke: [
          { label: 'SELECT version()', command: sql('SELECT version()'), expectOutput: /^PostgreSQL \d+/m },
          { label: 'SELECT now()', command: sql('SELECT now()'), expectOutput: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m },
          {
            label: 'a small transaction',
            command: sql(
              'BEGIN',
              'CREATE TABLE smoke_greetings (id int PRIMARY KEY, word text)',
              "INSERT INTO smoke_greetings VALUES (1, 'hello'), (2, 'world')",
              'SELECT word FROM smoke_greetings ORDER BY id',
              'COMMIT',
            ),
            expectOutput: /^hello\nworld\nCOMMIT$/m,
          },
          { label: 'pgbench -i (initialise)', command: `${pgbench} -i -s 1 -h 127.0.0.1 -p ${port} -U postgres postgres` },
        ],
        benchmark: pgbenchStep(pgbench, port, durationSeconds),
        // Fast shutdown, waited for; as postgres, since pg_ctl refuses root.
        stopCommand: user.run([pgCtl, 'stop', '-D', datadir, '-m', 'fast', '-w', '-t', '30'].map(shellQuote).join(' ')),
        cleanup,
      };
    } catch (error) {
      cleanup();
      throw error;
    }
  },
};

/** pgbench for --duration: one -T run that ends before the deadline, or short runs repeated when --duration is too short. */
function pgbenchStep(pgbench: string, port: number, durationSeconds: number | null): BenchmarkStep {
  const seconds = durationSeconds === null ? UNBOUNDED_SECONDS : Math.floor(durationSeconds - PGBENCH_MARGIN_SECONDS);
  const length = seconds >= 1 ? `-T ${seconds}` : `-t ${SHORT_RUN_TRANSACTIONS}`;
  return {
    label: 'pgbench',
    command: `${pgbench} -h 127.0.0.1 -p ${port} -U postgres ${length} -c ${CLIENTS} -j ${THREADS} -P 1 postgres`,
    repeatUntilDeadline: seconds < 1,
    parse: parsePgbenchReport,
  };
}
