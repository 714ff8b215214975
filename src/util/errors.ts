/**
 * An error meant for the user: printed as one line, never with a stack.
 * exitCode follows the usual convention: 2 for bad input, 1 for a failed run.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

const FILESYSTEM_ERRORS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EACCES', 'EPERM', 'EIO', 'ENOENT', 'ENOTDIR', 'EISDIR']);

/** A file operation the machine refused (disk full, read-only...): the user's to fix, said in one line. */
export function isFilesystemError(error: unknown): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && FILESYSTEM_ERRORS.has(code) && typeof syscall === 'string';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
