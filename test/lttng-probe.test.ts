// The LTTng kernel tracer probe when lttng-tracer.ko is missing but DKMS has
// lttng-modules: never built, failed on the hrtimer_start was_armed change of
// Debian 12/13's stable kernels, or failed otherwise. Pure verdicts, and the
// /var/lib/dkms reader on a directory laid out like DKMS's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstErrorLine, kernelTracerVerdict, lttngDkmsRegistration, type DkmsLttng, type KernelTracerFacts } from '../src/backends/lttng/probe.js';

const facts = (over: Partial<KernelTracerFacts>): KernelTracerFacts => ({
  moduleSupport: true,
  lttngInstalled: true,
  tracerLoaded: false,
  moduleFileFound: false,
  lockdown: null,
  kernelRelease: '6.1.0-57-amd64',
  ...over,
});

const logPath = (version: string) => `/var/lib/dkms/lttng-modules/${version}/build/make.log`;
const dkms = (version: string, makeLog: string | null): DkmsLttng => ({ version, makeLogPath: logPath(version), makeLog });

// As gcc 12 reports it on Debian 12 (lttng-modules 2.13.9, 6.1.0-57-amd64).
const HRTIMER_LOG_DEBIAN12 = [
  'DKMS make.log for lttng-modules-2.13.9 for kernel 6.1.0-57-amd64 (x86_64)',
  'Tue 14 Oct 2025 09:12:01 AM UTC',
  "make -j4 KERNELRELEASE=6.1.0-57-amd64 -C /lib/modules/6.1.0-57-amd64/build M=/var/lib/dkms/lttng-modules/2.13.9/build modules",
  "make[1]: Entering directory '/usr/src/linux-headers-6.1.0-57-amd64'",
  '  CC [M]  /var/lib/dkms/lttng-modules/2.13.9/build/src/probes/lttng-probe-sched.o',
  '  CC [M]  /var/lib/dkms/lttng-modules/2.13.9/build/src/probes/lttng-probe-timer.o',
  'In file included from /var/lib/dkms/lttng-modules/2.13.9/build/include/lttng/tracepoint-event-impl.h:133,',
  '                 from /var/lib/dkms/lttng-modules/2.13.9/build/src/probes/lttng-probe-timer.c:38:',
  "/var/lib/dkms/lttng-modules/2.13.9/build/include/instrumentation/events/timer.h:185:1: error: conflicting types for 'trace_hrtimer_start'; have 'void(struct hrtimer *, enum hrtimer_mode)'",
  "/usr/src/linux-headers-6.1.0-57-common/include/trace/events/timer.h:196:1: note: previous definition of 'trace_hrtimer_start' with type 'void(struct hrtimer *, enum hrtimer_mode,  bool)'",
  "make[3]: *** [/usr/src/linux-headers-6.1.0-57-common/scripts/Makefile.build:255: /var/lib/dkms/lttng-modules/2.13.9/build/src/probes/lttng-probe-timer.o] Error 1",
  'make[2]: *** [/usr/src/linux-headers-6.1.0-57-common/Makefile:2030: /var/lib/dkms/lttng-modules/2.13.9/build] Error 2',
].join('\n');

// dkms 3 on Debian 13 writes its own name into the header.
const HRTIMER_LOG_DEBIAN13 = [
  'DKMS (dkms-3.2.2) make.log for lttng-modules/2.13.18 for kernel 6.12.117-amd64 (x86_64)',
  'Wed 12 Nov 2025 10:40:22 AM UTC',
  "/var/lib/dkms/lttng-modules/2.13.18/build/include/instrumentation/events/timer.h:204:1: error: conflicting types for 'trace_hrtimer_start'; have 'void(struct hrtimer *, enum hrtimer_mode)'",
].join('\n');

const noAptInstallOfModules = (fix: string | null) => assert.doesNotMatch(fix ?? '', /apt(-get)? install[^;]*lttng-modules-dkms/);

test('DKMS build failed on hrtimer_start was_armed (Debian 12): one line naming version, kernel and log; no apt fix', () => {
  const verdict = kernelTracerVerdict(facts({ dkms: dkms('2.13.9', HRTIMER_LOG_DEBIAN12) }));
  assert.equal(verdict.usable, false);
  assert.equal(
    verdict.reason,
    "lttng-modules-dkms 2.13.9 failed to build for 6.1.0-57-amd64: the kernel's hrtimer_start tracepoint takes a was_armed argument this lttng-modules does not know (see /var/lib/dkms/lttng-modules/2.13.9/build/make.log)",
  );
  assert.doesNotMatch(verdict.reason, /\n/);
  noAptInstallOfModules(verdict.fix);
  assert.match(verdict.fix ?? '', /lttng-guest\.sh/);
});

test('DKMS build failed on hrtimer_start was_armed (Debian 13, dkms 3 header)', () => {
  const verdict = kernelTracerVerdict(facts({ kernelRelease: '6.12.117-amd64', dkms: dkms('2.13.18', HRTIMER_LOG_DEBIAN13) }));
  assert.equal(verdict.usable, false);
  for (const part of ['2.13.18', '6.12.117-amd64', logPath('2.13.18'), 'was_armed']) assert.ok(verdict.reason.includes(part), `${part} in ${verdict.reason}`);
  noAptInstallOfModules(verdict.fix);
});

test('DKMS build failed otherwise: the first error line, without its directory and cut short, and no fix', () => {
  const longName = 'x'.repeat(200);
  const log = [
    'DKMS make.log for lttng-modules-2.13.9 for kernel 6.1.0-57-amd64 (x86_64)',
    '  CC [M]  /var/lib/dkms/lttng-modules/2.13.9/build/src/lttng-events.o',
    `/var/lib/dkms/lttng-modules/2.13.9/build/src/lttng-events.c:42:10: fatal error: linux/${longName}.h: No such file or directory`,
    'compilation terminated.',
    'make[3]: *** [scripts/Makefile.build:255: src/lttng-events.o] Error 1',
  ].join('\n');
  const verdict = kernelTracerVerdict(facts({ dkms: dkms('2.13.9', log) }));
  assert.equal(verdict.usable, false);
  assert.equal(verdict.fix, null);
  assert.match(verdict.reason, /^lttng-modules-dkms 2\.13\.9 failed to build for 6\.1\.0-57-amd64 \(see \/var\/lib\/dkms\/lttng-modules\/2\.13\.9\/build\/make\.log: lttng-events\.c:42:10: fatal error: linux\/x+…\)$/);
  assert.equal(firstErrorLine(log)!.length, 120);
  assert.doesNotMatch(verdict.reason, /hrtimer|\n/);
  // Without a compiler error, make's own line is the one to show.
  assert.equal(firstErrorLine('make: *** No rule to make target \'modules\'.  Stop.\n'), "make: *** No rule to make target 'modules'.  Stop.");
  assert.equal(firstErrorLine('  CC [M]  a.o\n'), null);
  assert.equal(kernelTracerVerdict(facts({ dkms: dkms('2.13.9', 'DKMS make.log for lttng-modules-2.13.9 for kernel 6.1.0-57-amd64 (x86_64)\n') })).reason, `lttng-modules-dkms 2.13.9 failed to build for 6.1.0-57-amd64 (see ${logPath('2.13.9')})`);
});

test('registered with DKMS but never built: dkms autoinstall for this kernel', () => {
  const verdict = kernelTracerVerdict(facts({ dkms: dkms('2.13.9', null) }));
  assert.deepEqual(verdict, { usable: false, reason: 'lttng-modules-dkms 2.13.9 is registered with DKMS but not built for 6.1.0-57-amd64', fix: 'dkms autoinstall -k 6.1.0-57-amd64' });
});

test('a failed build log of another kernel: this kernel was never tried, so autoinstall', () => {
  const verdict = kernelTracerVerdict(facts({ kernelRelease: '6.1.0-58-amd64', dkms: dkms('2.13.9', HRTIMER_LOG_DEBIAN12) }));
  assert.equal(verdict.usable, false);
  assert.equal(verdict.reason, `lttng-modules-dkms 2.13.9 is registered with DKMS but not built for 6.1.0-58-amd64 (the build for 6.1.0-57-amd64 failed: see ${logPath('2.13.9')})`);
  assert.equal(verdict.fix, 'dkms autoinstall -k 6.1.0-58-amd64');
});

test('DKMS facts change nothing when the module is loaded or found, or lttng-tools is missing', () => {
  const failed = dkms('2.13.9', HRTIMER_LOG_DEBIAN12);
  assert.equal(kernelTracerVerdict(facts({ dkms: failed, tracerLoaded: true })).usable, true);
  assert.equal(kernelTracerVerdict(facts({ dkms: failed, moduleFileFound: true })).usable, true);
  assert.equal(kernelTracerVerdict(facts({ dkms: failed, lttngInstalled: false })).reason, 'lttng-tools is not installed');
  assert.equal(kernelTracerVerdict(facts({ dkms: failed, moduleSupport: false })).usable, false);
  const none = kernelTracerVerdict(facts({ dkms: null }));
  assert.deepEqual(none, { usable: false, reason: 'lttng-modules is not built for this kernel (6.1.0-57-amd64)', fix: 'apt-get install lttng-modules-dkms linux-headers-6.1.0-57-amd64' });
});

test('the /var/lib/dkms reader: newest version, kernel-* links skipped, build/make.log read when present', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bt-dkms-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(lttngDkmsRegistration(root), null, 'no lttng-modules directory');
  const modules = join(root, 'lttng-modules');
  mkdirSync(modules);
  assert.equal(lttngDkmsRegistration(root), null, 'no version registered');

  mkdirSync(join(modules, '2.13.9', '6.1.0-13-amd64', 'x86_64', 'module'), { recursive: true });
  symlinkSync(join(modules, '2.13.9', '6.1.0-13-amd64', 'x86_64'), join(modules, 'kernel-6.1.0-13-amd64-x86_64'));
  assert.deepEqual(lttngDkmsRegistration(root), { version: '2.13.9', makeLogPath: join(modules, '2.13.9', 'build', 'make.log'), makeLog: null });

  // 2.13.10 sorts after 2.13.9 as a version, not as text.
  mkdirSync(join(modules, '2.13.10', 'build'), { recursive: true });
  writeFileSync(join(modules, '2.13.10', 'build', 'make.log'), HRTIMER_LOG_DEBIAN12);
  const found = lttngDkmsRegistration(root)!;
  assert.equal(found.version, '2.13.10');
  assert.equal(found.makeLogPath, join(modules, '2.13.10', 'build', 'make.log'));
  assert.equal(found.makeLog, HRTIMER_LOG_DEBIAN12);
  assert.match(kernelTracerVerdict(facts({ dkms: found })).reason, /^lttng-modules-dkms 2\.13\.10 failed to build for 6\.1\.0-57-amd64: the kernel's hrtimer_start/);
});

test("the /var/lib/dkms reader keeps a long log's DKMS header and its last 64 KiB", (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bt-dkms-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const build = join(root, 'lttng-modules', '2.13.9', 'build');
  mkdirSync(build, { recursive: true });
  const [header, ...rest] = HRTIMER_LOG_DEBIAN12.split('\n');
  const filler = '  CC [M]  /var/lib/dkms/lttng-modules/2.13.9/build/src/probes/lttng-probe-some-subsystem.o\n'.repeat(4000);
  writeFileSync(join(build, 'make.log'), `${header}\n${filler}${rest.join('\n')}\n`);
  const log = lttngDkmsRegistration(root)!.makeLog!;
  assert.ok(log.length < 70 * 1024, `read ${log.length} characters`);
  assert.ok(log.startsWith(`${header}\n…\n`));
  assert.ok(log.endsWith('Error 2\n'));
  assert.match(kernelTracerVerdict(facts({ dkms: lttngDkmsRegistration(root) })).reason, /was_armed .*make\.log\)$/);
});
