/** A failure the user can act on; its message is shown as is. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** One line for stderr. Known error types carry their own precise messages; anything else is a bug. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const line = err.message.split('\n')[0] ?? err.name;
    if (process.env.TESSERA_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
    return line;
  }
  return String(err);
}

/**
 * A file that could not be read, in words: `ENOENT` means nothing to most people.
 * `what` names the file's role ("the password file"); without it the path alone is named.
 */
export function fileError(err: unknown, file: string, what?: string): CliError {
  const named = what ? `the ${what} ${file}` : file;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? `${named} does not exist`
      : code === 'EACCES' || code === 'EPERM'
        ? `no permission to read ${named}`
        : code === 'EISDIR'
          ? `${named} is a folder, not a file`
          : `cannot read ${named}: ${code ?? (err as Error).message}`;
  return new CliError(reason);
}
