// MariaDB (the mysql application): a private mariadbd running as the mysql
// user, with its own option file, datadir (mariadb-install-db), socket, pid
// file and port; the mariadb client for the smoke test; mariadb-slap's mixed
// auto-generated load over TCP as the benchmark. Clients read no option file
// but the run's own, so /etc/mysql never matters.
// Locked to the run: the server listens in a network namespace of the run's
// own; root logs in only over the socket in the 0700 directory, as the OS
// root (unix_socket); the benchmark's TCP account has a password made for
// the run, handed to mariadb-slap in a 0600 option file.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../util/ports.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { makePrivateInstance, newSecret, shellQuote, writePrivateFile } from './instance-dir.js';
import type { AppProfile } from './profile.js';
import { requireProgram, runSetupStep, serviceUser } from './service-user.js';

const CLIENTS = 8;
const SLAP_ITERATIONS = 3;
const QUERIES_PER_ITERATION = 1600;
/** The account mariadb-slap uses over TCP; root has no TCP account at all. */
const BENCHMARK_USER = 'benchmark';

/** mariadb-slap's report: seconds to run all queries (average, min, max), clients, queries per client; queries/s derived. */
export function parseSlapReport(stdout: string): Record<string, number> {
  const figure = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    return match ? Number(match[1]) : null;
  };
  const figures: Record<string, number> = {};
  const found = {
    average_seconds: figure(/Average number of seconds to run all queries:\s*([\d.]+)/),
    minimum_seconds: figure(/Minimum number of seconds to run all queries:\s*([\d.]+)/),
    maximum_seconds: figure(/Maximum number of seconds to run all queries:\s*([\d.]+)/),
    clients: figure(/Number of clients running queries:\s*(\d+)/),
    queries_per_client: figure(/Average number of queries per client:\s*(\d+)/),
  };
  for (const [name, value] of Object.entries(found)) if (value !== null && Number.isFinite(value)) figures[name] = value;
  const { average_seconds: seconds, clients, queries_per_client: perClient } = figures;
  if (seconds && clients && perClient) figures.queries_per_second = (clients * perClient) / seconds;
  return figures;
}

export const mysqlProfile: AppProfile = {
  name: 'mysql',
  async provision() {
    const programs = requirePrograms('mysql');
    const admin = requireProgram(['mariadb-admin', 'mysqladmin'], 'mariadb-client');
    const installDb = requireProgram(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
    const user = serviceUser('mysql', 'mariadb-server');
    const port = await freePort();
    const { dir, network, cleanup } = await makePrivateInstance('mysql', user);
    try {
      const datadir = join(dir, 'data');
      const socket = join(dir, 'mysqld.sock');
      const optionFile = join(dir, 'my.cnf');
      // Small buffers: the instance starts in a second and the load is small. The log
      // is flushed once a second, not per commit: the benchmark measures the server, not the disk.
      // No log-error: the server's messages go to its stderr, kept in metadata.json.
      writeFileSync(
        optionFile,
        [
          '[mysqld]',
          `datadir=${datadir}`,
          `socket=${socket}`,
          `pid-file=${join(dir, 'mysqld.pid')}`,
          `tmpdir=${dir}`,
          `port=${port}`,
          'bind-address=127.0.0.1',
          'skip-name-resolve',
          'skip-log-bin',
          'innodb-buffer-pool-size=32M',
          'innodb-log-file-size=16M',
          'innodb-flush-log-at-trx-commit=2',
          'max-connections=64',
          'table-open-cache=400',
          '',
        ].join('\n'),
      );
      const secret = newSecret();
      // Read once by mariadb-install-db (as root), then removed: the secret stays only in clientOptions.
      const accountsFile = join(dir, 'accounts.sql');
      writePrivateFile(
        accountsFile,
        // The bootstrap server runs without grant tables until they are flushed in.
        'FLUSH PRIVILEGES;\n' +
          `CREATE USER '${BENCHMARK_USER}'@'127.0.0.1' IDENTIFIED BY '${secret}';\n` +
          `GRANT ALL PRIVILEGES ON *.* TO '${BENCHMARK_USER}'@'127.0.0.1';\n`,
      );
      const clientOptions = join(dir, 'client.cnf');
      writePrivateFile(clientOptions, ['[client]', `user=${BENCHMARK_USER}`, `password=${secret}`, ''].join('\n'));
      const installArgs = [
        `--defaults-file=${optionFile}`,
        `--user=${user.name}`,
        '--auth-root-authentication-method=socket',
        `--extra-file=${accountsFile}`,
        '--skip-test-db',
      ];
      try {
        await runSetupStep(installDb, installArgs, dir);
      } finally {
        rmSync(accountsFile, { force: true });
      }
      const version = /Ver\s+(\S+)/.exec((await runCommand(programs.mariadbd!, ['--version'])).stdout)?.[1] ?? null;

      const overSocket = `--no-defaults --socket=${shellQuote(socket)} --user=root`;
      const sql = (statements: string) => `${programs.mariadb} ${overSocket} --batch --skip-column-names -e ${shellQuote(statements)}`;
      return {
        application: 'mysql',
        description: `MariaDB under mariadb-slap (mixed auto-generated SQL, ${CLIENTS} clients over TCP)`,
        version,
        config: { port, dir, config_file: optionFile, datadir, socket, user: user.name, client_option_file: clientOptions },
        access: {
          network: 'private network namespace (127.0.0.1 inside it), unix socket in a 0700 directory',
          authentication: `root: unix_socket (the OS root, over the socket only); ${BENCHMARK_USER}@127.0.0.1: a password made for the run, in a 0600 option file`,
        },
        launchPrefix: network.launchPrefix(),
        setupCommands: [[installDb, ...installArgs].map(shellQuote).join(' ')],
        server: { command: `exec ${user.run(`${programs.mariadbd} --defaults-file=${shellQuote(optionFile)}`)}`, cwd: dir, output: 'capture' },
        readyCommand: `${admin} ${overSocket} ping`,
        readyTimeoutSeconds: 60,
        smoke: [
          { label: 'SHOW DATABASES', command: sql('SHOW DATABASES'), expectOutput: /^mysql$/m },
          { label: 'SELECT NOW()', command: sql('SELECT NOW()'), expectOutput: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m },
          {
            label: 'a small table written and read',
            command: sql(
              'CREATE DATABASE smoke; CREATE TABLE smoke.greetings (id INT PRIMARY KEY, word VARCHAR(16)); ' +
                "INSERT INTO smoke.greetings VALUES (1, 'hello'), (2, 'world'); " +
                'SELECT word FROM smoke.greetings ORDER BY id; DROP DATABASE smoke',
            ),
            expectOutput: /^hello\nworld$/m,
          },
        ],
        benchmark: {
          label: 'mariadb-slap',
          command:
            `${programs['mariadb-slap']} --defaults-file=${shellQuote(clientOptions)} --protocol=tcp --host=127.0.0.1 --port=${port} ` +
            `--concurrency=${CLIENTS} --iterations=${SLAP_ITERATIONS} --number-of-queries=${QUERIES_PER_ITERATION} ` +
            '--auto-generate-sql --auto-generate-sql-load-type=mixed',
          repeatUntilDeadline: true,
          parse: parseSlapReport,
        },
        // Waits until the server has removed its pid file, i.e. has shut down.
        stopCommand: `${admin} ${overSocket} shutdown`,
        cleanup,
      };
    } catch (error) {
      cleanup();
      throw error;
    }
  },
};
