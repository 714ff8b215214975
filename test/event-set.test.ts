import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEventSet, parseAvailableEvents, syscallNamesOf, tracepointId, NAMED_EVENT_SETS } from '../src/backends/event-set.js';
import { UserError } from '../src/util/errors.js';

const available = parseAvailableEvents(
  [
    'syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'syscalls:sys_enter_write', 'syscalls:sys_exit_write',
    'sched:sched_switch', 'sched:sched_wakeup', 'sched:sched_waking', 'sched:sched_process_fork',
    'irq:irq_handler_entry', 'irq:softirq_entry', 'foo:sched_switch_like', 'a:dup', 'b:dup',
  ].join('\n'),
);

const ids = (spec: string) => resolveEventSet(spec, available).set.map(tracepointId).sort();

test('globs, systems, bare names and LTTng names resolve to tracepoints', () => {
  assert.deepEqual(ids('syscalls:*'), ['syscalls:sys_enter_read', 'syscalls:sys_enter_write', 'syscalls:sys_exit_read', 'syscalls:sys_exit_write']);
  assert.deepEqual(ids('irq'), ['irq:irq_handler_entry', 'irq:softirq_entry']);
  assert.deepEqual(ids('sched_switch'), ['sched:sched_switch']);
  assert.deepEqual(ids('syscall_entry_read,syscall_exit_read'), ['syscalls:sys_enter_read', 'syscalls:sys_exit_read']);
  assert.deepEqual(ids('sched:sched_wak*'), ['sched:sched_wakeup', 'sched:sched_waking']);
});

test('the syscalls of a set by bare name, each once, other systems left out', () => {
  assert.deepEqual(syscallNamesOf(resolveEventSet('syscalls:*,sched_switch,foo:sched_switch_like', available).set).sort(), ['read', 'write']);
  assert.deepEqual(syscallNamesOf(resolveEventSet('irq', available).set), []);
});

test('named sets skip what this kernel lacks but keep what it has', () => {
  const { set, skipped } = resolveEventSet('default', available);
  assert.ok(set.some((t) => tracepointId(t) === 'sched:sched_switch'));
  assert.ok(skipped.includes('block:block_rq_issue'));
  assert.ok(NAMED_EVENT_SETS.default!.items.includes('syscalls:*'));
});

test('an unknown name is an error with close matches; an ambiguous one names both', () => {
  assert.throws(() => ids('sched_swich'), (e: unknown) => e instanceof UserError && /did you mean sched_switch/.test(e.message));
  assert.throws(() => ids('syscalls:sys_enter_reed'), (e: unknown) => e instanceof UserError && /sys_enter_read/.test(e.message));
  assert.throws(() => ids('dup'), (e: unknown) => e instanceof UserError && /ambiguous: a:dup, b:dup/.test(e.message));
  assert.throws(() => ids(' , '), UserError);
});
