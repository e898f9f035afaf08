import type { Command } from 'commander';
import type { MetaValue, Vault } from '@tessera/vault';
import { CliError } from '../errors.js';
import { deviceNowMs, openCliVault, readSecretFile, wholeNumberOption } from '../home.js';
import { printable } from '../terminal-text.js';

/**
 * `tessera backup auto|now|status|off`: Tessera encrypted backups written to a local folder, like
 * the web app's folder backups (packages/web/src/app/local-backups.ts): same file names, at most
 * hourly after changes, the newest N kept. The settings live in the vault's meta (inside the
 * encrypted vault of this home, never synced); the password stays in its file, only its path is kept.
 */

/** At most one automatic backup an hour, as in the web app. */
export const BACKUP_INTERVAL_MS = 60 * 60_000;
const META_KEY = 'cli.backups';
const DEFAULT_KEEP = 10;
/** `tessera-backup-2026-12-05T14-03-22Z.json`, the web app's names: only these are ever pruned. */
const FILE_PATTERN = /^tessera-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/;

interface Settings {
  /** Automatic backups are on: absolute folder, how many to keep, absolute password file path. */
  dir?: string;
  keep?: number;
  passwordFile?: string;
  lastAt?: number;
  lastFile?: string;
  /** The entries changed since the last backup. */
  pending?: boolean;
}

/** Vaults this run opened and whether their entries changed (set by the vault's change listener). */
const tracked = new Map<Vault, { changed: boolean }>();

/** Called for every vault the CLI opens (openCliVault): notes entry changes for the automatic backup. */
export function trackForLocalBackup(vault: Vault): void {
  const state = { changed: false };
  tracked.set(vault, state);
  vault.onChange((change) => {
    if (change.kind === 'records') state.changed = true;
  });
}

function settingsOf(vault: Vault): Settings {
  return (vault.getMeta(META_KEY) as Settings | undefined) ?? {};
}

async function saveSettings(vault: Vault, settings: Settings): Promise<void> {
  await vault.setMeta(META_KEY, settings as unknown as MetaValue);
}

/** `tessera-backup-<UTC time>Z.json` for a time in Unix ms (the web app's backupFileName). */
export function backupFileName(at: number): string {
  return `tessera-backup-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}Z.json`;
}

/** Reads the backup password; warns (only) when others may read the file. */
async function readBackupPassword(file: string): Promise<string> {
  const password = await readSecretFile(file, 'backup password file');
  const { stat } = await import('node:fs/promises');
  const mode = (await stat(file)).mode;
  if (process.platform !== 'win32' && (mode & 0o044) !== 0)
    process.stderr.write(
      `tessera: warning: the backup password file ${file} is readable by other users; chmod 600 it\n`,
    );
  return password;
}

/** Refuses a folder that is missing, not a folder, or not writable, in words. */
async function checkFolder(dir: string): Promise<void> {
  const { stat, access, constants } = await import('node:fs/promises');
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new CliError(`the backup folder ${dir} does not exist`);
    throw new CliError(`cannot use the backup folder ${dir}: ${err.code ?? err.message}`);
  });
  if (!info.isDirectory()) throw new CliError(`the backup folder ${dir} is a file, not a folder`);
  await access(dir, constants.W_OK).catch(() => {
    throw new CliError(`no permission to write to the backup folder ${dir}`);
  });
}

/**
 * Seals every entry as a Tessera backup (the `export --format tessera` format) and writes it into
 * `dir` atomically: a temporary file (mode 0600) renamed into place, so a crash never leaves half a
 * backup under a backup's name. Returns the path written.
 */
async function writeBackup(options: {
  vault: Vault;
  dir: string;
  password: string;
  at: number;
}): Promise<string> {
  const { exportEntries } = await import('@tessera/formats');
  const { writeFile, rename, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await checkFolder(options.dir);
  const result = await exportEntries({
    entries: options.vault.entries(),
    format: 'tessera',
    password: options.password,
  });
  const bytes = result.files[0]?.bytes;
  if (!bytes) throw new CliError('the Tessera export produced no file');
  const path = join(options.dir, backupFileName(options.at));
  // The dot and the pid keep the temporary name out of the pruning pattern and apart from other runs.
  const temp = join(options.dir, `.${backupFileName(options.at)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return path;
}

/** Deletes the oldest backups beyond `keep`; files not named like our backups are never touched. */
async function prune(dir: string, keep: number): Promise<string[]> {
  const { readdir, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && FILE_PATTERN.test(e.name))
    .map((e) => e.name)
    .sort();
  const old = names.slice(0, Math.max(0, names.length - keep));
  for (const name of old) await rm(join(dir, name));
  return old;
}

/** Writes one backup now into `dir`, prunes when it is the automatic folder, and records it. */
async function backupNow(options: { vault: Vault; dir: string; passwordFile: string }): Promise<string> {
  const settings = settingsOf(options.vault);
  const password = await readBackupPassword(options.passwordFile);
  const at = deviceNowMs();
  const path = await writeBackup({ vault: options.vault, dir: options.dir, password, at });
  if (settings.dir === options.dir) await prune(options.dir, settings.keep ?? DEFAULT_KEEP);
  await saveSettings(options.vault, {
    ...settingsOf(options.vault),
    lastAt: at,
    lastFile: path,
    pending: false,
  });
  return path;
}

/** An hour since the last backup (or a clock set back before it, which must not stop backups). */
function due(settings: Settings, now: number): boolean {
  if (settings.lastAt === undefined) return true;
  return now - settings.lastAt >= BACKUP_INTERVAL_MS || now < settings.lastAt;
}

/**
 * After a command: when it changed a vault with automatic backups on, note the change and back up
 * if the last backup is an hour old. A failure is one warning on stderr, never the command's failure.
 */
export async function afterCommand(): Promise<void> {
  const vaults = [...tracked];
  tracked.clear();
  for (const [vault, state] of vaults) {
    const settings = settingsOf(vault);
    if (!state.changed || !settings.dir || !settings.passwordFile) continue;
    try {
      if (!settings.pending) await saveSettings(vault, { ...settings, pending: true });
      if (due(settings, deviceNowMs()))
        await backupNow({ vault, dir: settings.dir, passwordFile: settings.passwordFile });
    } catch (err) {
      process.stderr.write(
        `tessera: warning: automatic backup to ${settings.dir} failed: ${printable((err as Error).message)}; your change is saved\n`,
      );
    }
  }
}

interface AutoOptions {
  dir: string;
  keep?: string;
  passwordFile: string;
}

async function auto(options: AutoOptions, command: Command): Promise<void> {
  const { resolve } = await import('node:path');
  const keep = wholeNumberOption('keep', options.keep) ?? DEFAULT_KEEP;
  if (keep < 1) throw new CliError('--keep: must be at least 1');
  const dir = resolve(options.dir);
  const passwordFile = resolve(options.passwordFile);
  await checkFolder(dir);
  await readSecretFile(passwordFile, 'backup password file');
  const vault = await openCliVault(command);
  await saveSettings(vault, { ...settingsOf(vault), dir, keep, passwordFile });
  const path = await backupNow({ vault, dir, passwordFile });
  process.stdout.write(
    `automatic backups on: ${dir}, at most hourly after changes, newest ${keep} kept\nwrote ${path}\n`,
  );
}

async function now(options: { dir?: string; passwordFile?: string }, command: Command): Promise<void> {
  const { resolve } = await import('node:path');
  const vault = await openCliVault(command);
  const settings = settingsOf(vault);
  const dir = options.dir ? resolve(options.dir) : settings.dir;
  const passwordFile = options.passwordFile ? resolve(options.passwordFile) : settings.passwordFile;
  if (!dir) throw new CliError('no backup folder: give --dir, or turn on `tessera backup auto`');
  if (!passwordFile)
    throw new CliError('no backup password file: give --password-file, or turn on `tessera backup auto`');
  process.stdout.write(`wrote ${await backupNow({ vault, dir, passwordFile })}\n`);
}

async function status(options: { json?: boolean }, command: Command): Promise<void> {
  const vault = await openCliVault(command);
  const s = settingsOf(vault);
  const view = {
    on: Boolean(s.dir),
    dir: s.dir ?? null,
    keep: s.dir ? (s.keep ?? DEFAULT_KEEP) : null,
    passwordFile: s.passwordFile ?? null,
    lastAt: s.lastAt !== undefined ? new Date(s.lastAt).toISOString() : null,
    lastFile: s.lastFile ?? null,
    changesWaiting: s.pending ?? vault.entries().length > 0,
  };
  if (options.json) return void process.stdout.write(JSON.stringify(view) + '\n');
  const lines = [
    `automatic backups: ${view.on ? 'on' : 'off'}`,
    ...(view.on ? [`folder: ${view.dir}`, `keep: ${view.keep}`, `password file: ${view.passwordFile}`] : []),
    `last backup: ${view.lastAt ? `${view.lastAt} (${view.lastFile})` : 'never'}`,
    `changes waiting: ${view.changesWaiting ? 'yes' : 'no'}`,
  ];
  process.stdout.write(lines.map(printable).join('\n') + '\n');
}

async function off(_options: unknown, command: Command): Promise<void> {
  const vault = await openCliVault(command);
  const { dir: _dir, keep: _keep, passwordFile: _file, ...rest } = settingsOf(vault);
  await saveSettings(vault, rest);
  process.stdout.write('automatic backups off (the backup files stay)\n');
}

export function register(program: Command): void {
  const backup = program
    .command('backup')
    .description('Tessera encrypted backups in a local folder: automatic after changes, or now');
  backup
    .command('auto')
    .description('back up into DIR after changes (at most hourly), keep the newest N; writes one now')
    .requiredOption('--dir <dir>', 'the folder that receives the backups (must exist)')
    .option('--keep <n>', `how many backups to keep (default ${DEFAULT_KEEP})`)
    .requiredOption(
      '--password-file <file>',
      'file whose first line is the backup password (its path is kept)',
    )
    .action(auto);
  backup
    .command('now')
    .description('write one backup now (into the automatic folder unless --dir is given)')
    .option('--dir <dir>', 'the folder to write to')
    .option('--password-file <file>', 'file whose first line is the backup password')
    .action(now);
  backup
    .command('status')
    .description('show whether automatic backups are on, the folder, the last backup and waiting changes')
    .option('--json', 'print as JSON')
    .action(status);
  backup.command('off').description('stop automatic backups (the backup files stay)').action(off);
}
