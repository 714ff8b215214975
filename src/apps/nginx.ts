// Nginx: a master and two workers (dropping to www-data) with their own
// config, prefix, pid file, logs and temp paths, started in the foreground.
// Smoke: GET of a page and a static file; benchmark: wrk --latency, or ab
// when wrk is not installed.

import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { freePort } from '../util/ports.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { shellQuote } from './instance-dir.js';
import type { AppProfile, BenchmarkStep } from './profile.js';
import {
  BENCHMARK_CONNECTIONS,
  WORKER_USER,
  benchmarkSeconds,
  httpGetCommand,
  parseAbOutput,
  parseWrkOutput,
  provisionInWorkerDir,
  smokeSteps,
  stopAndWait,
  writeDocumentRoot,
  webBenchmarkFailure,
  WEB_SERVER_ACCESS,
} from './web-server.js';

const WORKER_PROCESSES = 2;
const WRK_THREADS = 2;
/** ab stops at whichever comes first, -t or -n: -n only has to be out of reach. */
const AB_REQUEST_CAP = 100_000_000;

// Every temp path is set: left at their defaults nginx would create them under /var/lib/nginx.
const TEMP_PATHS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

function nginxConfig(dir: string, port: number, documentRoot: string, pidFile: string): string {
  return [
    `user ${WORKER_USER};`,
    `worker_processes ${WORKER_PROCESSES};`,
    `pid ${pidFile};`,
    `lock_file ${join(dir, 'nginx.lock')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events {',
    '  worker_connections 1024;',
    '}',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    ...TEMP_PATHS.map((name) => `  ${name}_temp_path ${join(dir, `${name}_temp`)};`),
    '  types {',
    '    text/html html;',
    '    application/octet-stream bin;',
    '  }',
    '  default_type application/octet-stream;',
    '  sendfile on;',
    '  tcp_nopush on;',
    '  keepalive_timeout 65;',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    server_name localhost;',
    `    root ${documentRoot};`,
    '    index index.html;',
    '  }',
    '}',
    '',
  ].join('\n');
}

function benchmarkStep(program: string, seconds: number, url: string): BenchmarkStep {
  if (basename(program) === 'ab') {
    return {
      label: 'ab',
      command: `${program} -t ${seconds} -n ${AB_REQUEST_CAP} -c ${BENCHMARK_CONNECTIONS} -k ${url}`,
      repeatUntilDeadline: false,
      parse: parseAbOutput,
      failure: webBenchmarkFailure,
    };
  }
  return {
    label: 'wrk',
    command: `${program} -d ${seconds}s -c ${BENCHMARK_CONNECTIONS} -t ${WRK_THREADS} --latency ${url}`,
    repeatUntilDeadline: false,
    parse: parseWrkOutput,
    failure: webBenchmarkFailure,
  };
}

export const nginxProfile: AppProfile = {
  name: 'nginx',
  async provision({ durationSeconds }) {
    const programs = requirePrograms('nginx');
    const nginx = programs.nginx!;
    const port = await freePort();
    return provisionInWorkerDir('nginx', async (dir, cleanup) => {
      const root = writeDocumentRoot(dir, 'nginx');
      const pidFile = join(dir, 'nginx.pid');
      const config = join(dir, 'nginx.conf');
      writeFileSync(config, nginxConfig(dir, port, root.dir, pidFile));
      // nginx -v answers on stderr.
      const version = /nginx\/(\S+)/.exec((await runCommand(nginx, ['-v'])).stderr)?.[1] ?? null;
      const baseUrl = `http://127.0.0.1:${port}`;
      const nginxCommand = (args: string) => `${nginx} -p ${shellQuote(dir + '/')} -c ${shellQuote(config)} ${args}`;
      const benchmark = benchmarkStep(programs.wrk!, benchmarkSeconds(durationSeconds), baseUrl + root.pagePath);
      return {
        application: 'nginx',
        description: `Nginx HTTP server (master + ${WORKER_PROCESSES} workers) under ${benchmark.label}, ${BENCHMARK_CONNECTIONS} connections`,
        version,
        config: { port, dir, config_file: config, document_root: root.dir, pid_file: pidFile, worker_processes: WORKER_PROCESSES, user: WORKER_USER },
        access: WEB_SERVER_ACCESS,
        setupCommands: [],
        // In the foreground, so the traced pid stays the master.
        server: { command: `exec ${nginxCommand("-g 'daemon off; master_process on;'")}`, output: 'capture' },
        readyCommand: httpGetCommand(baseUrl + root.pagePath),
        readyTimeoutSeconds: 30,
        smoke: smokeSteps(baseUrl, root),
        benchmark,
        stopCommand: stopAndWait(nginxCommand('-s quit'), pidFile),
        cleanup,
      };
    });
  },
};
