// MariaDB end to end: a private mariadbd (as the mysql user) under mariadb-slap, traced.

import { ROOT, testNeeding } from './helpers/machine.js';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertIntrudersRefused, assertNamespaceGone, assertSecretNotOnCommandLines, type LiveInstance } from './helpers/intruder.js';
import type { TextEvent } from './helpers/cli.js';
import { requirePrograms } from '../src/apps/catalog.js';
import { requireProgram, serviceUser } from '../src/apps/service-user.js';

const SLAP_CLIENTS = 8;

const tidsDoing = (events: TextEvent[], name: string) => new Set(events.filter((e) => e.name === name).map((e) => e.tid));

testNeeding(ROOT)('mysql: mariadb-slap figures, server threads on their client sockets, run as mysql, no other user gets in, nothing left', async () => {
  requirePrograms('mysql');
  requireProgram(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
  const mysqlUser = serviceUser('mysql', 'mariadb-server');

  const before = snapshotLeftovers();
  const seen: { live?: LiveInstance; secret?: string } = {};
  const { metadata, events } = await runApp('mysql', 5, [], undefined, async (live, ended) => {
    seen.live = live;
    const socket = join(live.dir, 'mysqld.sock');
    const client = (...args: string[]) => ['mariadb', '--no-defaults', ...args, '-e', 'SELECT 1'];
    await assertIntrudersRefused(live, ended, true, (port) => {
      const tcp = ['--protocol=tcp', '-h', '127.0.0.1', '-P', String(port)];
      return {
        control: { argv: client(`--socket=${socket}`, '-u', 'root') },
        attempts: [
          { what: 'root over TCP from the host', argv: client(...tcp, '-u', 'root') },
          { what: 'root over the unix socket', argv: client(`--socket=${socket}`, '-u', 'root') },
          { what: 'root over TCP inside the namespace, no password', argv: client(...tcp, '-u', 'root'), insideNamespace: true },
          { what: 'the benchmark account inside the namespace, no password', argv: client(...tcp, '-u', 'benchmark'), insideNamespace: true },
        ],
      };
    });
    const options = join(live.dir, 'client.cnf');
    assert.equal(statSync(options).mode & 0o777, 0o600, 'the client option file is private');
    seen.secret = /^password=(.+)$/m.exec(readFileSync(options, 'utf8'))?.[1];
    assertSecretNotOnCommandLines(seen.secret!);
  });
  assert.equal(JSON.stringify(metadata).includes(seen.secret!), false, 'metadata.json holds the secret');
  assert.match(metadata.app.access?.authentication ?? '', /password made for the run/);

  const figures = metadata.benchmark?.figures ?? {};
  assert.ok((figures.queries_per_second ?? 0) > 0, `figures: ${JSON.stringify(figures)}`);
  assert.ok((figures.average_seconds ?? 0) > 0 && (figures.maximum_seconds ?? 0) >= (figures.minimum_seconds ?? 0));
  assert.equal(figures.clients, SLAP_CLIENTS);
  assert.ok((figures.queries_per_client ?? 0) > 0);
  assert.ok((metadata.benchmark?.iterations ?? 0) >= 1);
  assert.match(metadata.app.version ?? '', /^\d+\.\d+\.\d+-MariaDB/);
  assert.match(metadata.setup_commands[0] ?? '', /install-db --defaults-file=\S+my\.cnf --user=mysql /);
  assert.deepEqual(
    metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
    [['SHOW DATABASES', 0], ['SELECT NOW()', 0], ['a small table written and read', 0]],
  );

  // The traced pid drops to the mysql user, then becomes mariadbd itself.
  const server = metadata.scope.root_pids[0]!;
  const ofPid = events.filter((e) => e.pid === server);
  assert.ok(
    ofPid.some((e) => e.name === 'syscall_entry_setresuid' && e.payload.includes(`ruid = ${mysqlUser.uid},`)),
    'setpriv switched to the mysql user',
  );
  assert.ok(ofPid.some((e) => e.name === 'sched_process_exec' && /filename = "[^"]*\/(mariadbd|mysqld)"/.test(e.payload)));

  // A working server: threads of its one process, each created by it during the
  // run, accept the slap clients and answer them on their sockets.
  const ofServer = ofPid.filter((e) => e.procname === 'mariadbd');
  const threadsCreated = new Set(
    ofServer.filter((e) => e.name === 'sched_process_fork').map((e) => Number(/child_tid = (\d+)/.exec(e.payload)?.[1])),
  );
  const receiving = tidsDoing(ofServer, 'syscall_entry_recvfrom');
  const sending = tidsDoing(ofServer, 'syscall_entry_sendto');
  assert.ok(receiving.size >= SLAP_CLIENTS, `${receiving.size} server threads read client requests`);
  assert.ok(sending.size >= SLAP_CLIENTS, `${sending.size} server threads sent replies`);
  for (const tid of receiving) assert.ok(threadsCreated.has(tid), `thread ${tid} was created by the server`);
  const count = (name: string) => ofServer.filter((e) => e.name === name).length;
  assert.ok(count('syscall_entry_accept4') + count('syscall_entry_accept') >= SLAP_CLIENTS, 'accepts the slap clients');
  assert.ok(count('syscall_entry_recvfrom') > 1000 && count('syscall_entry_sendto') > 1000, 'reads queries, writes results');
  assert.ok(count('syscall_entry_poll') + count('syscall_entry_ppoll') > 0, 'waits on its listening sockets');
  assert.equal(
    events.filter((e) => e.procname === 'mariadb-slap' && e.name.startsWith('syscall_')).length,
    0,
    'the benchmark client is not traced',
  );

  assertNothingLeftBehind(before, metadata);
  assertNamespaceGone(seen.live!);
});
