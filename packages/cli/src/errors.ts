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
