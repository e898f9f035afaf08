import { Command, CommanderError } from 'commander';
import { describeError } from './errors.js';
import { commands } from './commands/index.js';
import { printable } from './terminal-text.js';

export const VERSION = '0.2.0';

/** Builds the `tessera` program. Each command module registers itself; heavy modules load in actions. */
export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera: two-factor codes that follow you to every device, end-to-end encrypted.')
    .version(VERSION)
    .option('--home <dir>', 'directory holding this device state (or TESSERA_HOME)')
    .showHelpAfterError(false)
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; returns the process exit code. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  // `tessera list | head` closes the pipe early; that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit through here with code 0; commander already printed its message.
      return err.exitCode;
    }
    process.stderr.write(`tessera: ${printable(describeError(err))}\n`);
    return 1;
  }
}
