// `benchmark-tracer doctor`: what this machine can trace, and for each
// missing piece the command that fixes it.

import { release } from 'node:os';
import { APPLICATIONS, findProgram } from '../apps/catalog.js';
import { lttngKernelTracer, lttngUserspace, type Availability } from '../backends/lttng/probe.js';
import { runningRootSessiond } from '../backends/lttng/sessiond.js';
import { tracefsStatus } from '../backends/ftrace/tracefs.js';
import { BABELTRACE_INSTALL_HINT } from '../export/trace-text.js';
import { findExecutable } from '../util/executables.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix: string | null;
}

function fromAvailability(name: string, a: Availability): DoctorCheck {
  return { name, ok: a.usable, detail: a.reason, fix: a.fix };
}

/** Where LTTng cannot record, runs still can: say so beside the reason. */
function kernelTracerCheck(a: Availability): DoctorCheck {
  const check = fromAvailability('LTTng kernel tracer', a);
  return a.usable ? check : { ...check, detail: `${a.reason}; runs record with tracefs instead` };
}

function tracefsCheck(): DoctorCheck {
  const { mountedAt, mountPoint, mountPointExists: mountable } = tracefsStatus();
  if (mountedAt) return { name: 'tracefs', ok: true, detail: `mounted at ${mountedAt}`, fix: null };
  return {
    name: 'tracefs',
    ok: mountable && process.getuid?.() === 0,
    detail: mountable ? `not mounted; ${mountPoint} exists, so a run as root mounts it` : `not mounted and ${mountPoint} does not exist (kernel without CONFIG_TRACING?)`,
    fix: mountable ? `mount -t tracefs nodev ${mountPoint}` : null,
  };
}

function sessiondCheck(): DoctorCheck {
  const pid = runningRootSessiond();
  return {
    name: 'LTTng session daemon',
    ok: true,
    detail: pid === null ? 'none running; a run with --userspace or --backend lttng starts its own and stops it' : `root lttng-sessiond running (pid ${pid}); runs use it and leave it running`,
    fix: null,
  };
}

export async function runDoctorChecks(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [
    { name: 'kernel', ok: true, detail: release(), fix: null },
    {
      name: 'root',
      ok: process.getuid?.() === 0,
      detail: process.getuid?.() === 0 ? 'running as root' : 'not root: recording needs root',
      fix: process.getuid?.() === 0 ? null : 'run with sudo',
    },
    tracefsCheck(),
    kernelTracerCheck(await lttngKernelTracer()),
    fromAvailability('LTTng userspace', await lttngUserspace()),
    sessiondCheck(),
  ];
  const bpftrace = findExecutable('bpftrace');
  checks.push({
    name: 'bpftrace',
    ok: bpftrace !== null,
    detail: bpftrace ? `${bpftrace}: paths and socket addresses are copied into the trace` : 'not installed: paths and socket addresses stay pointers in the trace',
    fix: bpftrace ? null : 'apt-get install bpftrace',
  });
  const babeltrace = findExecutable('babeltrace2');
  checks.push({
    name: 'babeltrace2',
    ok: babeltrace !== null,
    detail: babeltrace ?? 'not installed: trace_output.txt cannot be written',
    fix: babeltrace ? null : BABELTRACE_INSTALL_HINT,
  });
  for (const app of APPLICATIONS) {
    const found = app.programs.map((p) => ({ p, path: findProgram(p) }));
    const missing = found.filter((f) => !f.path);
    checks.push({
      name: `app ${app.name}`,
      ok: missing.length === 0,
      detail: found.map((f) => `${f.p.names.join('/')}: ${f.path ?? 'missing'}`).join(', '),
      fix: missing.length ? `apt-get install ${[...new Set(missing.map((m) => m.p.debianPackage))].join(' ')}` : null,
    });
  }
  return checks;
}

export function formatDoctor(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => {
      const line = `${c.ok ? 'ok     ' : 'MISSING'}  ${c.name.padEnd(width)}  ${c.detail}`;
      return c.fix ? `${line}\n         ${' '.repeat(width)}  fix: ${c.fix}` : line;
    })
    .join('\n');
}
