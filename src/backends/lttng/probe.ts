// Can LTTng trace here? Asked without side effects: no session daemon is
// started and no module is loaded just to find out.

import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../util/executables.js';
import { runCommand } from '../../util/run-command.js';

export interface Availability {
  usable: boolean;
  /** One line: why not, or what was found. */
  reason: string;
  /** The command that fixes it, when there is one. */
  fix: string | null;
}

async function run(file: string, args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await runCommand(file, args, 10_000);
  return { code, output: `${stdout}${stderr}`.trim() };
}

/** What decides whether lttng-modules can record here, gathered by lttngKernelTracer. */
export interface KernelTracerFacts {
  /** /proc/modules exists: the kernel loads modules at all. */
  moduleSupport: boolean;
  lttngInstalled: boolean;
  /** lttng_tracer is in /proc/modules. */
  tracerLoaded: boolean;
  /** lttng-tracer.ko is under /lib/modules/<release>. */
  moduleFileFound: boolean;
  /** /sys/kernel/security/lockdown's active mode ("none", "integrity", "confidentiality"), when known. */
  lockdown: string | null;
  kernelRelease: string;
  /** lttng-modules as registered with DKMS; gathered only when lttng-tracer.ko is missing. */
  dkms?: DkmsLttng | null;
}

/** One lttng-modules version under /var/lib/dkms, and its failed build's log if one is left. */
export interface DkmsLttng {
  version: string;
  makeLogPath: string;
  /** build/make.log (its head and last 64 KiB); DKMS deletes it after a successful build. */
  makeLog: string | null;
}

const INSTALL_MODULES = (release: string) => `apt-get install lttng-modules-dkms linux-headers-${release}`;

/** Pure: the verdict and its one-line reason and fix, from the facts. */
export function kernelTracerVerdict(facts: KernelTracerFacts): Availability {
  if (!facts.moduleSupport) {
    return {
      usable: false,
      reason: 'this kernel has no loadable-module support (CONFIG_MODULES unset), so lttng-modules cannot load',
      fix: null,
    };
  }
  if (!facts.lttngInstalled) {
    return { usable: false, reason: 'lttng-tools is not installed', fix: `apt-get install lttng-tools lttng-modules-dkms linux-headers-${facts.kernelRelease}` };
  }
  if (facts.tracerLoaded) return { usable: true, reason: 'lttng-modules is loaded', fix: null };
  if (!facts.moduleFileFound) {
    if (facts.dkms) return dkmsBuildVerdict(facts.dkms, facts.kernelRelease);
    return { usable: false, reason: `lttng-modules is not built for this kernel (${facts.kernelRelease})`, fix: INSTALL_MODULES(facts.kernelRelease) };
  }
  if (facts.lockdown !== null && facts.lockdown !== 'none') {
    return {
      usable: false,
      reason: `kernel lockdown (${facts.lockdown}, Secure Boot) refuses the unsigned lttng-modules`,
      fix: 'sign the DKMS modules with a key enrolled with mokutil --import, or disable Secure Boot',
    };
  }
  return { usable: true, reason: `lttng-modules is installed for ${facts.kernelRelease}; the session daemon loads it`, fix: null };
}

// Debian 12 and 13's lttng-modules-dkms fail here since the stable kernels gave
// hrtimer_start a third argument (was_armed); apt has nothing newer to offer.
const HRTIMER_WAS_ARMED = /error:.*\btrace_hrtimer_start\b/;

function dkmsBuildVerdict({ version, makeLogPath, makeLog }: DkmsLttng, kernelRelease: string): Availability {
  const name = `lttng-modules-dkms ${version}`;
  const notBuilt = `${name} is registered with DKMS but not built for ${kernelRelease}`;
  const autoinstall = `dkms autoinstall -k ${kernelRelease}`;
  if (makeLog === null) return { usable: false, reason: notBuilt, fix: autoinstall };
  // The log left behind may be of a build for another kernel; this one was then never tried.
  const logKernel = /make\.log for \S+ for kernel (\S+)/.exec(makeLog)?.[1];
  if (logKernel !== undefined && logKernel !== kernelRelease) {
    return { usable: false, reason: `${notBuilt} (the build for ${logKernel} failed: see ${makeLogPath})`, fix: autoinstall };
  }
  const failed = `${name} failed to build for ${kernelRelease}`;
  if (HRTIMER_WAS_ARMED.test(makeLog)) {
    return {
      usable: false,
      reason: `${failed}: the kernel's hrtimer_start tracepoint takes a was_armed argument this lttng-modules does not know (see ${makeLogPath})`,
      fix: "build an lttng-modules newer than the distribution's, or record in the guest of scripts/lttng-guest.sh, whose probe is adapted",
    };
  }
  const error = firstErrorLine(makeLog);
  return { usable: false, reason: `${failed} (see ${makeLogPath}${error ? `: ${error}` : ''})`, fix: null };
}

/** The first compiler or make error, without its directory and cut to fit one line. */
export function firstErrorLine(log: string): string | null {
  const line = log.split('\n').find((l) => /error:/i.test(l)) ?? log.split('\n').find((l) => /\*\*\*|\bError \d+/.test(l));
  if (line === undefined) return null;
  const short = line.trim().replace(/^[^\s:]*\//, '');
  return short.length > 120 ? `${short.slice(0, 119)}…` : short;
}

function readSlice(fd: number, position: number, length: number): string {
  const buffer = Buffer.alloc(length);
  return buffer.toString('utf8', 0, readSync(fd, buffer, 0, length, position));
}

/** A log's first line (DKMS names the kernel there) and its end, where make stopped. */
function readLogEnds(path: string, tailBytes = 64 * 1024): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= tailBytes + 4096) return readSlice(fd, 0, size);
    return `${readSlice(fd, 0, 4096).split('\n')[0]}\n…\n${readSlice(fd, size - tailBytes, tailBytes)}`;
  } finally {
    closeSync(fd);
  }
}

/** The newest lttng-modules version DKMS has registered under root, or null; files only, as `dkms status` is slow. */
export function lttngDkmsRegistration(root = '/var/lib/dkms'): DkmsLttng | null {
  const dir = join(root, 'lttng-modules');
  let versions: string[];
  try {
    // Beside the versions DKMS keeps kernel-<release>-<arch> links to the installed builds.
    versions = readdirSync(dir).filter((name) => !name.startsWith('kernel-') && statSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory());
  } catch {
    return null;
  }
  const version = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  if (version === undefined) return null;
  const makeLogPath = join(dir, version, 'build', 'make.log');
  return { version, makeLogPath, makeLog: readLogEnds(makeLogPath) };
}

function findFile(dir: string, pattern: RegExp, depth = 8): boolean {
  if (depth < 0 || !existsSync(dir)) return false;
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? findFile(join(dir, e.name), pattern, depth - 1) : pattern.test(e.name),
    );
  } catch {
    return false;
  }
}

export async function lttngKernelTracer(): Promise<Availability> {
  const kernelRelease = release();
  const moduleSupport = existsSync('/proc/modules');
  const lockdownText = existsSync('/sys/kernel/security/lockdown') ? readFileSync('/sys/kernel/security/lockdown', 'utf8') : null;
  const moduleFileFound = moduleSupport && findFile(join('/lib/modules', kernelRelease), /^lttng-tracer\.ko/);
  return kernelTracerVerdict({
    moduleSupport,
    lttngInstalled: findExecutable('lttng') !== null,
    tracerLoaded: moduleSupport && /^lttng_tracer\b/m.test(readFileSync('/proc/modules', 'utf8')),
    moduleFileFound,
    dkms: moduleSupport && !moduleFileFound ? lttngDkmsRegistration() : null,
    lockdown: lockdownText ? (/\[(\w+)\]/.exec(lockdownText)?.[1] ?? null) : null,
    kernelRelease,
  });
}

export async function lttngUserspace(): Promise<Availability> {
  if (!findExecutable('lttng')) {
    return { usable: false, reason: 'lttng-tools is not installed', fix: 'apt-get install lttng-tools liblttng-ust-dev' };
  }
  const helper = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']
    .map((dir) => `${dir}/liblttng-ust-libc-wrapper.so.1`)
    .find((path) => existsSync(path));
  if (!helper) {
    return { usable: false, reason: "LTTng-UST's LD_PRELOAD helpers are missing", fix: 'apt-get install liblttng-ust-dev' };
  }
  const version = await run('lttng', ['--version']);
  return { usable: true, reason: `${version.output.split('\n')[0]}; helpers in ${helper.replace(/\/[^/]+$/, '')}`, fix: null };
}
