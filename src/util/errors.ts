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

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
