// The applications benchmark-tracer knows, with the programs each needs and
// the Debian packages that bring them. doctor and --list read this.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../util/executables.js';
import { UserError } from '../util/errors.js';

export interface ProgramRequirement {
  /** Executable names; the first one found on PATH (or /usr/sbin) counts. */
  names: string[];
  debianPackage: string;
  role: 'server' | 'client' | 'benchmark' | 'tool';
  /** Directories off PATH where Debian installs it; `*` matches one version directory. */
  extraDirs?: string[];
}

export interface ApplicationEntry {
  name: string;
  description: string;
  /** What is traced, in words for --list. */
  server: string;
  /** What drives it, in words for --list. */
  workload: string;
  programs: ProgramRequirement[];
}

export const APPLICATIONS: ApplicationEntry[] = [
  {
    name: 'redis',
    description: 'Redis in-memory store',
    server: 'redis-server with its own config, port and dir',
    workload: 'redis-cli PING/SET/GET/DEL, then redis-benchmark SET+GET, 50 clients',
    programs: [
      { names: ['redis-server'], debianPackage: 'redis-server', role: 'server' },
      { names: ['redis-cli'], debianPackage: 'redis-tools', role: 'client' },
      { names: ['redis-benchmark'], debianPackage: 'redis-tools', role: 'benchmark' },
      { names: ['ip'], debianPackage: 'iproute2', role: 'tool' },
      { names: ['unshare'], debianPackage: 'util-linux', role: 'tool' },
      { names: ['nsenter'], debianPackage: 'util-linux', role: 'tool' },
    ],
  },
  {
    name: 'apache',
    description: 'Apache HTTP server',
    server: 'apache2 -DFOREGROUND with its own config and document root',
    workload: 'GET of a page and a static file, then ab',
    programs: [
      { names: ['apache2'], debianPackage: 'apache2', role: 'server' },
      { names: ['ab'], debianPackage: 'apache2-utils', role: 'benchmark' },
    ],
  },
  {
    name: 'nginx',
    description: 'Nginx HTTP server',
    server: 'nginx (master + workers) with its own config and prefix',
    workload: 'GET of a page and a static file, then wrk (or ab)',
    programs: [
      { names: ['nginx'], debianPackage: 'nginx', role: 'server' },
      { names: ['wrk', 'ab'], debianPackage: 'wrk', role: 'benchmark' },
    ],
  },
  {
    name: 'mysql',
    description: 'MariaDB (MySQL) database server',
    server: 'mariadbd as mysql, private datadir, socket and port',
    workload: 'SHOW DATABASES, SELECT NOW(), a small table, then mysqlslap',
    programs: [
      { names: ['mariadbd', 'mysqld'], debianPackage: 'mariadb-server', role: 'server' },
      { names: ['mariadb', 'mysql'], debianPackage: 'mariadb-client', role: 'client' },
      { names: ['mariadb-slap', 'mysqlslap'], debianPackage: 'mariadb-client', role: 'benchmark' },
      { names: ['mariadb-install-db', 'mysql_install_db'], debianPackage: 'mariadb-server', role: 'tool' },
      { names: ['mariadb-admin', 'mysqladmin'], debianPackage: 'mariadb-client', role: 'tool' },
      { names: ['setpriv'], debianPackage: 'util-linux', role: 'tool' },
      { names: ['ip'], debianPackage: 'iproute2', role: 'tool' },
      { names: ['unshare'], debianPackage: 'util-linux', role: 'tool' },
      { names: ['nsenter'], debianPackage: 'util-linux', role: 'tool' },
    ],
  },
  {
    name: 'postgresql',
    description: 'PostgreSQL database server',
    server: 'postgres as postgres, private cluster from initdb',
    workload: 'SELECT version(), now(), a transaction, then pgbench',
    programs: [
      { names: ['postgres'], debianPackage: 'postgresql', role: 'server', extraDirs: ['/usr/lib/postgresql/*/bin'] },
      { names: ['psql'], debianPackage: 'postgresql-client', role: 'client' },
      { names: ['pgbench'], debianPackage: 'postgresql', role: 'benchmark', extraDirs: ['/usr/lib/postgresql/*/bin'] },
      { names: ['initdb'], debianPackage: 'postgresql', role: 'tool', extraDirs: ['/usr/lib/postgresql/*/bin'] },
      { names: ['pg_ctl'], debianPackage: 'postgresql', role: 'tool', extraDirs: ['/usr/lib/postgresql/*/bin'] },
      { names: ['pg_isready'], debianPackage: 'postgresql-client', role: 'tool' },
      { names: ['setpriv'], debianPackage: 'util-linux', role: 'tool' },
      { names: ['ip'], debianPackage: 'iproute2', role: 'tool' },
      { names: ['unshare'], debianPackage: 'util-linux', role: 'tool' },
      { names: ['nsenter'], debianPackage: 'util-linux', role: 'tool' },
    ],
  },
  {
    name: 'docker',
    description: 'Docker engine and containers from a local image',
    server: 'its own dockerd (own data-root, exec-root, socket)',
    workload: 'docker version/images/ps, then container create/start/exec/stop/rm',
    programs: [
      { names: ['dockerd'], debianPackage: 'docker.io', role: 'server' },
      { names: ['docker'], debianPackage: 'docker.io', role: 'client' },
      { names: ['busybox'], debianPackage: 'busybox-static', role: 'benchmark' },
    ],
  },
];

function expandDir(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return [pattern];
  const parent = pattern.slice(0, star);
  const rest = pattern.slice(star + 1);
  try {
    return readdirSync(parent)
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
      .map((entry) => join(parent, entry) + rest);
  } catch {
    return [];
  }
}

/** The path of the first of the program's names that is installed, or null. */
export function findProgram(program: ProgramRequirement): string | null {
  for (const name of program.names) {
    const onPath = findExecutable(name);
    if (onPath) return onPath;
    for (const dir of (program.extraDirs ?? []).flatMap(expandDir)) {
      const found = findExecutable(join(dir, name));
      if (found) return found;
    }
  }
  return null;
}

/**
 * The installed path of each program an application needs, by its first
 * name; a missing one is a one-line error naming the Debian package.
 */
export function requirePrograms(appName: string): Record<string, string> {
  const entry = APPLICATIONS.find((a) => a.name === appName);
  if (!entry) throw new Error(`internal: no catalog entry for ${appName}`);
  const paths: Record<string, string> = {};
  const missing: ProgramRequirement[] = [];
  for (const program of entry.programs) {
    const path = findProgram(program);
    if (path) paths[program.names[0]!] = path;
    else missing.push(program);
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((m) => m.debianPackage))].join(' ');
    throw new UserError(`${appName} needs ${missing.map((m) => m.names.join(' or ')).join(', ')}: apt-get install ${packages}`);
  }
  return paths;
}
