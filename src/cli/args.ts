// Command-line parsing: turns argv into one typed command, or a UserError.

import { parseArgs } from 'node:util';
import { APPLICATIONS } from '../apps/catalog.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backends/backend-choice.js';
import { parseUstHelpers, UST_HELPERS, type UstHelper } from '../backends/lttng/ust-helpers.js';
import { EXPORT_FORMATS, type ExportFormat } from '../export/formats.js';
import { UserError } from '../util/errors.js';
import { closeMatches } from '../util/suggest.js';
import { parseQueryCommand, QUERY_USAGE, type QueryCommand } from './query-args.js';

export interface RecordOptions {
  custom: string | null;
  application: string | null;
  workload: string | null;
  traceWorkload: boolean;
  readyCommand: string | null;
  readyTimeoutSeconds: number;
  durationSeconds: number | null;
  output: string;
  events: string;
  systemWide: boolean;
  /** --no-user-args: leave path and address arguments as the pointers the tracepoints record. */
  userArguments: boolean;
  backend: BackendChoice;
  /** --buffer-size: per-CPU buffer bytes, or null to size it from the duration and free memory. */
  bufferBytes: number | null;
  /** --userspace [LIST]: the LTTng-UST helpers to preload, or null. */
  userspace: UstHelper[] | null;
  quiet: boolean;
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'list' }
  | { kind: 'list-events' }
  | { kind: 'doctor' }
  | { kind: 'record'; options: RecordOptions }
  | { kind: 'convert'; traceDir: string; format: ExportFormat; outputFile: string | null }
  | { kind: 'view'; traceDir: string }
  | { kind: 'analyze'; traceDir: string; json: boolean; html: string | null; outputFile: string | null; top: number; quiet: boolean }
  | { kind: 'compare'; traceA: string; traceB: string; json: boolean; outputFile: string | null; top: number; quiet: boolean }
  | QueryCommand;

const DEFAULT_TOP = 10;

export const DEFAULT_VIEW_TRACE = 'traces/latest';

export const USAGE = `usage: benchmark-tracer [APP] [options]
       benchmark-tracer --custom "CMD" [--duration S] [--workload "CMD"] [options]
       benchmark-tracer doctor | --list | --list-events
       benchmark-tracer convert TRACE_DIR [--to text|jsonl|perfetto] [-o FILE]
       benchmark-tracer convert TRACE_DIR --to parquet -o DIR
       benchmark-tracer query TRACE "SQL" [--csv|--json] [-o FILE]
       benchmark-tracer view [TRACE_DIR]
       benchmark-tracer analyze [TRACE_DIR] [--json] [--html FILE] [-o FILE] [--top N]
       benchmark-tracer compare TRACE_A TRACE_B [--json] [-o FILE] [--top N]

Records a Linux kernel trace of a command and its whole process tree, as CTF
(kernel/), babeltrace2 text (trace_output.txt) and metadata.json.

  --custom CMD         trace CMD (a shell command line) and every process it starts
  --duration S         stop after S seconds (SIGTERM, then SIGKILL after 5 s)
  --workload CMD       run CMD once the traced command is ready (untraced)
  --trace-workload     trace the workload too
  --ready-cmd CMD      readiness probe: CMD exits 0 when the traced command is ready
                       (default: the traced tree listens on a socket)
  --ready-timeout S    give up waiting for readiness after S seconds (default 60)
  --events SET         default | original | all | a comma-separated list of
                       tracepoints (sched:sched_switch, syscalls:*, syscall_entry_read)
  --system-wide        record every process but the tracer's own
  --no-user-args       do not copy paths and socket addresses into the trace with
                       bpftrace (they stay pointers; a little less overhead)
  --backend B          auto | ftrace | lttng (default auto)
  --buffer-size SIZE   per-CPU trace buffer, e.g. 512K, 64M (default: from --duration
                       and free memory); what does not fit is counted as lost
  --userspace [LIST]   also record an LTTng userspace trace of the server (ust/, merged
                       into trace_output.txt): LD_PRELOAD helpers among libc, pthread,
                       fd, dl (default libc); the server's own LTTng tracepoints too
  --output DIR         where runs go (default ./traces); alias: --project-root
  -q, --quiet          no progress display
  --list               the applications and event sets
  --list-events        every tracepoint this kernel offers
  doctor               what this machine can trace, and how to fix what is missing

  convert TRACE_DIR    read a CTF trace (ours or LTTng's; every trace under TRACE_DIR,
                       merged in time order) and print it: --to text (default) is
                       babeltrace2's text, --to jsonl one JSON object per event,
                       --to perfetto Chrome trace-event JSON for ui.perfetto.dev;
                       -o FILE writes to FILE instead of stdout; --to parquet -o DIR
                       the tables of query (docs/tables.md), one Parquet file each
${QUERY_USAGE}  view [TRACE_DIR]     the text of a trace (default traces/latest), through
                       $PAGER (or less) when stdout is a terminal
  analyze [TRACE_DIR]  what the trace says (default traces/latest): syscalls (calls,
                       errors, latency percentiles), CPU time and run-queue latency,
                       I/O per file and process, connections, the process tree, lost
                       events; --json the whole result as one JSON document, --html
                       FILE a self-contained report, -o FILE the text or JSON to FILE,
                       --top N rows per table (default ${DEFAULT_TOP})
  compare A B          the key figures of two traces side by side with B/A ratios
                       (e.g. nginx against apache under the same load); --json, -o, --top
`;

function parseSeconds(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`${flag} must be a positive number of seconds, not "${value}"`);
  return seconds;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** 4096, 512K, 64M, 1G (binary units, an optional trailing B or iB). */
export function parseSize(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^(\d+)\s*([KMG]?)(?:i?B)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : NaN;
  if (!(bytes >= 4096) || !Number.isSafeInteger(bytes)) throw new UserError(`${flag} must be a size of at least 4K, like 512K or 64M, not "${value}"`);
  return bytes;
}

/**
 * --userspace takes an optional list: the next word is its value only when it
 * is a list of helper names, so `--userspace redis` still names the app.
 */
function withUserspaceValue(argv: string[]): string[] {
  const helperList = new RegExp(`^(${Object.keys(UST_HELPERS).join('|')})(,(${Object.keys(UST_HELPERS).join('|')}))*$`);
  return argv.flatMap((arg, i) => {
    if (arg !== '--userspace') return [arg];
    return helperList.test(argv[i + 1] ?? '') ? [arg] : ['--userspace='];
  });
}

export function parseCommandLine(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: withUserspaceValue(argv),
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        list: { type: 'boolean' },
        'list-events': { type: 'boolean' },
        custom: { type: 'string' },
        workload: { type: 'string' },
        'trace-workload': { type: 'boolean' },
        'ready-cmd': { type: 'string' },
        'ready-timeout': { type: 'string' },
        duration: { type: 'string' },
        output: { type: 'string', short: 'o' },
        to: { type: 'string' },
        'project-root': { type: 'string' },
        events: { type: 'string' },
        'system-wide': { type: 'boolean' },
        'no-user-args': { type: 'boolean' },
        backend: { type: 'string' },
        'buffer-size': { type: 'string' },
        userspace: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        json: { type: 'boolean' },
        html: { type: 'string' },
        top: { type: 'string' },
        csv: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UserError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (values.list) return { kind: 'list' };
  if (values['list-events']) return { kind: 'list-events' };
  if (positionals[0] === 'doctor') return { kind: 'doctor' };
  if (positionals[0] === 'query') return parseQueryCommand(positionals, values);
  if (values.csv) throw new UserError('--csv goes with query (see --help)');
  if (positionals[0] === 'convert' || positionals[0] === 'view') {
    if (values.json || values.html || values.top) throw new UserError(`--json, --html and --top go with analyze and compare (see --help)`);
    return parseReadCommand(positionals, values.to, values.output);
  }
  if (positionals[0] === 'analyze' || positionals[0] === 'compare') return parseAnalysisCommand(positionals, values);
  if (values.json || values.html || values.top) throw new UserError('--json, --html and --top go with analyze and compare (see --help)');
  if (values.to) throw new UserError('--to goes with convert (see --help)');
  if (positionals.length > 1) throw new UserError(`one application at a time, got: ${positionals.join(' ')}`);

  const application = positionals[0] ?? null;
  if (application && values.custom) throw new UserError(`give either an application (${application}) or --custom, not both`);
  if (!application && !values.custom) throw new UserError('nothing to trace: name an application or give --custom "CMD" (see --help)');
  if (application) {
    const known = APPLICATIONS.map((a) => a.name);
    if (!known.includes(application)) {
      const close = closeMatches(application, known);
      throw new UserError(`unknown application "${application}"${close.length ? `; did you mean ${close.join(', ')}?` : ''} (known: ${known.join(', ')}, or --custom)`);
    }
  }
  if (values.output && values['project-root']) throw new UserError('--output and --project-root are the same option; give one');

  const backend = (values.backend ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) throw new UserError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not "${values.backend}"`);
  if (values['trace-workload'] && !values.workload) throw new UserError('--trace-workload needs --workload');

  return {
    kind: 'record',
    options: {
      custom: values.custom ?? null,
      application,
      workload: values.workload ?? null,
      traceWorkload: values['trace-workload'] ?? false,
      readyCommand: values['ready-cmd'] ?? null,
      readyTimeoutSeconds: parseSeconds('--ready-timeout', values['ready-timeout']) ?? 60,
      durationSeconds: parseSeconds('--duration', values.duration),
      output: values.output ?? values['project-root'] ?? 'traces',
      events: values.events ?? 'default',
      systemWide: values['system-wide'] ?? false,
      userArguments: !(values['no-user-args'] ?? false),
      backend,
      bufferBytes: parseSize('--buffer-size', values['buffer-size']),
      userspace: values.userspace === undefined ? null : parseUstHelpers(values.userspace),
      quiet: values.quiet ?? false,
    },
  };
}

function parseReadCommand(positionals: string[], to: string | undefined, output: string | undefined): Command {
  const [verb, traceDir, ...extra] = positionals;
  if (extra.length > 0) throw new UserError(`${verb} takes one trace directory, got: ${positionals.slice(1).join(' ')}`);
  if (verb === 'view') {
    if (to || output) throw new UserError('view takes no --to or -o; use convert (see --help)');
    return { kind: 'view', traceDir: traceDir ?? DEFAULT_VIEW_TRACE };
  }
  if (!traceDir) throw new UserError('convert needs a trace directory: benchmark-tracer convert TRACE_DIR --to text');
  const format = (to ?? 'text') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UserError(`--to must be one of ${EXPORT_FORMATS.join(', ')}, not "${to}"`);
  if (format === 'parquet' && !output) throw new UserError('convert --to parquet writes a directory of tables: give it with -o DIR');
  return { kind: 'convert', traceDir, format, outputFile: output ?? null };
}

function parseAnalysisCommand(
  positionals: string[],
  values: { json?: boolean; html?: string; top?: string; output?: string; to?: string; quiet?: boolean },
): Command {
  const [verb, ...dirs] = positionals;
  if (values.to) throw new UserError(`${verb} takes no --to; use convert (see --help)`);
  let top = DEFAULT_TOP;
  if (values.top !== undefined) {
    top = Number(values.top);
    if (!Number.isInteger(top) || top <= 0) throw new UserError(`--top must be a positive whole number, not "${values.top}"`);
  }
  const common = { json: values.json ?? false, outputFile: values.output ?? null, top, quiet: values.quiet ?? false };
  if (verb === 'analyze') {
    if (dirs.length > 1) throw new UserError(`analyze takes one trace directory, got: ${dirs.join(' ')}`);
    if (values.html === '') throw new UserError('--html needs a file name');
    return { kind: 'analyze', traceDir: dirs[0] ?? DEFAULT_VIEW_TRACE, html: values.html ?? null, ...common };
  }
  if (values.html !== undefined) throw new UserError('--html goes with analyze (see --help)');
  if (dirs.length !== 2) throw new UserError(`compare takes two trace directories, got ${dirs.length}: benchmark-tracer compare TRACE_A TRACE_B`);
  return { kind: 'compare', traceA: dirs[0]!, traceB: dirs[1]!, ...common };
}
