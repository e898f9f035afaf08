import type { Command } from 'commander';
import { CliError, fileError } from '../errors.js';
import { openCliVault, wholeNumberOption } from '../home.js';
import { printable } from '../terminal-text.js';

interface AddOptions {
  uri?: string;
  qr?: string;
  secret?: string;
  issuer?: string;
  account?: string;
  type?: string;
  algorithm?: string;
  digits?: string;
  period?: string;
  counter?: string;
  deviceOnly?: boolean;
  tag: string[];
  site: string[];
  json?: boolean;
  folder?: string;
}

/** `tessera add`: one entry from a URI, the entries of a QR image, or a secret and its fields. */
export function register(program: Command): void {
  program
    .command('add')
    .description('add an entry from an otpauth:// URI, a QR image, or a secret (refuses duplicates)')
    .option('--uri <uri>', 'otpauth:// (or otpauth-migration://) URI')
    .option('--qr <image>', 'PNG or JPEG image of a QR code')
    .option('--secret <base32>', 'the shared secret, Base32')
    .option('--issuer <name>', 'service name (overrides the one in a URI)')
    .option('--account <name>', 'account name (overrides the one in a URI)')
    .option('--type <type>', 'totp, hotp or steam')
    .option('--algorithm <alg>', 'SHA1, SHA256 or SHA512')
    .option('--digits <n>', 'code length')
    .option('--period <seconds>', 'TOTP period')
    .option('--counter <n>', 'HOTP counter')
    .option('--device-only', 'never back this entry up to the keychain')
    .option(
      '--tag <tag>',
      'tag the entry (repeatable)',
      (tag: string, all: string[]) => [...all, tag],
      [] as string[],
    )
    .option(
      '--site <domain>',
      'let the browser extension fill this code on this site, e.g. example.com (repeatable)',
      (site: string, all: string[]) => [...all, site],
      [] as string[],
    )
    .option('--folder <folder>', 'add to this shared folder (name or id) instead of your own vault')
    .option('--json', 'print the added entries as JSON')
    .action(async (options: AddOptions, command: Command) => {
      const entries = await readEntries(options);
      const vault = await openCliVault(command);
      const { entryLabel } = await import('@tessera/vault');
      if (options.folder !== undefined) return addToFolder(vault, options, entries);
      const { added, duplicates } = await vault.addMany(entries, {
        deviceOnly: options.deviceOnly ?? false,
        tags: options.tag,
        sites: options.site,
      });
      if (added.length === 0) {
        const existing = vault.findDuplicate(duplicates[0]!);
        throw new CliError(
          `${entryLabel(duplicates[0]!)} is already in the vault${existing ? ` (id ${existing.id})` : ''}; nothing added`,
        );
      }
      if (options.json) {
        const shown = added.map(({ id, type, issuer, account, tags, deviceOnly, sites }) => ({
          id,
          type,
          issuer,
          account,
          tags,
          deviceOnly,
          sites: sites ?? [],
        }));
        process.stdout.write(
          JSON.stringify({
            added: shown,
            duplicates: duplicates.map(({ issuer, account }) => ({ issuer, account })),
          }) + '\n',
        );
      } else {
        for (const entry of added)
          process.stdout.write(
            `added ${printable(entryLabel(entry))}${entry.deviceOnly ? ' (device only)' : ''}\n`,
          );
      }
      for (const entry of duplicates)
        process.stderr.write(`tessera: skipped ${printable(entryLabel(entry))}: already in the vault\n`);
    });
}

/** The entries the options describe, validated; nothing is stored yet. */
async function readEntries(options: AddOptions) {
  const otp = await import('@tessera/otp');
  const sources = [options.uri, options.qr, options.secret].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new CliError('give exactly one of --uri, --qr or --secret');
  const fields = ['type', 'algorithm', 'digits', 'period', 'counter'] as const;
  if (options.secret === undefined) {
    const stray = fields.find((f) => options[f] !== undefined);
    if (stray)
      throw new CliError(`--${stray} goes with --secret; a URI or QR code carries its own parameters`);
  }
  const labels = (entry: import('@tessera/otp').OtpEntry) =>
    otp.normalizeEntry({
      ...entry,
      issuer: options.issuer ?? entry.issuer,
      account: options.account ?? entry.account,
    });
  if (options.secret !== undefined) {
    if (options.issuer === undefined && options.account === undefined)
      throw new CliError('--secret needs --issuer and/or --account to name the entry');
    return [
      otp.normalizeEntry({
        secret: options.secret,
        issuer: options.issuer,
        account: options.account,
        type: options.type as never,
        algorithm: options.algorithm as never,
        digits: wholeNumberOption('digits', options.digits),
        period: wholeNumberOption('period', options.period),
        counter: wholeNumberOption('counter', options.counter),
      }),
    ];
  }
  if (options.uri !== undefined && /^otpauth:/i.test(options.uri)) return [labels(otp.parseUri(options.uri))];
  const { importFiles } = await import('@tessera/formats');
  const source =
    options.uri !== undefined
      ? { name: 'uri', bytes: new TextEncoder().encode(options.uri) }
      : { name: options.qr!, bytes: await readImage(options.qr!) };
  const result = await importFiles({ sources: [source] });
  for (const skipped of result.skipped)
    process.stderr.write(`tessera: skipped ${printable(`${skipped.label}: ${skipped.reason}`)}\n`);
  if (result.entries.length === 0) throw new CliError(`${source.name}: no entry could be read`);
  const single = result.entries.length === 1;
  return result.entries.map((entry) => (single ? { ...labels(entry), tags: entry.tags ?? [] } : entry));
}

async function readImage(file: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw fileError(err, file);
  }
}

/** `add --folder F`: the entries go to a shared folder (owners and editors), sealed under its key. */
async function addToFolder(
  vault: import('@tessera/vault').Vault,
  options: AddOptions,
  entries: import('@tessera/otp').OtpEntry[],
): Promise<void> {
  if (options.deviceOnly) throw new CliError('--device-only and --folder exclude each other');
  const { keychainFor } = await import('./sync.js');
  const { resolve } = await import('./folder.js');
  const { addFolderEntry } = await import('@tessera/vault/folders');
  const { entryLabel } = await import('@tessera/vault');
  const keychain = await keychainFor(vault);
  keychain.requireTrusted();
  const folder = await resolve(keychain, options.folder!);
  const added = [];
  for (const entry of entries)
    added.push(await addFolderEntry({ keychain, folder, entry, tags: options.tag }));
  if (options.json) {
    process.stdout.write(
      JSON.stringify({
        added: added.map(({ entry: { id, type, issuer, account, tags } }) => ({
          id,
          type,
          issuer,
          account,
          tags,
          folder,
        })),
        duplicates: [],
      }) + '\n',
    );
  } else {
    for (const record of added)
      process.stdout.write(
        `added ${printable(entryLabel(record.entry))} to folder ${printable(options.folder!)}\n`,
      );
  }
}
