// Redis: a private redis-server (own config, dir, port, no persistence),
// redis-cli for the smoke test, redis-benchmark SET/GET with 50 clients.
// The server and its clients run in a network namespace of the run's own:
// no other user of the machine can reach its port. No password on top:
// redis-benchmark takes one only as -a on its command line, where ps shows
// it to every user.

import { join } from 'node:path';
import { freePort } from '../util/ports.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { makePrivateInstance, shellQuote, writePrivateFile } from './instance-dir.js';
import type { AppProfile } from './profile.js';

const CLIENTS = 50;
// Short iterations, repeated until --duration: a cut one loses little.
const REQUESTS_PER_ITERATION = 20_000;

/** redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms" */
export function parseRedisBenchmarkCsv(stdout: string): Record<string, number> {
  const figures: Record<string, number> = {};
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => l.startsWith('"test"'));
  if (!header) return figures;
  const columns = header.split(',').map((c) => c.replaceAll('"', ''));
  for (const line of lines) {
    if (line === header) continue;
    const cells = line.split(',').map((c) => c.replaceAll('"', ''));
    const test = cells[0]?.toLowerCase();
    if (!test) continue;
    columns.slice(1).forEach((column, i) => {
      const value = Number(cells[i + 1]);
      if (Number.isFinite(value)) figures[`${test}_${column}`] = value;
    });
  }
  return figures;
}

export const redisProfile: AppProfile = {
  name: 'redis',
  async provision() {
    const programs = requirePrograms('redis');
    const cli = programs['redis-cli']!;
    const port = await freePort();
    const { dir, network, cleanup } = await makePrivateInstance('redis');
    const config = join(dir, 'redis.conf');
    writePrivateFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode yes',
        `dir ${dir}`,
        `pidfile ${join(dir, 'redis.pid')}`,
        `unixsocket ${join(dir, 'redis.sock')}`,
        'unixsocketperm 700',
        `logfile ${join(dir, 'redis.log')}`,
        'daemonize no',
        'save ""',
        'appendonly no',
        '',
      ].join('\n'),
    );
    const version = /v=(\S+)/.exec((await runCommand(programs['redis-server']!, ['--version'])).stdout)?.[1] ?? null;
    const redisCli = (args: string) => `${cli} -h 127.0.0.1 -p ${port} ${args}`;
    return {
      application: 'redis',
      description: 'Redis in-memory store under redis-benchmark (SET and GET, 50 clients)',
      version,
      config: { port, dir, config_file: config },
      access: {
        network: 'private network namespace (127.0.0.1 inside it), unix socket in a 0700 directory',
        authentication: null,
        note: 'redis-benchmark takes a password only on its command line, which every user sees in ps; the namespace is the lock',
      },
      launchPrefix: network.launchPrefix(),
      setupCommands: [],
      server: { command: `exec ${programs['redis-server']} ${shellQuote(config)}`, output: 'capture' },
      readyCommand: `${redisCli('ping')} | grep -q PONG`,
      readyTimeoutSeconds: 30,
      smoke: [
        { label: 'PING', command: redisCli('PING') },
        { label: 'SET', command: redisCli('SET benchmark-tracer:smoke hello') },
        { label: 'GET', command: redisCli('GET benchmark-tracer:smoke'), expectOutput: /^hello$/m },
        { label: 'DEL', command: redisCli('DEL benchmark-tracer:smoke') },
      ],
      benchmark: {
        label: 'redis-benchmark',
        command: `${programs['redis-benchmark']} -h 127.0.0.1 -p ${port} -t set,get -c ${CLIENTS} -n ${REQUESTS_PER_ITERATION} --csv`,
        repeatUntilDeadline: true,
        parse: parseRedisBenchmarkCsv,
      },
      stopCommand: redisCli('SHUTDOWN NOSAVE'),
      cleanup,
    };
  },
};
