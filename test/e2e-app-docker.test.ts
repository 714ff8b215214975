// Docker end to end: a private dockerd (and the containerd it starts) under a
// container lifecycle loop, traced down to the containers' own processes.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertNothingLeftBehind, runApp, snapshotLeftovers } from './helpers/app-run.js';
import { assertIntrudersRefused } from './helpers/intruder.js';
import { type TextEvent } from './helpers/cli.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';

/** Paths dockerd, containerd and the shims create outside their roots when missing; the run must leave them as it found them. */
const HOST_PATHS = ['/run/docker', '/run/containerd', '/opt/containerd', '/etc/docker/key.json'];

const networkInterfaces = () => readdirSync('/sys/class/net').sort();

function cgroupMountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4]!);
}

function processesInCgroup(name: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${name}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Who forked whom, by process: the pid of the forking event for each new process (threads left out). */
function processParents(events: TextEvent[]): Map<number, number> {
  const pidOfTid = new Map<number, number>();
  for (const e of events) pidOfTid.set(e.tid, e.pid);
  const parents = new Map<number, number>();
  for (const e of events.filter((x) => x.name === 'sched_process_fork')) {
    const child = Number(/child_tid = (\d+)/.exec(e.payload)?.[1]);
    if (pidOfTid.get(child) === child && child !== e.pid) parents.set(child, e.pid);
  }
  return parents;
}

testNeeding(ROOT, tool('dockerd', 'docker.io'), tool('busybox', 'busybox-static'))('docker: lifecycle figures, dockerd -> containerd -> shim -> container traced, no other user gets in, nothing left', async () => {

  const hostPathsBefore = HOST_PATHS.map((p) => [p, existsSync(p)]);
  const interfacesBefore = networkInterfaces();
  const before = snapshotLeftovers();
  const { metadata, events } = await runApp('docker', 5, [], undefined, (live, ended) => {
    const docker = (...args: string[]) => ['docker', '-H', `unix://${join(live.dir, 'docker.sock')}`, ...args];
    assert.equal(statSync(live.dir).mode & 0o777, 0o700, "the instance dir, where dockerd's socket is, is private");
    return assertIntrudersRefused(live, ended, false, () => ({
      control: { argv: docker('version', '--format', '{{.Server.Version}}') },
      attempts: [{ what: "docker on the run's dockerd socket", argv: docker('version', '--format', '{{.Server.Version}}') }],
    }));
  });

  const figures = metadata.benchmark?.figures ?? {};
  // The iteration cut at the deadline reports the phases it finished, not a whole lifecycle.
  const lifecycles = metadata.commands.filter((c) => c.role === 'benchmark' && /^lifecycle_us=\d+$/m.test(c.stdout_tail)).length;
  assert.ok(lifecycles >= 1, 'at least one full container lifecycle');
  for (const figure of ['containers_per_second', 'seconds_per_lifecycle', 'create_ms', 'start_ms', 'exec_ms', 'stop_ms', 'rm_ms']) {
    assert.ok((figures[figure] ?? 0) > 0, `${figure} in ${JSON.stringify(figures)}`);
  }
  assert.match(metadata.app.version ?? '', /^\d+\.\d+/);
  assert.deepEqual(
    metadata.commands.filter((c) => c.role === 'smoke').map((c) => [c.label, c.return_code]),
    [['import image', 0], ['docker version', 0], ['docker images', 0], ['docker ps', 0]],
  );
  assert.ok(metadata.setup_commands.some((c) => c.includes(' import ')), 'the image import is among the setup commands');

  // dockerd answers the API: one connection at least per docker command.
  const server = metadata.scope.root_pids[0]!;
  const accepts = events.filter((e) => e.pid === server && e.procname === 'dockerd' && /^syscall_entry_accept4?$/.test(e.name)).length;
  assert.ok(accepts >= 4 + 5 * lifecycles, `dockerd accepted ${accepts} connections for ${lifecycles} lifecycles`);

  const parents = processParents(events);
  const execs = events.filter((e) => e.name === 'sched_process_exec');
  const filename = (e: TextEvent) => /filename = "([^"]*)"/.exec(e.payload)?.[1];
  const descendsFrom = (pid: number, ancestors: Set<number>) => {
    for (let p = parents.get(pid); p !== undefined; p = parents.get(p)) if (ancestors.has(p)) return true;
    return false;
  };

  const containerd = new Set(execs.filter((e) => filename(e) === '/usr/bin/containerd' && parents.get(e.pid) === server).map((e) => e.pid));
  assert.equal(containerd.size, 1, 'dockerd starts its own containerd');
  assert.ok(events.some((e) => containerd.has(e.pid) && e.procname === 'containerd' && e.name === 'syscall_entry_accept4'), 'containerd serves dockerd');

  const shims = new Set(
    execs.filter((e) => filename(e)?.endsWith('/containerd-shim-runc-v2') && descendsFrom(e.pid, containerd)).map((e) => e.pid),
  );
  assert.ok(shims.size >= lifecycles, `${shims.size} shims for ${lifecycles} containers`);

  // Each lifecycle runs /bin/sh in the container twice (its main process, then docker exec),
  // in a process that runc cloned under a shim, by an execve of its own.
  const containerShells = execs.filter((e) => filename(e) === '/bin/sh' && descendsFrom(e.pid, shims));
  assert.ok(containerShells.length >= 2 * lifecycles, `${containerShells.length} container shells for ${lifecycles} lifecycles`);
  const cloners = new Map(events.filter((e) => e.name === 'sched_process_fork').map((e) => [Number(/child_tid = (\d+)/.exec(e.payload)?.[1]), e.procname]));
  for (const shell of containerShells) {
    assert.match(cloners.get(shell.tid) ?? '', /^runc/, `container process ${shell.tid} cloned by runc`);
    assert.ok(events.some((e) => e.tid === shell.tid && e.name === 'syscall_entry_execve'), `container process ${shell.tid} calls execve`);
  }

  assertNothingLeftBehind(before, metadata);
  const dir = String(metadata.app.config.dir);
  assert.equal(existsSync(dir), false, 'the instance dir is removed');
  assert.deepEqual(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir)), [], 'mounts left under the instance dir');
  const cgroupName = basename(dir);
  assert.deepEqual(processesInCgroup(cgroupName), [], 'container processes left');
  assert.deepEqual(cgroupMountPoints().map((m) => join(m, cgroupName)).filter(existsSync), [], 'cgroups left');
  assert.deepEqual(networkInterfaces(), interfacesBefore, 'network interfaces created or removed');
  assert.deepEqual(HOST_PATHS.map((p) => [p, existsSync(p)]), hostPathsBefore, 'paths outside the instance created or removed');
});
