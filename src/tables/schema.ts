// The tables a trace becomes (convert --to parquet, query): names, columns,
// types and what each means. One definition for the writer, the Parquet
// files' metadata, the tests and docs/tables.md. Bump TABLES_SCHEMA_VERSION
// when a column changes meaning, is renamed or removed; cached tables of an
// older version are rebuilt.

export const TABLES_SCHEMA_VERSION = 1;

export type ColumnType = 'BIGINT' | 'INTEGER' | 'VARCHAR' | 'JSON' | 'VARCHAR[]' | 'INTEGER[]';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  doc: string;
}

export interface TableSpec {
  name: TableName;
  doc: string;
  columns: ColumnSpec[];
}

export type TableName = 'events' | 'syscalls' | 'sched_slices' | 'threads' | 'processes' | 'files' | 'connections' | 'lost_events';

const ts = (doc: string): ColumnSpec => ({ name: 'ts', type: 'BIGINT', doc });

export const TABLES: readonly TableSpec[] = [
  {
    name: 'events',
    doc: 'every event of the trace, in time order',
    columns: [
      ts('time of the event, ns since the Unix epoch (the clock LTTng and our traces declare); exact'),
      { name: 'cpu', type: 'INTEGER', doc: "the stream's cpu_id" },
      { name: 'name', type: 'VARCHAR', doc: 'event name, as babeltrace2 prints it (syscall_entry_read, sched_switch)' },
      { name: 'tid', type: 'INTEGER', doc: 'thread: the tid context, else who sched_switch put on the CPU; NULL before the CPU\'s first switch' },
      { name: 'pid', type: 'INTEGER', doc: 'its process (thread group); NULL while the trace has not said' },
      { name: 'procname', type: 'VARCHAR', doc: 'the thread\'s name at this event' },
      { name: 'payload', type: 'JSON', doc: 'the payload fields by name, as in the text; integers past 2^53 and 64-bit pointers that do not fit a double are strings; an enumeration is its integer, a variant {option: value}' },
    ],
  },
  {
    name: 'syscalls',
    doc: 'one row per syscall entry event: the call, paired with its exit on the same thread',
    columns: [
      ts('entry time, ns since the Unix epoch'),
      { name: 'dur', type: 'BIGINT', doc: 'ns from entry to exit; NULL when the exit is not in the trace (in flight at the end, lost, exit/exit_group)' },
      { name: 'cpu', type: 'INTEGER', doc: 'CPU of the entry' },
      { name: 'tid', type: 'INTEGER', doc: 'thread (NULL when unknown)' },
      { name: 'pid', type: 'INTEGER', doc: 'process' },
      { name: 'procname', type: 'VARCHAR', doc: 'thread name at the entry' },
      { name: 'name', type: 'VARCHAR', doc: 'syscall name (read, openat; compat_ prefix for 32-bit tasks)' },
      { name: 'ret', type: 'BIGINT', doc: 'return value; NULL without exit' },
      { name: 'errno', type: 'VARCHAR', doc: 'ENOENT, EAGAIN... when ret is an error (-4095..-1), else NULL' },
      { name: 'fd', type: 'INTEGER', doc: 'the fd argument (fd, fildes, oldfd, epfd, in_fd); NULL when the call has none (a new fd is ret)' },
      { name: 'file_id', type: 'BIGINT', doc: 'files.id of the file the call used (its fd argument) or made (open, socket, accept, dup...); NULL when none' },
      { name: 'path', type: 'VARCHAR', doc: "open's filename when the trace records it, else the fd's path as known at the exit (files.path may know it later)" },
      { name: 'bytes', type: 'BIGINT', doc: 'bytes read or written (read, write, sendto, sendfile... with ret >= 0), else NULL' },
    ],
  },
  {
    name: 'sched_slices',
    doc: 'who ran on each CPU, from one sched_switch to the next (the last slice ends at the last event); idle is tid 0',
    columns: [
      ts('start: the sched_switch that put the thread on the CPU, ns since the Unix epoch'),
      { name: 'dur', type: 'BIGINT', doc: 'ns on the CPU' },
      { name: 'cpu', type: 'INTEGER', doc: 'CPU' },
      { name: 'tid', type: 'INTEGER', doc: 'next_tid of the switch (0: idle)' },
      { name: 'pid', type: 'INTEGER', doc: "the thread's process as known at the end of the slice" },
      { name: 'procname', type: 'VARCHAR', doc: 'next_comm of the switch' },
      { name: 'end_state', type: 'BIGINT', doc: 'prev_state of the switch that ended the slice (kernel task state bits: 0 runnable/preempted, 1 S, 2 D...); NULL for the last slice' },
      { name: 'runqueue_ns', type: 'BIGINT', doc: 'ns from the wakeup (sched_waking, else sched_wakeup; sched_wakeup_new) to this switch-in; NULL when not woken in the trace' },
    ],
  },
  {
    name: 'threads',
    doc: 'every thread the trace names or runs',
    columns: [
      { name: 'tid', type: 'INTEGER', doc: 'thread id' },
      { name: 'pid', type: 'INTEGER', doc: 'its process; NULL when never said' },
      { name: 'name', type: 'VARCHAR', doc: 'its last name (context, sched_switch, exec, rename, statedump)' },
      { name: 'first_ts', type: 'BIGINT', doc: 'its first event (NULL: only named, by a statedump or fork)' },
      { name: 'last_ts', type: 'BIGINT', doc: 'its last event' },
      { name: 'events', type: 'BIGINT', doc: 'events in its context' },
    ],
  },
  {
    name: 'processes',
    doc: 'the process tree: forks, execs and exits (from sched_process_*, task_newtask and statedumps)',
    columns: [
      { name: 'pid', type: 'INTEGER', doc: 'process id' },
      { name: 'parent_pid', type: 'INTEGER', doc: 'parent; NULL when unknown' },
      { name: 'name', type: 'VARCHAR', doc: "the main thread's last name" },
      { name: 'names', type: 'VARCHAR[]', doc: 'every name of the main thread, in order' },
      { name: 'exec', type: 'VARCHAR', doc: "the last exec'd filename; NULL when no exec in the trace" },
      { name: 'execs', type: 'VARCHAR[]', doc: "every exec'd filename, in order" },
      { name: 'fork_ts', type: 'BIGINT', doc: 'fork time, ns since the Unix epoch; NULL when forked before the trace' },
      { name: 'exit_ts', type: 'BIGINT', doc: 'exit of its last thread; NULL when alive at the end' },
      { name: 'threads', type: 'INTEGER', doc: 'threads seen' },
    ],
  },
  {
    name: 'files',
    doc: 'open file descriptions that carried I/O or were named: one row per open (dup and fork share it), written when its last fd closes or at the end',
    columns: [
      { name: 'id', type: 'BIGINT', doc: 'key for syscalls.file_id and connections.file_id' },
      { name: 'path', type: 'VARCHAR', doc: 'path (open, or a statedump: socket:[inode], pipe:[inode], anon_inode:...); NULL when never named' },
      { name: 'kind', type: 'VARCHAR', doc: 'file, socket, pipe, anon, unknown' },
      { name: 'pids', type: 'INTEGER[]', doc: 'processes that did I/O on it' },
      { name: 'reads', type: 'BIGINT', doc: 'successful reads' },
      { name: 'read_bytes', type: 'BIGINT', doc: 'bytes read' },
      { name: 'writes', type: 'BIGINT', doc: 'successful writes' },
      { name: 'write_bytes', type: 'BIGINT', doc: 'bytes written' },
      { name: 'close_ts', type: 'BIGINT', doc: 'when its last fd closed; NULL when open at the end' },
    ],
  },
  {
    name: 'connections',
    doc: 'sockets accepted, connected, or that carried bytes',
    columns: [
      { name: 'file_id', type: 'BIGINT', doc: 'files.id' },
      { name: 'pid', type: 'INTEGER', doc: 'process' },
      { name: 'fd', type: 'INTEGER', doc: 'fd' },
      { name: 'direction', type: 'VARCHAR', doc: 'accepted, connected, unknown' },
      { name: 'family', type: 'VARCHAR', doc: 'inet, inet6, unix, or a statedump protocol (tcp, tcp6, udp, unix)' },
      { name: 'local', type: 'VARCHAR', doc: 'local address where known' },
      { name: 'peer', type: 'VARCHAR', doc: 'peer address where known' },
      { name: 'sent_bytes', type: 'BIGINT', doc: 'bytes written to it' },
      { name: 'received_bytes', type: 'BIGINT', doc: 'bytes read from it' },
      { name: 'open_ts', type: 'BIGINT', doc: 'accept/connect time; NULL when made before the trace' },
      { name: 'close_ts', type: 'BIGINT', doc: 'when its last fd closed; NULL when open at the end' },
    ],
  },
  {
    name: 'lost_events',
    doc: "the reader's discarded-event notices: events a full buffer dropped, or packets missing",
    columns: [
      { name: 'cpu', type: 'INTEGER', doc: "CPU of the stream (its file's _N suffix); NULL when unknown" },
      { name: 'what', type: 'VARCHAR', doc: 'event or packet' },
      { name: 'count', type: 'BIGINT', doc: 'how many' },
      { name: 'begin_ts', type: 'BIGINT', doc: 'the range they were lost in: from, ns since the Unix epoch' },
      { name: 'end_ts', type: 'BIGINT', doc: 'to' },
      { name: 'stream', type: 'VARCHAR', doc: 'stream file' },
    ],
  },
];

export function tableSpec(name: TableName): TableSpec {
  return TABLES.find((t) => t.name === name)!;
}
