import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { parseTimeOption, wholeNumberOption } from '../home.js';

interface CodeOptions {
  secret?: string;
  uri?: string;
  type?: string;
  algorithm?: string;
  digits?: string;
  period?: string;
  counter?: string;
  time?: string;
  folder?: string;
}

/** Options that describe a secret's parameters; a URI carries its own. */
const SECRET_OPTIONS = ['type', 'algorithm', 'digits', 'period', 'counter'] as const;

function counterValue(value: string): bigint {
  if (!/^\d{1,20}$/.test(value))
    throw new CliError(`--counter: must be a whole number, got ${JSON.stringify(value)}`);
  return BigInt(value); // the engine checks the 64-bit range
}

/** The code the options describe; flag conflicts are CliErrors, field errors OtpErrors. */
async function code(options: CodeOptions): Promise<string> {
  const otp = await import('@tessera/otp');
  const time = parseTimeOption(options.time);
  if (options.uri !== undefined) {
    if (options.secret !== undefined) throw new CliError('--secret and --uri exclude each other; give one');
    const given = SECRET_OPTIONS.find((name) => options[name] !== undefined);
    if (given) throw new CliError(`--${given} goes with --secret; a URI carries its own parameters`);
    return otp.generateCode({ entry: otp.parseUri(options.uri), time });
  }
  if (options.secret === undefined) throw new CliError('give --secret BASE32 or --uri URI');

  const type = (options.type ?? otp.DEFAULTS.type).toLowerCase();
  if (options.counter !== undefined && type !== 'hotp')
    throw new CliError('--counter applies to --type hotp only');
  if (options.period !== undefined && type === 'hotp')
    throw new CliError('--period applies to time-based codes, not hotp');
  if (type === 'hotp' && options.counter === undefined)
    throw new CliError('--counter is required for --type hotp');
  // normalizeEntry checks every field and applies the defaults; the counter goes to hotp() directly
  // because it may exceed what an entry stores (2^53 - 1) while RFC 4226 allows 64 bits.
  const entry = otp.normalizeEntry({
    type: type as 'totp',
    secret: options.secret,
    algorithm: options.algorithm as 'SHA1' | undefined,
    digits: wholeNumberOption('digits', options.digits),
    period: wholeNumberOption('period', options.period),
  });
  if (entry.type === 'hotp') {
    const counter = counterValue(options.counter as string);
    return otp.hotp({ secret: entry.secret, counter, algorithm: entry.algorithm, digits: entry.digits });
  }
  return otp.generateCode({ entry, time });
}

/** `tessera code`: prints one code, statelessly (the brief's interface; `--secret` is marked there). */
export function register(program: Command): void {
  program
    .command('code')
    .description('print the code for a secret or an otpauth:// URI, and nothing else (stores nothing)')
    .option('--secret <base32>', 'the Base32 secret (spaces, hyphens and lower case are fine)')
    .option('--type <type>', 'totp, hotp or steam (default: totp)')
    .option('--algorithm <name>', 'SHA1, SHA256 or SHA512 (default: SHA1)')
    .option('--digits <n>', 'code length, 6 to 10 (default: 6; Steam: 5)')
    .option('--period <seconds>', 'TOTP time step (default: 30)')
    .option('--counter <n>', 'HOTP counter, 0 to 2^64 - 1 (required for --type hotp)')
    .option('--uri <uri>', 'an otpauth:// or steam:// URI, instead of --secret and its options')
    .option('--time <unix-seconds>', 'the time to compute the code for (default: now)')
    .option('--folder <folder>', 'the code of an entry QUERY of this shared folder (name or id)')
    .argument('[query]', 'with --folder: issuer, account, "issuer:account" or id')
    .action(async (query: string | undefined, options: CodeOptions, command: Command) => {
      if (options.folder !== undefined) return folderCode(query, options, command);
      if (query !== undefined)
        throw new CliError('a QUERY goes with --folder; for your own entries use `tessera show`');
      process.stdout.write(`${await code(options)}\n`);
    });
}

/**
 * `code --folder F QUERY`: the code of a shared folder's entry, from this device's synced copy; the
 * reveal is appended to the folder's (self-reported) activity log for its owners. An HOTP entry's
 * next code moves the counter every member shares: it is sealed and accepted by the server before
 * the code is printed, so no two takes (by any member) print the same code. Viewers cannot move it,
 * so they are refused.
 */
async function folderCode(query: string | undefined, options: CodeOptions, command: Command): Promise<void> {
  if (query === undefined) throw new CliError('name the entry: tessera code --folder F QUERY');
  const stray = [...SECRET_OPTIONS, 'secret', 'uri'].find(
    (name) => options[name as keyof CodeOptions] !== undefined,
  );
  if (stray) throw new CliError(`--${stray} and --folder exclude each other`);
  const { codeTimeOf } = await import('../home.js');
  const { findFolderEntry } = await import('./folder-entry.js');
  const { currentCode } = await import('@tessera/vault');
  const { nextFolderHotp, recordFolderActivity } = await import('@tessera/vault/folders');
  const { vault, keychain, folder, entry } = await findFolderEntry({
    command,
    folder: options.folder!,
    query,
  });
  let shown: string;
  if (entry.type === 'hotp') {
    if (options.time !== undefined) throw new CliError('--time applies to time-based codes, not hotp');
    shown = (await nextFolderHotp({ keychain, folder, id: entry.id })).code;
  } else {
    shown = currentCode(entry, codeTimeOf(vault, parseTimeOption(options.time))).code!;
  }
  process.stdout.write(`${shown}\n`);
  await recordFolderActivity({ keychain, folder, entry: entry.id, kind: 'code-revealed' }).catch(
    (err: Error) => process.stderr.write(`tessera: the reveal was not logged: ${err.message}\n`),
  );
}
