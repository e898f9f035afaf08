import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultHome } from '@tessera/vault/node';
import type { Vault } from '@tessera/vault';
import { CliError, fileError } from './errors.js';

/**
 * The directory holding this device's state: `--home` ?? TESSERA_HOME ?? the platform data
 * directory (see `defaultHome`). Takes any command; global options are looked up from the root.
 */
export function resolveHome(command: Command): string {
  const home = (command.optsWithGlobals() as { home?: string }).home ?? process.env.TESSERA_HOME;
  return resolve(home && home.length > 0 ? home : defaultHome());
}

/** Adds the global `--passphrase-file` option (called once, by `buildProgram`). */
export function registerPassphraseOption(program: Command): void {
  program.option(
    '--passphrase-file <file>',
    'file whose first line is the vault passphrase (or TESSERA_PASSPHRASE_FILE, TESSERA_PASSPHRASE)',
  );
}

/**
 * The vault passphrase given for this run, if any: `--passphrase-file`, TESSERA_PASSPHRASE_FILE,
 * then TESSERA_PASSPHRASE (like restic's password options). Never taken as a plain argument.
 */
export async function givenPassphrase(command: Command): Promise<string | undefined> {
  const file =
    (command.optsWithGlobals() as { passphraseFile?: string }).passphraseFile ??
    process.env.TESSERA_PASSPHRASE_FILE;
  if (file) return readSecretFile(file, 'passphrase file');
  const value = process.env.TESSERA_PASSPHRASE;
  return value && value.length > 0 ? value : undefined;
}

/** The first line of a secret file, without its line ending; refuses an empty one. */
export async function readSecretFile(file: string, what: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, what);
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0) throw new CliError(`the ${what} ${file} is empty`);
  return line;
}

/** The password of an export file: `--password-file`, else TESSERA_PASSWORD. Never an argument. */
export async function givenPassword(passwordFile: string | undefined): Promise<string | undefined> {
  if (passwordFile) return readSecretFile(passwordFile, 'password file');
  const value = process.env.TESSERA_PASSWORD;
  return value && value.length > 0 ? value : undefined;
}

/** How the vault of a command's home is opened: home, the given passphrase, and a prompt on a terminal. */
export async function vaultOptions(
  command: Command,
): Promise<{ home: string; passphrase?: string; askPassphrase?: () => Promise<string> }> {
  return {
    home: resolveHome(command),
    passphrase: await givenPassphrase(command),
    askPassphrase: process.stdin.isTTY ? () => askSecret('Vault passphrase') : undefined,
  };
}

/**
 * Opens this device's vault for a command. A passphrase-locked vault takes the passphrase given
 * for the run, or asks for it on a terminal.
 */
export async function openCliVault(command: Command): Promise<Vault> {
  const { openNodeVault } = await import('@tessera/vault/node');
  const vault = await openNodeVault(await vaultOptions(command));
  const sync = await import('./commands/sync.js');
  if (!isKeychainCommand(command)) await sync.catchUpIfPending(vault);
  sync.watchForBackup(vault);
  (await import('./commands/backup.js')).trackForLocalBackup(vault);
  return vault;
}

/** `tessera keychain ...` and `tessera sync` run the join themselves (login resumes it, recover replaces it). */
function isKeychainCommand(command: Command): boolean {
  for (let c: Command | null = command; c; c = c.parent)
    if (c.name() === 'keychain' || c.name() === 'sync') return true;
  return false;
}

/** Asks for a secret on the terminal without echoing it. */
export async function askSecret(message: string): Promise<string> {
  const { password, isCancel } = await import('@clack/prompts');
  const answer = await password({ message, output: process.stderr });
  if (isCancel(answer) || !answer) throw new CliError('nothing entered; nothing changed');
  return answer;
}

/** Prints the vault's clock-skew warning, if any, to stderr (list, show and watch call this). */
export function warnClockSkew(vault: Vault): void {
  const warning = vault.clockWarning();
  if (warning) process.stderr.write(`tessera: warning: ${warning}\n`);
}

/**
 * This device's clock in Unix ms. TESSERA_TEST_CLOCK_OFFSET_MS shifts it, so tests can play a device
 * whose clock is off (codes are then corrected by the measured server offset, clock-skew.ts).
 */
export function deviceNowMs(): number {
  const shift = Number(process.env.TESSERA_TEST_CLOCK_OFFSET_MS ?? 0);
  return Date.now() + (Number.isFinite(shift) ? shift : 0);
}

/** Unix seconds to compute the vault's codes for: `--time`, else the corrected device clock. */
export function codeTimeOf(vault: Vault, explicit: number | undefined): number {
  return vault.codeTime({ deviceNowMs: deviceNowMs(), ...(explicit !== undefined ? { explicit } : {}) });
}

/** `--time UNIX_SECONDS` for reproducible output; undefined means now. The engine checks the range. */
export function parseTimeOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}(?:\.\d{1,9})?$/.test(value))
    throw new CliError(`--time: must be Unix seconds (e.g. 1700000000), got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A whole-number option such as `--digits 8`; undefined when not given. The engine checks the range. */
export function wholeNumberOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value))
    throw new CliError(`--${flag}: must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}
