// Shared by the tests of test/guest/: they need lttng-modules, so they run in
// the QEMU guest of scripts/lttng-guest.sh (npm run test:lttng-guest), where
// they are root and the LTTng kernel tracer loads.

import { readdirSync, readFileSync } from 'node:fs';
import { lttngKernelTracer } from '../../src/backends/lttng/probe.js';
import { ROOT, assertMachineHas } from '../helpers/machine.js';

export async function requireLttngKernelTracer(): Promise<void> {
  assertMachineHas(ROOT);
  const probe = await lttngKernelTracer();
  if (!probe.usable) {
    throw new Error(`these tests need the LTTng kernel tracer; run them in the guest with npm run test:lttng-guest (here: ${probe.reason})`);
  }
}

/** Live processes whose command name (comm) is one of names. */
export function processesNamed(...names: string[]): Array<{ pid: number; name: string }> {
  const found: Array<{ pid: number; name: string }> = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(name)) found.push({ pid: Number(entry), name });
    } catch {
      // Gone.
    }
  }
  return found;
}

/** Where a guest test may leave results for the host (the runner's --out), or null outside the runner. */
export function guestResultsDir(): string | null {
  return process.env.BT_GUEST_OUT ?? null;
}
