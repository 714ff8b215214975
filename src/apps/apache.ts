// Apache: Debian's apache2 started straight (no apache2ctl, no systemd) in the
// foreground with its own minimal config: mpm_event, a private port, server
// root, document root, pid file, logs and runtime dir; children drop to
// www-data. Smoke: GET of a page and a static file; benchmark: ab -k.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../util/ports.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { shellQuote } from './instance-dir.js';
import type { AppProfile } from './profile.js';
import {
  BENCHMARK_CONNECTIONS,
  WORKER_USER,
  benchmarkSeconds,
  httpGetCommand,
  parseAbOutput,
  provisionInWorkerDir,
  smokeSteps,
  stopAndWait,
  writeDocumentRoot,
  webBenchmarkFailure,
  WEB_SERVER_ACCESS,
} from './web-server.js';

const MODULES_DIR = '/usr/lib/apache2/modules';
const MODULES = ['mpm_event', 'authz_core', 'dir', 'mime'];
/** Under the default ThreadLimit of 64. */
const THREADS_PER_CHILD = BENCHMARK_CONNECTIONS;
/** ab stops at whichever comes first, -t or -n: -n only has to be out of reach. */
const AB_REQUEST_CAP = 100_000_000;

function apacheConfig(dir: string, port: number, documentRoot: string, runtimeDir: string, pidFile: string): string {
  return [
    `ServerRoot ${dir}`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${port}`,
    ...MODULES.map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`),
    `User ${WORKER_USER}`,
    `Group ${WORKER_USER}`,
    `PidFile ${pidFile}`,
    `DefaultRuntimeDir ${runtimeDir}`,
    `Mutex file:${runtimeDir} default`,
    `ErrorLog ${join(dir, 'error.log')}`,
    'LogLevel warn',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
    `CustomLog ${join(dir, 'access.log')} common`,
    // Two children forked by the master, each with a thread per benchmark
    // connection: when every thread is busy mpm_event closes idle keep-alive
    // connections, and ab counts the request it had just sent on one as failed.
    'StartServers 2',
    'ServerLimit 2',
    `ThreadsPerChild ${THREADS_PER_CHILD}`,
    `MaxRequestWorkers ${2 * THREADS_PER_CHILD}`,
    `MinSpareThreads ${THREADS_PER_CHILD}`,
    `MaxSpareThreads ${2 * THREADS_PER_CHILD}`,
    'KeepAlive On',
    'MaxKeepAliveRequests 100',
    'KeepAliveTimeout 5',
    'GracefulShutdownTimeout 3',
    'EnableSendfile On',
    // No /etc/mime.types: the two types served here are all it needs.
    'TypesConfig /dev/null',
    'AddType text/html .html',
    'AddType application/octet-stream .bin',
    `DocumentRoot ${documentRoot}`,
    'DirectoryIndex index.html',
    '<Directory />',
    '  AllowOverride None',
    '  Require all denied',
    '</Directory>',
    `<Directory ${documentRoot}>`,
    '  Require all granted',
    '</Directory>',
    '',
  ].join('\n');
}

export const apacheProfile: AppProfile = {
  name: 'apache',
  async provision({ durationSeconds }) {
    const programs = requirePrograms('apache');
    const apache2 = programs.apache2!;
    const port = await freePort();
    return provisionInWorkerDir('apache', async (dir, cleanup) => {
      const root = writeDocumentRoot(dir, 'apache');
      const runtimeDir = join(dir, 'run');
      mkdirSync(runtimeDir);
      const pidFile = join(runtimeDir, 'apache2.pid');
      const config = join(dir, 'apache2.conf');
      writeFileSync(config, apacheConfig(dir, port, root.dir, runtimeDir, pidFile));
      const version = /Apache\/(\S+)/.exec((await runCommand(apache2, ['-v'])).stdout)?.[1] ?? null;
      const baseUrl = `http://127.0.0.1:${port}`;
      const apacheCommand = (args: string) => `${apache2} -d ${shellQuote(dir)} -f ${shellQuote(config)} ${args}`;
      return {
        application: 'apache',
        description: `Apache HTTP server (mpm_event) under ab -k, ${BENCHMARK_CONNECTIONS} connections`,
        version,
        config: { port, dir, config_file: config, document_root: root.dir, pid_file: pidFile, mpm: 'event', modules: MODULES, user: WORKER_USER },
        access: WEB_SERVER_ACCESS,
        setupCommands: [],
        // In the foreground, so the traced pid stays the master.
        server: { command: `exec ${apacheCommand('-DFOREGROUND')}`, output: 'capture' },
        readyCommand: httpGetCommand(baseUrl + root.pagePath),
        readyTimeoutSeconds: 30,
        smoke: smokeSteps(baseUrl, root),
        benchmark: {
          label: 'ab',
          command: `${programs.ab} -t ${benchmarkSeconds(durationSeconds)} -n ${AB_REQUEST_CAP} -c ${BENCHMARK_CONNECTIONS} -k ${baseUrl}${root.pagePath}`,
          repeatUntilDeadline: false,
          parse: parseAbOutput,
          failure: webBenchmarkFailure,
        },
        stopCommand: stopAndWait(apacheCommand('-k graceful-stop'), pidFile),
        cleanup,
      };
    });
  },
};
