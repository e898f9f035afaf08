import { Command, CommanderError } from 'commander';
import { describeError } from './errors.js';
import { commandModules } from './commands/index.js';
import { registerPassphraseOption } from './home.js';
import { printable } from './terminal-text.js';

export const VERSION = '0.2.0';

/** Options of {@link buildProgram}. */
export interface BuildProgramOptions {
  /**
   * The command-line words after `tessera`. When they name a command, only that command's module is
   * loaded (start-up time); otherwise (help, an unknown word, none) every command is registered.
   */
  args?: readonly string[];
}

/** Builds the `tessera` program. Each command module registers itself; heavy modules load in actions. */
export async function buildProgram(options: BuildProgramOptions = {}): Promise<Command> {
  const program = new Command('tessera')
    .description('Tessera: two-factor codes that follow you to every device, end-to-end encrypted.')
    .version(VERSION)
    .option('--home <dir>', 'directory holding this device state (or TESSERA_HOME)')
    .showHelpAfterError(false)
    .exitOverride();
  registerPassphraseOption(program);
  // Every command that opened a vault backs up its changes afterwards (sync.ts). A command that
  // opened none leaves sync.ts unread until here, where it finds nothing to do.
  program.hook('postAction', async () => (await import('./commands/sync.js')).afterCommand());
  // After sync's hook, so entries a keychain sync pulled are in the local folder backup.
  program.hook('postAction', async () => (await import('./commands/backup.js')).afterCommand());
  const named = firstWord(options.args ?? []);
  const only = commandModules.find((c) => c.name === named);
  const modules = await Promise.all((only ? [only] : commandModules).map((c) => c.load()));
  for (const { register } of modules) register(program);
  return program;
}

/** The first word that is not an option (skipping the value of `--home`), as `unknownCommand` reads it. */
function firstWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
    if (arg === '--home') i++;
  }
  return undefined;
}

/** Runs the CLI; returns the process exit code. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  // `tessera list | head` closes the pipe early; that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = await buildProgram({ args: argv.slice(2) });
  const unknown = unknownCommand(program, argv.slice(2));
  if (unknown) {
    process.stderr.write(`tessera: ${unknown}\n`);
    return 1;
  }
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

/**
 * Commander shows the top-level help for `tessera folder --help` and exits 0 when `folder` is no
 * command; a script (or a person) must learn the command does not exist. Walks the words that name
 * commands and says which one is unknown, with the nearest real name.
 */
function unknownCommand(program: Command, args: string[]): string | null {
  let command = program;
  let path = 'tessera';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return null;
    if (arg.startsWith('-')) {
      if (arg === '--home') i++; // the global option that takes a value
      continue;
    }
    if (command.commands.length === 0) return null;
    if (arg === 'help') return null;
    const next = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) {
      const names = command.commands.map((c) => c.name());
      const near = names.filter((name) => editDistance(name, arg) <= 2 || name.startsWith(arg));
      const hint = near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}? ` : '';
      return `unknown command '${arg}' for ${path}; ${hint}see \`${path} --help\``;
    }
    command = next;
    path = `${path} ${arg}`;
  }
  return null;
}

/** Levenshtein distance, for "did you mean"; names are short. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
