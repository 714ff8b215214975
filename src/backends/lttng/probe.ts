// Can LTTng trace here? Asked without side effects: no session daemon is
// started and no module is loaded just to find out.

import { existsSync, readFileSync } from 'node:fs';
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

export async function lttngKernelTracer(): Promise<Availability> {
  if (!existsSync('/proc/modules')) {
    return {
      usable: false,
      reason: 'this kernel has no loadable-module support (CONFIG_MODULES unset), so lttng-modules cannot load',
      fix: null,
    };
  }
  if (!findExecutable('lttng')) {
    return { usable: false, reason: 'lttng-tools is not installed', fix: 'apt-get install lttng-tools lttng-modules-dkms' };
  }
  const loaded = readFileSync('/proc/modules', 'utf8');
  if (!/^lttng_tracer\b/m.test(loaded)) {
    const listed = await run('lttng', ['list', '-k']);
    const message = listed.output.split('\n').find((l) => /error/i.test(l)) ?? listed.output.split('\n')[0] ?? '';
    if (listed.code !== 0) {
      return {
        usable: false,
        reason: `lttng list -k: ${message.replace(/^Error:\s*/, '')}`,
        fix: 'apt-get install lttng-modules-dkms linux-headers-$(uname -r) && lttng-sessiond --daemonize',
      };
    }
  }
  return { usable: true, reason: 'lttng-modules is loaded and lttng list -k answers', fix: null };
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
