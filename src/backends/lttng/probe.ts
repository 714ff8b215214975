// Can LTTng trace here? Asked without side effects: no session daemon is
// started and no module is loaded just to find out.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  return kernelTracerVerdict({
    moduleSupport,
    lttngInstalled: findExecutable('lttng') !== null,
    tracerLoaded: moduleSupport && /^lttng_tracer\b/m.test(readFileSync('/proc/modules', 'utf8')),
    moduleFileFound: moduleSupport && findFile(join('/lib/modules', kernelRelease), /^lttng-tracer\.ko/),
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
