// The command line's one specification: every subcommand, its arguments and
// options, declared once with commander; the help is generated from it.
// parseCommandLine turns argv into one typed command, or a UserError (one
// line, exit 2). Adding a subcommand is one entry in COMMANDS.
//
// commander 13, on purpose: zero dependencies, typed, maintained, with
// subcommands, a default command and optional option values; 14 needs Node
// 20 and 15 Node 22.12, and Debian 12's nodejs (what CI installs) is 18.19.

import { createRequire } from 'node:module';
import type { OptionValues } from 'commander';
import { APPLICATIONS } from '../apps/catalog.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backends/backend-choice.js';
import { parseUstHelpers, UST_HELPERS, type UstHelper } from '../backends/lttng/ust-helpers.js';
import { EXPORT_FORMATS, type ExportFormat } from '../export/formats.js';
import { queryCommand, type QueryCommand } from './query-args.js';
import { UserError } from '../util/errors.js';
import { closeMatches } from '../util/suggest.js';
import { TOOL_NAME } from '../version.js';

// commander is CommonJS: required as such, not imported through its ESM
// wrapper, for which Node first scans its source for the names it exports
// (a third of the time loading commander takes, on every start).
const { Command: CommanderCommand, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof import('commander');
type CommanderCommand = import('commander').Command;
type CommanderError = import('commander').CommanderError;

export interface RecordOptions {
  custom: string | null;
  application: string | null;
  workload: string | null;
  traceWorkload: boolean;
  readyCommand: string | null;
  readyTimeoutSeconds: number;
  durationSeconds: number | null;
  /** --runs-dir: where run directories go. */
  runsDir: string;
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
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'list' }
  | { kind: 'list-events' }
  | { kind: 'doctor' }
  | { kind: 'record'; options: RecordOptions }
  | { kind: 'convert'; traceDir: string; format: ExportFormat; outputFile: string | null }
  | { kind: 'view'; traceDir: string }
  | { kind: 'analyze'; traceDir: string; json: boolean; html: string | null; outputFile: string | null; top: number; quiet: boolean }
  | { kind: 'compare'; traceA: string; traceB: string; json: boolean; outputFile: string | null; top: number; quiet: boolean }
  | { kind: 'completion' }
  | QueryCommand;

const DEFAULT_TOP = 10;

export const DEFAULT_VIEW_TRACE = 'traces/latest';

export const EXIT_STATUS = `Exit status:
  0    done
  1    the run failed, or the trace (or its metadata.json) is damaged
  2    bad usage: an unknown option, a wrong value, a path that is no trace
  130  interrupted (Ctrl-C, SIGTERM)`;

/** What a subcommand's parser gets besides its own arguments and options. */
interface ParseContext {
  /** Says something on stderr without failing (a deprecated spelling). */
  note: (message: string) => void;
}

/** One subcommand: commander's declaration of it, and how its arguments and options become a Command. */
export interface CommandSpec {
  /** Its name and arguments, in commander's notation: 'compare <traceA> <traceB>', 'view [trace]'. */
  name: string;
  summary: string;
  /** The command run without a subcommand name (recording). */
  isDefault?: boolean;
  /** Adds its options. */
  options?: (command: CommanderCommand) => void;
  /** Text after the generated help (examples, details). */
  helpAfter?: string;
  toCommand(args: Array<string | undefined>, options: OptionValues, context: ParseContext): Command;
}

function parseSeconds(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`${flag} must be a positive number of seconds, not "${value}"`);
  return seconds;
}

function parseTop(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TOP;
  const top = Number(value);
  if (!Number.isInteger(top) || top <= 0) throw new UserError(`--top must be a positive whole number, not "${value}"`);
  return top;
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

const isHelperList = (value: string) => value.split(',').every((name) => name in UST_HELPERS);

function recordCommand(args: Array<string | undefined>, o: OptionValues, context: ParseContext): Command {
  let application = args[0] ?? null;
  // --userspace's value is optional: a word after it that is not a list of
  // helpers is the application (`--userspace redis`), as before the spec.
  let userspace: string | undefined = o.userspace === true ? '' : (o.userspace as string | undefined);
  if (userspace !== undefined && userspace !== '' && !isHelperList(userspace) && application === null && !userspace.includes(',')) {
    application = userspace;
    userspace = '';
  }
  if (application && o.custom) throw new UserError(`give either an application (${application}) or --custom, not both`);
  if (!application && !o.custom) throw new UserError('nothing to trace: name an application or give --custom "CMD" (see --help)');
  if (application) {
    const known = APPLICATIONS.map((a) => a.name);
    if (!known.includes(application)) {
      const close = closeMatches(application, known);
      throw new UserError(`unknown application "${application}"${close.length ? `; did you mean ${close.join(', ')}?` : ''} (known: ${known.join(', ')}, or --custom)`);
    }
  }
  const runsDirs = (['runsDir', 'projectRoot', 'output'] as const).filter((key) => o[key] !== undefined);
  if (runsDirs.length > 1) throw new UserError('--runs-dir, --project-root and --output (for a recording) are the same option; give one');
  if (o.output !== undefined) {
    context.note('-o/--output for a recording is deprecated: use --runs-dir DIR (-o/--output names an output file, as in convert and analyze)');
  }
  const backend = (o.backend ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) throw new UserError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not "${o.backend}"`);
  if (o.traceWorkload && !o.workload) throw new UserError('--trace-workload needs --workload');
  return {
    kind: 'record',
    options: {
      custom: o.custom ?? null,
      application,
      workload: o.workload ?? null,
      traceWorkload: o.traceWorkload ?? false,
      readyCommand: o.readyCmd ?? null,
      readyTimeoutSeconds: parseSeconds('--ready-timeout', o.readyTimeout) ?? 60,
      durationSeconds: parseSeconds('--duration', o.duration),
      runsDir: o.runsDir ?? o.projectRoot ?? o.output ?? 'traces',
      events: o.events ?? 'default',
      systemWide: o.systemWide ?? false,
      userArguments: o.userArgs !== false,
      backend,
      bufferBytes: parseSize('--buffer-size', o.bufferSize),
      userspace: userspace === undefined ? null : parseUstHelpers(userspace),
      quiet: o.quiet ?? false,
    },
  };
}

const quietOption = (command: CommanderCommand) => command.option('-q, --quiet', 'no progress display');
const outputFileOption = (command: CommanderCommand, what: string) => command.option('-o, --output <file>', `write ${what} to FILE instead of stdout`);

/** Every subcommand, in the order the help lists them. */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'record [app]',
    isDefault: true,
    summary: 'trace an application or a command under load (the default: "record" may be left out)',
    options: (c) => {
      c.option('--custom <cmd>', 'trace CMD (a shell command line) and every process it starts')
        .option('--duration <s>', 'stop after S seconds (SIGTERM, then SIGKILL after 5 s)')
        .option('--workload <cmd>', 'run CMD once the traced command is ready (untraced)')
        .option('--trace-workload', 'trace the workload too')
        .option('--ready-cmd <cmd>', 'readiness probe: CMD exits 0 when the traced command is ready (default: the traced tree listens on a socket)')
        .option('--ready-timeout <s>', 'give up waiting for readiness after S seconds (default 60)')
        .option('--events <set>', 'default | original | all | a comma-separated list of tracepoints (sched:sched_switch, syscalls:*, syscall_entry_read)')
        .option('--system-wide', "record every process but the tracer's own")
        .option('--no-user-args', 'do not copy paths and socket addresses into the trace with bpftrace (they stay pointers; a little less overhead)')
        .option('--backend <b>', `${BACKEND_CHOICES.join(' | ')} (default auto)`)
        .option('--buffer-size <size>', 'per-CPU trace buffer, e.g. 512K, 64M (default: from --duration and free memory); what does not fit is counted as lost')
        .option(
          '--userspace [list]',
          `also record an LTTng userspace trace of the server (ust/, merged into trace_output.txt): LD_PRELOAD helpers among ${Object.keys(UST_HELPERS).join(', ')} (default libc); the server's own LTTng tracepoints too`,
        )
        .option('--runs-dir <dir>', 'where run directories go (default ./traces)')
        .option('--project-root <dir>', "the same as --runs-dir (the original utility's name)")
        .addOption(new Option('-o, --output <dir>', 'deprecated spelling of --runs-dir').hideHelp());
      quietOption(c);
    },
    helpAfter: `
Writes <runs-dir>/<app>_<YYYYmmdd_HHMMSS>/ with the CTF trace (kernel/), its
babeltrace2 text (trace_output.txt) and metadata.json; <runs-dir>/latest
points at the last one.

Examples:
  ${TOOL_NAME} redis --duration 10
  ${TOOL_NAME} --custom "python3 app.py" --workload "curl -s localhost:8000/" --duration 30
  ${TOOL_NAME} nginx --userspace=libc,fd --runs-dir /var/tmp/traces`,
    toCommand: recordCommand,
  },
  {
    name: 'convert <trace>',
    summary: "print a CTF trace (ours or LTTng's; every trace under TRACE, merged in time order) as text, JSON lines or Perfetto JSON, or write it as Parquet tables",
    options: (c) => {
      c.option(
        '--to <format>',
        `${EXPORT_FORMATS.join(' | ')} (default text): babeltrace2's text, one JSON object per event, Chrome trace-event JSON for ui.perfetto.dev, the tables of query (docs/tables.md) as one Parquet file each in the directory -o names`,
      );
      outputFileOption(c, 'the result');
    },
    toCommand: ([traceDir], o) => {
      const format = (o.to ?? 'text') as ExportFormat;
      if (!EXPORT_FORMATS.includes(format)) throw new UserError(`--to must be one of ${EXPORT_FORMATS.join(', ')}, not "${o.to}"`);
      if (format === 'parquet' && !o.output) throw new UserError('convert --to parquet writes a directory of tables: give it with -o DIR');
      return { kind: 'convert', traceDir: traceDir!, format, outputFile: o.output ?? null };
    },
  },
  {
    name: 'view [trace]',
    summary: `the text of a trace (default ${DEFAULT_VIEW_TRACE}), through $PAGER (or less) when stdout is a terminal`,
    toCommand: ([traceDir]) => ({ kind: 'view', traceDir: traceDir ?? DEFAULT_VIEW_TRACE }),
  },
  {
    name: 'analyze [trace]',
    summary: `what a trace says (default ${DEFAULT_VIEW_TRACE}): syscalls, CPU time and run-queue latency, I/O per file and process, connections, the process tree, lost events`,
    options: (c) => {
      c.option('--json', 'the whole result as one JSON document').option('--html <file>', 'write a self-contained HTML report to FILE');
      outputFileOption(c, 'the text or JSON');
      c.option('--top <n>', `rows per table (default ${DEFAULT_TOP})`);
      quietOption(c);
    },
    toCommand: ([traceDir], o) => {
      if (o.html === '') throw new UserError('--html needs a file name');
      return { kind: 'analyze', traceDir: traceDir ?? DEFAULT_VIEW_TRACE, json: o.json ?? false, html: o.html ?? null, outputFile: o.output ?? null, top: parseTop(o.top), quiet: o.quiet ?? false };
    },
  },
  {
    name: 'compare <traceA> <traceB>',
    summary: 'the key figures of two traces side by side with B/A ratios (e.g. nginx against apache under the same load)',
    options: (c) => {
      c.option('--json', 'the comparison as one JSON document');
      outputFileOption(c, 'the text or JSON');
      c.option('--top <n>', `rows per table (default ${DEFAULT_TOP})`);
      quietOption(c);
    },
    toCommand: ([traceA, traceB], o) => ({ kind: 'compare', traceA: traceA!, traceB: traceB!, json: o.json ?? false, outputFile: o.output ?? null, top: parseTop(o.top), quiet: o.quiet ?? false }),
  },
  {
    name: 'query <trace> <sql>',
    summary:
      "SQL (DuckDB's dialect) over the trace's tables: events, syscalls, sched_slices, threads, processes, files, connections, lost_events (docs/tables.md); built on first use and kept beside a run (RUN/tables/) or in ~/.cache/benchmark-tracer; TRACE may also be a directory written by convert --to parquet",
    options: (c) => {
      c.option('--csv', 'CSV instead of an aligned table').option('--json', 'JSON instead of an aligned table');
      outputFileOption(c, 'the result');
      quietOption(c);
    },
    helpAfter: `example:
  ${TOOL_NAME} query traces/latest "SELECT name, count(*) AS calls, sum(dur) AS total_ns FROM syscalls GROUP BY name ORDER BY total_ns DESC LIMIT 10"`,
    toCommand: ([trace, sql], o) => queryCommand(trace!, sql!, o),
  },
  {
    name: 'doctor',
    summary: 'what this machine can trace, and how to fix what is missing',
    toCommand: () => ({ kind: 'doctor' }),
  },
  {
    name: 'list',
    summary: 'the applications and event sets',
    options: (c) => c.option('--events', 'every tracepoint this kernel offers instead'),
    toCommand: (_args, o) => ({ kind: o.events ? 'list-events' : 'list' }),
  },
  {
    name: 'completion [shell]',
    summary: 'a bash completion script, generated from this specification (zsh: after bashcompinit)',
    helpAfter: `
  eval "$(${TOOL_NAME} completion bash)"                                   # this shell
  ${TOOL_NAME} completion bash > /etc/bash_completion.d/${TOOL_NAME}      # every new shell`,
    toCommand: ([shell]) => {
      if (shell !== undefined && shell !== 'bash') throw new UserError(`completion is for bash (zsh: autoload bashcompinit; bashcompinit), not "${shell}"`);
      return { kind: 'completion' };
    },
  },
];

/** The flags a subcommand declares, long and short: to say where a misplaced one goes. */
function flagsOf(command: CommanderCommand): string[] {
  return command.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => Boolean(flag)));
}

/** commander's error, as our one line: which subcommand's help to see, and where a misplaced option goes. */
function usageError(error: CommanderError, program: CommanderCommand, failed: CommanderCommand): UserError {
  let message = error.message.replace(/^error: /, '').split('\n')[0]!;
  const unknown = /^unknown option '([^'=]+)/.exec(message)?.[1];
  if (unknown) {
    const owners = program.commands.filter((c) => c !== failed && flagsOf(c).includes(unknown)).map((c) => c.name());
    if (owners.length > 0) message = `${unknown} goes with ${owners.length > 1 ? `${owners.slice(0, -1).join(', ')} and ${owners.at(-1)}` : owners[0]}, not ${failed === program ? 'here' : failed.name()}`;
    else message = message.replace(/^unknown option/, 'Unknown option');
  }
  const help = failed === program || failed.name() === 'record' ? '--help' : `${failed.name()} --help`;
  return new UserError(`${message} (see ${help})`);
}

/** The commander program of the specification: for parsing, and for the help it prints. */
function buildProgram(onCommand: (command: Command) => void, context: ParseContext, output: { help: string }): { program: CommanderCommand; failedIn: () => CommanderCommand } {
  const program = new CommanderCommand(TOOL_NAME);
  let current: CommanderCommand = program;
  const quietOutput = {
    writeOut: (text: string) => (output.help += text),
    writeErr: () => {},
    outputError: () => {},
  };
  program
    .description('Records Linux kernel traces of real server applications under load, as CTF, and reads, analyzes and compares them.')
    .usage('[record] [APP] [options] | <command> [options]')
    .option('--version', 'print the version')
    .addOption(new Option('--list', 'the same as `list`').hideHelp())
    .addOption(new Option('--list-events', 'the same as `list --events`').hideHelp())
    .configureOutput(quietOutput)
    .exitOverride()
    .addHelpText('after', `\n${EXIT_STATUS}\n\nRun "${TOOL_NAME} <command> --help" for a command's options.\n`)
    .hook('preSubcommand', (_parent, sub) => {
      current = sub;
    });
  for (const spec of COMMANDS) {
    const command = program.command(spec.name, { isDefault: spec.isDefault ?? false }).summary(spec.summary).description(spec.summary).configureOutput(quietOutput).exitOverride();
    spec.options?.(command);
    command.addHelpText('after', `${spec.helpAfter ? `${spec.helpAfter}\n` : ''}\n${EXIT_STATUS}\n`);
    command.action((...received: unknown[]) => {
      // commander passes the declared arguments, then the options, then the command.
      const args = received.slice(0, command.registeredArguments.length) as Array<string | undefined>;
      const globals = program.opts();
      if (globals.version) onCommand({ kind: 'version' });
      else if (globals.listEvents) onCommand({ kind: 'list-events' });
      else if (globals.list) onCommand({ kind: 'list' });
      else onCommand(spec.toCommand(args, command.opts(), context));
    });
  }
  return { program, failedIn: () => current };
}

/** The specification as commander's program, to read it (the shell completion). */
export function specificationProgram(): CommanderCommand {
  return buildProgram(() => {}, { note: () => {} }, { help: '' }).program;
}

/** The help of the whole program (what --help prints). */
export function usageText(): string {
  const output = { help: '' };
  buildProgram(() => {}, { note: () => {} }, output).program.outputHelp();
  return output.help;
}

/** argv (without node and the script) -> one command; `note` gets deprecation notes for stderr. */
export function parseCommandLine(argv: string[], note: (message: string) => void = () => {}): Command {
  const output = { help: '' };
  let result: Command | null = null;
  const { program, failedIn } = buildProgram((command) => (result = command), { note }, output);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help', text: output.help };
    throw usageError(error, program, failedIn());
  }
  if (result === null) throw new Error('internal: the command line parsed into no command');
  return result;
}
