// PostgreSQL end to end: a private cluster's postmaster (as postgres) under
// pgbench, traced; another PostgreSQL on the machine keeps running untouched.

import { ROOT, testNeeding } from './helpers/machine.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertIntrudersRefused, assertNamespaceGone, assertSecretNotOnCommandLines, environmentValue, type LiveInstance } from './helpers/intruder.js';
import { requirePrograms } from '../src/apps/catalog.js';
import { serviceUser } from '../src/apps/service-user.js';
import { freePort } from '../src/util/ports.js';

const PGBENCH_CLIENTS = 8;

testNeeding(ROOT)('postgresql: pgbench figures, a backend forked per connection, no other user gets in, nothing left; another PostgreSQL keeps running', async () => {
  const programs = requirePrograms('postgresql');
  const bin = dirname(realpathSync(programs.postgres!));
  const postgresUser = serviceUser('postgres', 'postgresql');

  // An unrelated cluster, standing for the machine's own: it must not be touched.
  const otherDir = mkdtempSync(join(tmpdir(), 'bt-other-postgresql-'));
  chownSync(otherDir, postgresUser.uid, postgresUser.gid);
  const otherPort = await freePort();
  const asPostgres = (program: string, args: string[]) => {
    const [file, argv] = postgresUser.argv(join(bin, program), args);
    return { file, argv };
  };
  const initdb = asPostgres('initdb', ['-D', join(otherDir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  assert.equal(spawnSync(initdb.file, initdb.argv, { cwd: otherDir, stdio: 'ignore' }).status, 0, 'initdb of the other cluster');
  const postmaster = asPostgres('postgres', ['-D', join(otherDir, 'data'), '-k', otherDir, '-h', '127.0.0.1', '-p', String(otherPort)]);
  const other = spawn(postmaster.file, postmaster.argv, { cwd: otherDir, stdio: 'ignore' });
  const otherExited = new Promise((resolve) => other.once('exit', resolve));
  const psqlOther = (sql: string) =>
    spawnSync(join(bin, 'psql'), ['-X', '-A', '-t', '-h', otherDir, '-p', String(otherPort), '-U', 'postgres', '-d', 'postgres', '-c', sql], {
      encoding: 'utf8',
    });
  try {
    const ready = () => spawnSync(join(bin, 'pg_isready'), ['-q', '-h', otherDir, '-p', String(otherPort), '-U', 'postgres']).status === 0;
    for (let i = 0; i < 100 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(ready(), 'the other PostgreSQL answers');
    assert.equal(psqlOther("CREATE TABLE kept (word text); INSERT INTO kept VALUES ('untouched')").status, 0);
    const startedAt = psqlOther('SELECT pg_postmaster_start_time()').stdout.trim();

    const before = snapshotLeftovers();
    const seen: { live?: LiveInstance; secret?: string } = {};
    const { metadata, events } = await runApp('postgresql', 5, [], undefined, async (live, ended) => {
      seen.live = live;
      const psql = (...args: string[]) => [join(bin, 'psql'), '-X', '-w', ...args, '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT 1'];
      await assertIntrudersRefused(live, ended, true, (port) => {
        const tcp = ['-h', '127.0.0.1', '-p', String(port)];
        return {
          control: { argv: [join(bin, 'pg_isready'), '-q', ...tcp] },
          attempts: [
            { what: 'psql over TCP from the host', argv: psql(...tcp) },
            { what: 'psql over the unix socket', argv: psql('-h', live.dir, '-p', String(port)) },
            { what: 'psql over TCP inside the namespace, no password', argv: psql(...tcp), insideNamespace: true },
          ],
        };
      });
      // The clients have it in their environment, never on their command line.
      for (let i = 0; i < 100 && !seen.secret && !ended(); i++) {
        seen.secret = environmentValue('PGPASSWORD') ?? undefined;
        if (!seen.secret) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(seen.secret, 'no client of the run had PGPASSWORD');
      assertSecretNotOnCommandLines(seen.secret);
    });
    assert.equal(JSON.stringify(metadata).includes(seen.secret!), false, 'metadata.json holds the secret');
    assert.match(metadata.app.access?.authentication ?? '', /scram-sha-256/);

    const figures = metadata.benchmark?.figures ?? {};
    assert.ok((figures.tps ?? 0) > 0 && (figures.transactions ?? 0) > 0, `figures: ${JSON.stringify(figures)}`);
    assert.ok((figures.latency_average_ms ?? 0) > 0);
    assert.equal(figures.failed_transactions, 0);
    assert.equal(figures.clients, PGBENCH_CLIENTS);
    assert.match(metadata.app.version ?? '', /^\d+\.\d+/);
    assert.match(metadata.setup_commands[0] ?? '', /setpriv .*\/initdb -D \S+ -A scram-sha-256 --pwfile=\S+ -U postgres/);
    assert.deepEqual(
      metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
      [['SELECT version()', 0], ['SELECT now()', 0], ['a small transaction', 0], ['pgbench -i (initialise)', 0]],
    );

    // The traced pid drops to the postgres user, then becomes the postmaster itself.
    const server = metadata.scope.root_pids[0]!;
    const ofServer = events.filter((e) => e.pid === server);
    assert.ok(ofServer.some((e) => e.name === 'syscall_entry_setresuid' && e.payload.includes(`ruid = ${postgresUser.uid},`)));
    assert.ok(ofServer.some((e) => e.name === 'sched_process_exec' && /filename = "[^"]*\/postgres"/.test(e.payload)));
    assert.ok(ofServer.some((e) => e.procname === 'postgres' && /^syscall_entry_accept4?$/.test(e.name)), 'the postmaster accepts');

    // One backend forked by the postmaster per connection: the pgbench clients'
    // backends read queries and send results on their sockets.
    const children = new Set(
      ofServer
        .filter((e) => e.name === 'sched_process_fork' && e.procname === 'postgres' && e.payload.includes(`parent_tid = ${server},`))
        .map((e) => Number(/child_tid = (\d+)/.exec(e.payload)?.[1])),
    );
    const backends = [...children].filter((child) => {
      const calls = (name: string) => events.filter((e) => e.pid === child && e.procname === 'postgres' && e.name === name).length;
      return calls('syscall_entry_recvfrom') > 100 && calls('syscall_entry_sendto') > 100;
    });
    assert.ok(backends.length >= PGBENCH_CLIENTS, `${backends.length} backends of ${children.size} forked children served clients`);
    assert.ok(!backends.includes(server));
    assert.equal(events.filter((e) => e.procname === 'pgbench' && e.name.startsWith('syscall_')).length, 0, 'the benchmark client is not traced');

    assertNothingLeftBehind(before, metadata);
    assertNamespaceGone(seen.live!);

    // The other cluster: same postmaster, never restarted, its data intact.
    assert.doesNotThrow(() => process.kill(other.pid!, 0), 'the other postmaster is alive');
    assert.equal(Number(readFileSync(join(otherDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]), other.pid);
    assert.equal(psqlOther('SELECT pg_postmaster_start_time()').stdout.trim(), startedAt);
    assert.equal(psqlOther('SELECT word FROM kept').stdout.trim(), 'untouched');
  } finally {
    other.kill('SIGTERM');
    await otherExited;
    rmSync(otherDir, { recursive: true, force: true });
  }
});
