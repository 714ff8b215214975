// Statedumps during a real recording: at the start, once the server is
// ready, and before it is stopped, each in the trace at its own time.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { babeltraceEvents, ftraceDetails, onlyRun, runCli, tempOutputDir, type TextEvent } from './helpers/cli.js';
import { freePort } from '../src/util/ports.js';
import { ROOT, testNeeding, tool } from './helpers/machine.js';


/** The statedumps in the text, each as its events from lttng_statedump_start to lttng_statedump_end, with its position. */
function statedumps(events: TextEvent[]): Array<{ at: number; events: TextEvent[] }> {
  const dumps: Array<{ at: number; events: TextEvent[] }> = [];
  events.forEach((e, i) => {
    if (e.name === 'lttng_statedump_start') dumps.push({ at: i, events: [] });
    else if (e.name.startsWith('lttng_statedump_') && e.name !== 'lttng_statedump_end') dumps.at(-1)!.events.push(e);
  });
  return dumps;
}

const field = (e: TextEvent, key: string) => new RegExp(`(?:^|, )${key} = ("[^"]*"|[^,]+)`).exec(e.payload)?.[1]?.replace(/^"(.*)"$/, '$1');

testNeeding(ROOT)('a file opened after the start is in the end statedump with its path; dumps sit among the events in time order', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bt-statedump-'));
  const path = join(scratch, 'kept-open.log');
  const output = tempOutputDir();
  try {
    // fd 7 is opened by the traced shell after tracing started, and stays open until it is stopped.
    const result = await runCli(['--custom', `sh -c 'exec 7>${path}; echo started >&7; exec sleep 30'`, '--duration', '2', '--runs-dir', output]);
    assert.equal(result.code, 0, result.stderr);
    const { dir, metadata } = onlyRun(output);
    const root = metadata.scope.root_pids[0]!;
    const text = await babeltraceEvents(join(dir, 'kernel'));
    assert.equal(text.code, 0);
    assert.equal(text.stderr, '', 'babeltrace2 printed warnings');
    assert.equal(text.lines, metadata.trace?.events_total);

    const dumps = statedumps(text.events);
    assert.equal(dumps.length, 2, 'one at the start, one before the stop (no readiness without clients)');
    const [start, end] = dumps;
    const keptOpen = (dump: { events: TextEvent[] }) =>
      dump.events.find((e) => e.name === 'lttng_statedump_file_descriptor' && field(e, 'fd') === '7' && field(e, 'filename') === path);
    assert.equal(keptOpen(start!), undefined, 'fd 7 is not open yet at the start');
    const kept = keptOpen(end!);
    assert.ok(kept, `the end statedump lists fd 7 -> ${path}`);
    // The gate's shell runs the command as its child: the file is that child's, which is sleep by then.
    const owner = field(kept, 'pid');
    assert.notEqual(owner, String(root));
    const task = end!.events.find((e) => e.name === 'lttng_statedump_process_state' && field(e, 'tid') === owner);
    assert.equal(task && field(task, 'name'), 'sleep', 'the end statedump names the process as it is then');
    assert.equal(task && field(task, 'ppid'), String(root));

    // The end dump is in the middle of the trace: kernel events of the run come before it, the stop's after it.
    const kernelEventsBefore = text.events.slice(0, end!.at).filter((e) => !e.name.startsWith('lttng_statedump_'));
    const kernelEventsAfter = text.events.slice(end!.at).filter((e) => !e.name.startsWith('lttng_statedump_'));
    assert.ok(kernelEventsBefore.some((e) => e.name === 'syscall_entry_openat' && String(e.pid) === owner), 'the open of fd 7 comes before it');
    assert.ok(kernelEventsAfter.length > 0, 'the stop of the traced process comes after it');
    const costs = ftraceDetails(metadata).statedumps ?? [];
    assert.deepEqual(costs.map((c) => c.label), ['start', 'end']);

    // The same trace for Perfetto: the statedumps are global marks at their times, the open a slice of its thread.
    const perfettoFile = join(scratch, 'trace.json');
    const converted = await runCli(['convert', join(dir, 'kernel'), '--to', 'perfetto', '-o', perfettoFile]);
    assert.equal(converted.code, 0, converted.stderr);
    const perfetto = (JSON.parse(readFileSync(perfettoFile, 'utf8')) as { traceEvents: Array<{ ph: string; s?: string; name: string; ts: number; pid: number }> }).traceEvents;
    const marks = perfetto.filter((e) => e.ph === 'i' && e.s === 'g' && e.name === 'lttng_statedump_start');
    assert.equal(marks.length, 2);
    assert.ok(marks[1]!.ts > 1_000_000, 'the end statedump is seconds after the start (microseconds)');
    assert.ok(perfetto.some((e) => e.ph === 'X' && e.name === 'openat' && String(e.pid) === owner));
  } finally {
    rmSync(output, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

testNeeding(ROOT, tool('redis-server', 'redis-server'))('a server\'s listening socket is in the readiness statedump with its local address', async () => {
  const port = await freePort();
  const output = tempOutputDir();
  try {
    const result = await runCli([
      '--custom', `redis-server --port ${port} --bind 127.0.0.1 --save ''`,
      '--workload', `redis-cli -p ${port} PING`,
      '--duration', '10',
      '--events', 'syscalls:*',
      '--runs-dir', output,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { dir } = onlyRun(output);
    const text = await babeltraceEvents(join(dir, 'kernel'));
    assert.equal(text.stderr, '', 'babeltrace2 printed warnings');
    const dumps = statedumps(text.events);
    assert.equal(dumps.length, 3, 'start, ready, end');
    const sockets = (dump: { events: TextEvent[] }) => dump.events.filter((e) => e.name === 'lttng_statedump_socket');
    assert.deepEqual(sockets(dumps[0]!).filter((e) => field(e, 'state') === 'LISTEN'), [], 'at the start the server has not run yet');
    const listening = sockets(dumps[1]!).filter((e) => field(e, 'state') === 'LISTEN');
    assert.deepEqual(
      listening.map((e) => [field(e, 'protocol'), field(e, 'local'), field(e, 'peer')]),
      [['tcp', `127.0.0.1:${port}`, '*']],
    );
    // The socket event follows its file descriptor's event, which names the same inode.
    const socketEvent = listening[0]!;
    const fdEvent = dumps[1]!.events[dumps[1]!.events.indexOf(socketEvent) - 1]!;
    assert.equal(fdEvent.name, 'lttng_statedump_file_descriptor');
    assert.equal(field(fdEvent, 'filename'), `socket:[${field(socketEvent, 'inode')}]`);
    assert.equal(field(fdEvent, 'fd'), field(socketEvent, 'fd'));
    assert.ok(
      text.events.slice(0, dumps[1]!.at).some((e) => e.procname === 'redis-server' && /^syscall_entry_(bind|listen)$/.test(e.name)),
      'the server bound and listened before the readiness dump',
    );
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
});
