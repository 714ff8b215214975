import { UserError } from '../util/errors.js';
import { findExecutable } from '../util/executables.js';

// Words that start a shell construct rather than name a program.
const SHELL_WORDS = new Set([
  'if', 'for', 'while', 'until', 'case', '{', '(', '!', 'exec', 'cd', 'export', 'set', 'eval', '.', 'source',
  'true', 'false', 'echo', 'printf', 'read', 'test', '[', 'trap', 'wait', 'sleep', 'ulimit', 'umask', 'command',
]);

/**
 * Fails early, with one line, when the program a command line starts does not
 * exist. Only the first word is checked, after VAR=value assignments; shell
 * constructs are left to the shell.
 */
export function checkCommandExists(commandLine: string): void {
  const words = commandLine.trim().split(/\s+/);
  let first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (!commandLine.trim()) throw new UserError('the command is empty');
  if (!first || SHELL_WORDS.has(first) || /^[({!]/.test(first) || /[$`"'\\;|&<>]/.test(first)) return;
  first = first.replace(/^~(?=\/)/, process.env.HOME ?? '~');
  if (!findExecutable(first)) {
    throw new UserError(`command not found: ${first} (in "${commandLine}")`);
  }
}
