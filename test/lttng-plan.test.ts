// Pure logic of the LTTng backends: the lttng commands a kernel or userspace
// session issues, the probe's verdicts, the backend choice, --userspace parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelChannelGeometry, kernelSessionPlan, lttngKernelEvents, scopeFilter, statedumpCommand } from '../src/backends/lttng/kernel-plan.js';
import { newDescendants } from '../src/backends/lttng/tree-tracker.js';
import { kernelTracerVerdict, type KernelTracerFacts } from '../src/backends/lttng/probe.js';
import { parseDiscardedEvents, lttngErrorMessage } from '../src/backends/lttng/lttng-cli.js';
import { parseUstHelpers, preloadEnvironment, userspacePlan, userspaceTrackCommand, ustHelperPaths } from '../src/backends/lttng/userspace.js';
import { decideBackend } from '../src/backends/select.js';
import { parseCommandLine } from '../src/cli/args.js';
import { UserError } from '../src/util/errors.js';

const tp = (id: string) => {
  const [system, name] = id.split(':');
  return { system: system!, name: name! };
};

test('kernel events: syscall entry and exit become one LTTng syscall; tracepoints lose their system', () => {
  const events = ['syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'syscalls:sys_exit_openat', 'sched:sched_switch', 'irq:softirq_entry'].map(tp);
  assert.deepEqual(lttngKernelEvents(events), { syscalls: ['openat', 'read'], tracepoints: ['sched_switch', 'softirq_entry'] });
  assert.throws(() => lttngKernelEvents([tp('syscalls:odd')]), /not a syscall tracepoint/);
});

test('kernel session plan: own session and output, sized channel, the tree by its namespace, switches and wakeups of both sides, state dumps', () => {
  const plan = kernelSessionPlan({
    session: 'bt-1',
    outputDir: '/runs/x/.lttng-kernel',
    events: ['syscalls:sys_enter_read', 'syscalls:sys_exit_write', 'sched:sched_switch', 'sched:sched_wakeup', 'sched:sched_process_fork'].map(tp),
    allSyscalls: false,
    perCpuBufferBytes: 96 * 1024 * 1024,
    exactBufferSize: false,
    scopeFilter: scopeFilter(4026532201, 77),
  });
  const inChannel = ['-k', '-s', 'bt-1', '-c', 'benchmark_tracer_kernel'];
  const filter = ['--filter', '$ctx.uts_ns == 4026532201 && $ctx.pid != 77'];
  assert.deepEqual(plan, [
    ['create', 'bt-1', '--output=/runs/x/.lttng-kernel'],
    ['enable-channel', '-k', '-s', 'bt-1', 'benchmark_tracer_kernel', '--subbuf-size', String(8 * 1024 * 1024), '--num-subbuf', '8'],
    ['enable-event', ...inChannel, '--syscall', 'read,write', ...filter],
    ['enable-event', ...inChannel, '--tracepoint', 'sched_process_fork', ...filter],
    ['enable-event', ...inChannel, '--tracepoint', 'sched_switch,sched_wakeup'],
    ['enable-event', ...inChannel, '--tracepoint', 'lttng_statedump_*'],
    ['add-context', ...inChannel, '-t', 'pid', '-t', 'tid', '-t', 'ppid', '-t', 'procname'],
  ]);
});

test('kernel session plan: every syscall is one --syscall -a; system-wide filters nothing', () => {
  const plan = kernelSessionPlan({
    session: 's',
    outputDir: '/o',
    events: [tp('syscalls:sys_enter_read'), tp('sched:sched_switch')],
    allSyscalls: true,
    perCpuBufferBytes: 1 << 30,
    exactBufferSize: false,
    scopeFilter: null,
  });
  assert.ok(plan.some((c) => c.join(' ') === 'enable-event -k -s s -c benchmark_tracer_kernel --syscall -a'));
  assert.ok(!plan.some((c) => c.includes('--filter') || c[0] === 'untrack' || c[0] === 'track'));
});

test('the ready and end state dumps are lttng regenerate statedump of our own session', () => {
  assert.deepEqual(statedumpCommand('benchmark-tracer-1-x'), ['regenerate', 'statedump', '--session', 'benchmark-tracer-1-x']);
});

test('kernel channel: power-of-two sub-buffers within bounds', () => {
  for (const perCpu of [1, 3 * 1024 * 1024, 100 * 1024 * 1024, 1 << 40]) {
    const { subbufferBytes, subbufferCount } = kernelChannelGeometry(perCpu);
    assert.equal(subbufferBytes & (subbufferBytes - 1), 0, `${subbufferBytes} is a power of two`);
    assert.ok(subbufferBytes >= 256 * 1024 && subbufferBytes <= 64 * 1024 * 1024);
    assert.ok(subbufferBytes * subbufferCount <= Math.max(perCpu, 2 * 1024 * 1024));
  }
});

test('kernel channel: --buffer-size is honoured down to two pages a CPU', () => {
  assert.deepEqual(kernelChannelGeometry(64 * 1024, true), { subbufferBytes: 8192, subbufferCount: 8 });
  assert.deepEqual(kernelChannelGeometry(8192, true), { subbufferBytes: 4096, subbufferCount: 2 });
  assert.deepEqual(kernelChannelGeometry(64 * 1024, false), { subbufferBytes: 256 * 1024, subbufferCount: 8 });
  assert.deepEqual(kernelChannelGeometry(64 * 1024 * 1024, true), kernelChannelGeometry(64 * 1024 * 1024, false));
});

test('new descendants: only pids not tracked yet, once each', () => {
  assert.deepEqual(newDescendants([5, 6, 6, 7], new Set([5])), [6, 7]);
});

test('userspace plan: every UST tracepoint of one channel, with vpid/vtid/procname, of the followed processes only', () => {
  assert.deepEqual(userspacePlan('u', '/r/.ust-session', 1 << 20, true), [
    ['create', 'u', '--output=/r/.ust-session'],
    ['enable-channel', '-u', '-s', 'u', 'benchmark_tracer_ust', '--subbuf-size', '1048576', '--num-subbuf', '8'],
    ['enable-event', '-u', '-s', 'u', '-c', 'benchmark_tracer_ust', '-a'],
    ['add-context', '-u', '-s', 'u', '-c', 'benchmark_tracer_ust', '-t', 'vpid', '-t', 'vtid', '-t', 'procname'],
    ['untrack', '-u', '-s', 'u', '--all', '--vpid'],
    ['start', 'u'],
  ]);
  assert.ok(!userspacePlan('u', '/r', 1 << 20, false).some((c) => c[0] === 'untrack'), 'system-wide: every process');
  assert.deepEqual(userspaceTrackCommand('u', [7, 8]), ['track', '-u', '-s', 'u', '--vpid=7,8']);
});

test('--userspace helpers: default libc, a list, unknown names refused; LD_PRELOAD keeps what was there', () => {
  assert.deepEqual(parseUstHelpers(''), ['libc']);
  assert.deepEqual(parseUstHelpers('fd,libc,fd'), ['fd', 'libc']);
  assert.throws(() => parseUstHelpers('libc,malloc'), (e) => e instanceof UserError && /unknown helper "malloc"/.test(e.message));
  assert.throws(() => ustHelperPaths(['dl'], ['/nonexistent']), /liblttng-ust-dl\.so\.1 is missing \(apt-get install liblttng-ust-dev\)/);
  const env = preloadEnvironment({ PATH: '/bin', LD_PRELOAD: '/x.so' }, ['/a.so', '/b.so']);
  assert.equal(env.LD_PRELOAD, '/a.so:/b.so:/x.so');
  assert.equal(env.PATH, '/bin');
  assert.equal(preloadEnvironment({}, ['/a.so']).LD_PRELOAD, '/a.so');
});

test('--userspace on the command line: optional list, an app name after it stays the app', () => {
  const record = (argv: string[]) => {
    const command = parseCommandLine(argv);
    assert.equal(command.kind, 'record');
    return command.kind === 'record' ? command.options : null!;
  };
  assert.deepEqual(record(['--userspace', 'redis']).userspace, ['libc']);
  assert.equal(record(['--userspace', 'redis']).application, 'redis');
  assert.deepEqual(record(['redis', '--userspace', 'fd,dl']).userspace, ['fd', 'dl']);
  assert.deepEqual(record(['redis', '--userspace=pthread']).userspace, ['pthread']);
  assert.deepEqual(record(['redis', '--userspace']).userspace, ['libc']);
  assert.equal(record(['redis']).userspace, null);
  assert.throws(() => parseCommandLine(['redis', '--userspace=libc,nope']), UserError);
});

test('lttng output: the error line, and discarded events per channel from lttng list', () => {
  assert.equal(lttngErrorMessage('Session ktest created.\nError: Channel kch: Kernel tracer not available (session ktest)\n'), 'Channel kch: Kernel tracer not available (session ktest)');
  const listing = [
    'Recording session u: [inactive]',
    '=== Domain: User space ===',
    'Channels:',
    '-------------',
    '- benchmark_tracer_ust: [enabled]',
    '',
    '    Attributes:',
    '      Sub-buffer count: 4',
    '    Statistics:',
    '      Discarded events: 17',
    '- other: [disabled]',
    '    Statistics:',
    '      Discarded events: 0',
  ].join('\n');
  assert.deepEqual(parseDiscardedEvents(listing), { benchmark_tracer_ust: 17, other: 0 });
});

const facts = (over: Partial<KernelTracerFacts>): KernelTracerFacts => ({
  moduleSupport: true,
  lttngInstalled: true,
  tracerLoaded: false,
  moduleFileFound: true,
  lockdown: null,
  kernelRelease: '6.1.0-13-amd64',
  ...over,
});

test('kernel tracer verdicts: each reason that stops lttng-modules, with its fix', () => {
  assert.match(kernelTracerVerdict(facts({ moduleSupport: false })).reason, /no loadable-module support/);
  assert.equal(kernelTracerVerdict(facts({ moduleSupport: false })).usable, false);
  assert.match(kernelTracerVerdict(facts({ lttngInstalled: false })).fix ?? '', /apt-get install lttng-tools/);
  const missing = kernelTracerVerdict(facts({ moduleFileFound: false }));
  assert.deepEqual([missing.usable, missing.reason, missing.fix], [false, 'lttng-modules is not built for this kernel (6.1.0-13-amd64)', 'apt-get install lttng-modules-dkms linux-headers-6.1.0-13-amd64']);
  const locked = kernelTracerVerdict(facts({ lockdown: 'integrity' }));
  assert.equal(locked.usable, false);
  assert.match(locked.reason, /lockdown \(integrity, Secure Boot\)/);
  assert.match(locked.fix ?? '', /mokutil/);
  assert.equal(kernelTracerVerdict(facts({ lockdown: 'none' })).usable, true);
  assert.equal(kernelTracerVerdict(facts({ tracerLoaded: true, moduleFileFound: false, lockdown: 'integrity' })).usable, true);
});

test('backend choice: auto falls back with the reason, lttng fails with reason and fix, a usable tracer is used', () => {
  const no = { usable: false, reason: 'lttng-modules is not built for this kernel (6.1)', fix: 'apt-get install lttng-modules-dkms' };
  const yes = { usable: true, reason: 'lttng-modules is loaded', fix: null };
  assert.deepEqual(decideBackend('auto', no), { name: 'ftrace', reason: 'auto: LTTng kernel tracer not usable (lttng-modules is not built for this kernel (6.1)); using tracefs' });
  assert.throws(
    () => decideBackend('lttng', no),
    (e) => e instanceof UserError && e.message === '--backend lttng: the LTTng kernel tracer is not usable here: lttng-modules is not built for this kernel (6.1) (fix: apt-get install lttng-modules-dkms); use --backend ftrace',
  );
  assert.equal(decideBackend('auto', yes).name, 'lttng');
  assert.equal(decideBackend('lttng', yes).name, 'lttng');
  assert.equal(decideBackend('ftrace', yes).name, 'ftrace');
});
