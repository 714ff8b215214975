import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEventFormat, parseFormatFields } from '../src/backends/ftrace/event-format.js';

const COMMON = `\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
`;

function format(name: string, id: number, fields: string): string {
  return `name: ${name}\nID: ${id}\nformat:\n${COMMON}\n${fields}\nprint fmt: "whatever"\n`;
}

// Copied from this kernel's events/syscalls/sys_enter_read/format.
const SYS_ENTER_READ = format(
  'sys_enter_read',
  842,
  `\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:char * buf;\toffset:24;\tsize:8;\tsigned:0;
\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;`,
);

test('name, id, and common fields apart from the event fields', () => {
  const parsed = parseEventFormat(SYS_ENTER_READ);
  assert.equal(parsed.name, 'sys_enter_read');
  assert.equal(parsed.id, 842);
  assert.deepEqual(
    parsed.commonFields.map((f) => [f.name, f.offset, f.size, f.signed]),
    [
      ['common_type', 0, 2, false],
      ['common_flags', 2, 1, false],
      ['common_preempt_count', 3, 1, false],
      ['common_pid', 4, 4, true],
    ],
  );
  assert.deepEqual(
    parsed.fields.map((f) => [f.name, f.type, f.offset, f.size, f.signed, f.pointer, f.layout.kind]),
    [
      ['__syscall_nr', 'int', 8, 4, true, false, 'integer'],
      ['fd', 'unsigned int', 16, 8, false, false, 'integer'],
      ['buf', 'char *', 24, 8, false, true, 'integer'],
      ['count', 'size_t', 32, 8, false, false, 'integer'],
    ],
  );
});

test('sizes and signedness come from the kernel, not from the type name', () => {
  const [field] = parseFormatFields('\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;');
  assert.equal(field!.size, 8);
  assert.equal(field!.signed, false);
  assert.deepEqual(field!.layout, { kind: 'integer' });
});

test('integers of every size, bool, and pointers', () => {
  const fields = parseFormatFields(`\tfield:u8 a;\toffset:8;\tsize:1;\tsigned:0;
\tfield:short b;\toffset:10;\tsize:2;\tsigned:1;
\tfield:pid_t c;\toffset:12;\tsize:4;\tsigned:1;
\tfield:u64 d;\toffset:16;\tsize:8;\tsigned:0;
\tfield:bool group_dead;\toffset:24;\tsize:1;\tsigned:0;
\tfield:const char *const * argv;\toffset:32;\tsize:8;\tsigned:0;
\tfield:struct robust_list_head * * head_ptr;\toffset:40;\tsize:8;\tsigned:0;`);
  assert.deepEqual(
    fields.map((f) => [f.name, f.size, f.signed, f.pointer, f.layout.kind]),
    [
      ['a', 1, false, false, 'integer'],
      ['b', 2, true, false, 'integer'],
      ['c', 4, true, false, 'integer'],
      ['d', 8, false, false, 'integer'],
      ['group_dead', 1, false, false, 'integer'],
      ['argv', 8, false, true, 'integer'],
      ['head_ptr', 8, false, true, 'integer'],
    ],
  );
  assert.equal(fields[5]!.type, 'const char *const *');
});

test('fixed arrays: char text, byte and wider elements', () => {
  const fields = parseFormatFields(`\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:u8 saddr[4];\toffset:24;\tsize:4;\tsigned:0;
\tfield:__u8 saddr_v6[16];\toffset:28;\tsize:16;\tsigned:0;
\tfield:unsigned long args[6];\toffset:48;\tsize:48;\tsigned:0;
\tfield:long ret[3];\toffset:96;\tsize:24;\tsigned:1;`);
  assert.deepEqual(
    fields.map((f) => [f.name, f.layout]),
    [
      ['prev_comm', { kind: 'array', length: 16, elementSize: 1, text: true }],
      ['saddr', { kind: 'array', length: 4, elementSize: 1, text: false }],
      ['saddr_v6', { kind: 'array', length: 16, elementSize: 1, text: false }],
      ['args', { kind: 'array', length: 6, elementSize: 8, text: false }],
      ['ret', { kind: 'array', length: 3, elementSize: 8, text: false }],
    ],
  );
  assert.equal(fields[3]!.type, 'unsigned long');
});

test('odd sizes and unevaluated bounds fall back to bytes', () => {
  const fields = parseFormatFields(`\tfield:u8 saddr[sizeof(struct sockaddr_in6)];\toffset:8;\tsize:28;\tsigned:0;
\tfield:struct foo bar;\toffset:36;\tsize:12;\tsigned:0;
\tfield:u16 odd[3];\toffset:48;\tsize:5;\tsigned:0;`);
  assert.deepEqual(
    fields.map((f) => [f.name, f.layout]),
    [
      ['saddr', { kind: 'array', length: 28, elementSize: 1, text: false }],
      ['bar', { kind: 'array', length: 12, elementSize: 1, text: false }],
      ['odd', { kind: 'array', length: 5, elementSize: 1, text: false }],
    ],
  );
});

test('__data_loc, __rel_loc and trailing arrays are dynamic', () => {
  const fields = parseFormatFields(`\tfield:__data_loc char[] name;\toffset:12;\tsize:4;\tsigned:0;
\tfield:__rel_loc char[] rel;\toffset:16;\tsize:4;\tsigned:0;
\tfield:__data_loc u64[] stack;\toffset:20;\tsize:4;\tsigned:0;
\tfield:__data_loc unsigned int[] ids;\toffset:24;\tsize:4;\tsigned:0;
\tfield:__data_loc cpumask_t mask;\toffset:28;\tsize:4;\tsigned:0;
\tfield:char buf[];\toffset:32;\tsize:0;\tsigned:0;
\tfield:u32 words[];\toffset:32;\tsize:0;\tsigned:0;`);
  assert.deepEqual(
    fields.map((f) => [f.name, f.type, f.layout]),
    [
      ['name', '__data_loc char[]', { kind: 'dynamic', location: 'data_loc', elementSize: 1, text: true }],
      ['rel', '__rel_loc char[]', { kind: 'dynamic', location: 'rel_loc', elementSize: 1, text: true }],
      ['stack', '__data_loc u64[]', { kind: 'dynamic', location: 'data_loc', elementSize: 8, text: false }],
      ['ids', '__data_loc unsigned int[]', { kind: 'dynamic', location: 'data_loc', elementSize: 1, text: false }],
      ['mask', '__data_loc cpumask_t', { kind: 'dynamic', location: 'data_loc', elementSize: 1, text: false }],
      ['buf', 'char', { kind: 'dynamic', location: 'tail', elementSize: 1, text: true }],
      ['words', 'u32', { kind: 'dynamic', location: 'tail', elementSize: 4, text: false }],
    ],
  );
});

test('the header_page fields parse with the same syntax', () => {
  const fields = parseFormatFields(`\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;
\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;
\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;`);
  assert.deepEqual(
    fields.map((f) => [f.name, f.offset, f.size]),
    [
      ['timestamp', 0, 8],
      ['commit', 8, 8],
      ['overwrite', 8, 1],
      ['data', 16, 4080],
    ],
  );
});

test('text that is not a format is refused', () => {
  assert.throws(() => parseEventFormat('hello'), /not a tracefs event format/);
});
