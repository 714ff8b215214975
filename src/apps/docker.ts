// Docker: a private dockerd (own config file, data root, exec root, socket,
// pid file, cgroup parent; no bridge, no iptables) that starts its own
// containerd. No registry is ever used: the image is imported from a tarball
// of a root filesystem holding Debian's static busybox. The benchmark is the
// lifecycle of one container (create, start, exec, stop, rm), repeated.
//
// dockerd and containerd write a few things outside their roots that no flag
// moves (/run/docker/plugins, the shims' /run/containerd/s, containerd's
// /opt/containerd, the cgroups of the containers): cleanup removes what this
// instance created there, and only that.

import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { sleepSync } from '../util/clock.js';
import { allPids, isAlive, isUnder, mountPoints, readStat } from '../util/procfs.js';
import { recordLeftover, registerReaper, type CustomLeftover } from '../util/leftovers.js';
import { runCommand } from '../util/run-command.js';
import { requirePrograms } from './catalog.js';
import { makeInstanceDir, shellQuote } from './instance-dir.js';
import type { AppProfile } from './profile.js';
import { runSetupStep } from './service-user.js';

const IMAGE = 'benchmark-tracer/busybox:local';
const APPLETS = ['sh', 'ls', 'echo', 'cat', 'sleep', 'true'];
/** The container's main process ends at once on SIGTERM, so `docker stop` does not wait for its timeout. */
const CONTAINER_MAIN = `sh -c 'trap "exit 0" TERM; sleep 600 & wait'`;
const EXEC_COMMAND = `sh -c 'echo hi; ls /'`;
const DOCKERD_STOP_WAIT_TENTHS = 45;

/** Directories outside the instance that dockerd, containerd or the shims create when missing; children first. */
const HOST_DIRS = [
  '/run/docker/plugins',
  '/run/docker',
  '/run/containerd/s',
  '/run/containerd',
  '/opt/containerd/bin',
  '/opt/containerd/lib',
  '/opt/containerd',
];

const PHASES = ['create', 'start', 'exec', 'stop', 'rm'] as const;

/** One lifecycle's output: "<phase>_us=N" per phase finished, then "lifecycle_us=N" (not when cut at the deadline). */
export function parseLifecycle(stdout: string): Record<string, number> {
  const micros = (key: string) => {
    const match = new RegExp(`^${key}_us=(\\d+)$`, 'm').exec(stdout);
    return match ? Number(match[1]) : null;
  };
  const figures: Record<string, number> = {};
  for (const phase of PHASES) {
    const us = micros(phase);
    if (us !== null) figures[`${phase}_ms`] = us / 1000;
  }
  const total = micros('lifecycle');
  if (total !== null && total > 0) {
    figures.seconds_per_lifecycle = total / 1e6;
    figures.containers_per_second = 1e6 / total;
  }
  return figures;
}

/** A dynamically linked busybox cannot run in an image that holds nothing else. */
function isStaticElf(path: string): boolean {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 1, 4) !== 'ELF') return false;
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = is64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little);
  const phentsize = view.getUint16(is64 ? 54 : 42, little);
  const phnum = view.getUint16(is64 ? 56 : 44, little);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    if (view.getUint32(phoff + i * phentsize, little) === PT_INTERP) return false;
  }
  return true;
}

/** Processes of this instance: they name its directory (dockerd, containerd, shims) or live in its cgroups (containers). */
function instancePids(dir: string, cgroupName: string): number[] {
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').some((arg) => arg.includes(dir))) return true;
      return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').some((line) => line.includes(`/${cgroupName}/`) || line.endsWith(`/${cgroupName}`));
    } catch {
      return false;
    }
  });
}

function removeCgroupTree(path: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const child of entries) removeCgroupTree(join(path, child));
  try {
    rmdirSync(path);
  } catch {
    // Still populated: a process outlived SIGKILL's wait; nothing more to do safely.
  }
}

/** Kills what is left of the instance, unmounts it, removes its cgroups, its directory and the host dirs it created. */
function cleanupInstance(dir: string, cgroupName: string, createdHostDirs: string[]): void {
  const leftover = () => instancePids(dir, cgroupName).filter((pid) => isAlive(pid) && readStat(pid)?.state !== 'Z');
  for (let attempt = 0; attempt < 30 && leftover().length > 0; attempt++) {
    for (const pid of leftover()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    sleepSync(100);
  }
  for (let pass = 0; pass < 3; pass++) {
    const ours = mountPoints().filter((m) => isUnder(m.point, dir)).map((m) => m.point);
    if (ours.length === 0) break;
    for (const point of ours.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
  }
  // A mount that would not go could expose someone else's files to the recursive removal.
  if (!mountPoints().some((m) => isUnder(m.point, dir))) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Left for the user to see; cleanup never throws.
    }
  }
  for (const hierarchy of mountPoints().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2')) {
    removeCgroupTree(join(hierarchy.point, cgroupName));
  }
  for (const hostDir of createdHostDirs) {
    try {
      rmdirSync(hostDir);
    } catch {
      // Not empty (someone else's now) or already gone.
    }
  }
}

/** What a killed run's dockerd left (shims, mounts, cgroups, host dirs): the next run undoes it. */
const LEFTOVER_KIND = 'docker instance';
registerReaper(LEFTOVER_KIND, (leftover: CustomLeftover) =>
  cleanupInstance(String(leftover.dir), String(leftover.cgroupName), (leftover.createdHostDirs as string[] | undefined) ?? []),
);

export const dockerProfile: AppProfile = {
  name: 'docker',
  async provision() {
    const programs = requirePrograms('docker');
    const busybox = programs.busybox!;
    if (!isStaticElf(busybox)) throw new UserError(`${busybox} is dynamically linked and cannot run alone in an image: apt-get install busybox-static`);

    const { dir } = makeInstanceDir('docker');
    const cgroupName = basename(dir);
    const hostDirsBefore = HOST_DIRS.filter((d) => existsSync(d));
    const createdHostDirs = HOST_DIRS.filter((d) => !hostDirsBefore.includes(d));
    let cleaned = false;
    const forgetLeftover = recordLeftover({ kind: LEFTOVER_KIND, dir, cgroupName, createdHostDirs });
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      forgetLeftover();
      try {
        cleanupInstance(dir, cgroupName, createdHostDirs);
      } catch {
        // Cleanup never throws; what could not be removed stays for the user to see.
      }
    };

    try {
      const socket = join(dir, 'docker.sock');
      const pidFile = join(dir, 'docker.pid');
      const configFile = join(dir, 'daemon.json');
      const daemonConfig = {
        'data-root': join(dir, 'data'),
        'exec-root': join(dir, 'run'),
        pidfile: pidFile,
        hosts: [`unix://${socket}`],
        // Where dockerd would otherwise write /etc/docker/key.json.
        'deprecated-key-path': join(dir, 'key.json'),
        bridge: 'none',
        iptables: false,
        ip6tables: false,
        'ip-forward': false,
        'ip-masq': false,
        'userland-proxy': false,
        'registry-mirrors': [],
        'live-restore': false,
        'log-level': 'warn',
        // cgroupfs whatever the host's init, so the cgroups are where cleanup looks.
        'exec-opts': ['native.cgroupdriver=cgroupfs'],
        'cgroup-parent': `/${cgroupName}`,
        'shutdown-timeout': 2,
      };
      writeFileSync(configFile, `${JSON.stringify(daemonConfig, null, 2)}\n`);

      const rootfs = join(dir, 'rootfs');
      const tarball = join(dir, 'rootfs.tar');
      const q = shellQuote;
      const buildRootfs = [
        `mkdir -p ${['bin', 'dev', 'etc', 'proc', 'sys', 'tmp'].map((d) => q(join(rootfs, d))).join(' ')}`,
        `cp ${q(busybox)} ${q(join(rootfs, 'bin/busybox'))}`,
        ...APPLETS.map((applet) => `ln -s busybox ${q(join(rootfs, 'bin', applet))}`),
        `tar -C ${q(rootfs)} -cf ${q(tarball)} .`,
      ].join(' && ');
      await runSetupStep('/bin/sh', ['-c', buildRootfs], dir);

      // The client's own config dir keeps a user's ~/.docker (contexts, credential helpers) out of the run.
      const docker = `DOCKER_CONFIG=${q(join(dir, 'client'))} ${q(programs.docker!)} -H unix://${q(socket)}`;
      const importImage = `${docker} import ${q(tarball)} ${IMAGE}`;
      const version = /version ([^,\s]+)/.exec((await runCommand(programs.dockerd!, ['--version'])).stdout)?.[1] ?? null;

      const lifecycle = [
        'set -u',
        'lap() { now=$(date +%s%N); echo "$1_us=$(( (now - t) / 1000 ))"; t=$now; }',
        `fail() { echo "docker $1 failed" >&2; [ -z "$id" ] || ${docker} rm -f "$id" >/dev/null 2>&1; exit 1; }`,
        'id=; begin=$(date +%s%N); t=$begin',
        `id=$(${docker} create --network none --stop-timeout 1 ${IMAGE} ${CONTAINER_MAIN}) || fail create`,
        'lap create',
        `${docker} start "$id" >/dev/null || fail start`,
        'lap start',
        `${docker} exec "$id" ${EXEC_COMMAND} | grep -x hi >/dev/null || fail exec`,
        'lap exec',
        `${docker} stop -t 1 "$id" >/dev/null || fail stop`,
        'lap stop',
        `${docker} rm "$id" >/dev/null || fail rm`,
        'lap rm',
        'echo "lifecycle_us=$(( (t - begin) / 1000 ))"',
      ].join('\n');

      // Containers go first, while dockerd still answers: then no shim outlives it. dockerd then
      // stops its containerd; when that takes longer than the wait here, the session's own
      // SIGTERM to the tree finds nothing left that needs dockerd.
      const stop = [
        `ids=$(${docker} ps -aq) || exit 1`,
        `[ -z "$ids" ] || ${docker} rm -f $ids >/dev/null || exit 1`,
        `pid=$(cat ${q(pidFile)}) && kill -TERM "$pid" || exit 1`,
        `for _ in $(seq ${DOCKERD_STOP_WAIT_TENTHS}); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done`,
        `echo "dockerd still stopping after ${DOCKERD_STOP_WAIT_TENTHS / 10} s"`,
      ].join('\n');

      return {
        application: 'docker',
        description: 'Docker engine (own dockerd and containerd) under a container lifecycle loop: create, start, exec, stop, rm',
        version,
        config: {
          dir,
          config_file: configFile,
          daemon: daemonConfig,
          socket,
          image: IMAGE,
          image_rootfs: `${busybox} with ${APPLETS.join(', ')}`,
          client: programs.docker,
        },
        access: {
          network: "no TCP: dockerd's socket in the run's 0700 directory; containers without a network",
          authentication: null,
          note: 'only root can reach the socket, as with a system dockerd',
        },
        setupCommands: [buildRootfs, `${importImage}  # once dockerd answers, as the first smoke step`],
        server: { command: `exec ${q(programs.dockerd!)} --config-file ${q(configFile)}`, cwd: dir, output: 'capture' },
        readyCommand: `${docker} version --format '{{.Server.Version}}'`,
        readyTimeoutSeconds: 60,
        smoke: [
          { label: 'import image', command: importImage, expectOutput: /^sha256:[0-9a-f]{64}$/m },
          { label: 'docker version', command: `${docker} version`, expectOutput: /^Server:/m },
          { label: 'docker images', command: `${docker} images`, expectOutput: /^benchmark-tracer\/busybox\s+local\s/m },
          { label: 'docker ps', command: `${docker} ps -a`, expectOutput: /^CONTAINER ID/ },
        ],
        benchmark: {
          label: 'container lifecycle',
          command: lifecycle,
          repeatUntilDeadline: true,
          parse: parseLifecycle,
        },
        stopCommand: stop,
        cleanup,
      };
    } catch (error) {
      cleanup();
      throw error;
    }
  },
};
