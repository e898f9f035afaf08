import type { Command } from 'commander';
import type { VaultEntry } from '@tessera/vault';
import { CliError } from '../errors.js';
import { codeTimeOf, openCliVault, parseTimeOption, warnClockSkew } from '../home.js';
import { printable } from '../terminal-text.js';

/**
 * The JSON form of an entry in `list --json`: the brief's entry shape plus vault fields and the code.
 * `secret` is there only with `--secrets`: a listing piped into a log or a ticket must not carry seeds.
 */
export interface EntryJson {
  id: string;
  type: VaultEntry['type'];
  issuer: string;
  account: string;
  secret?: string;
  algorithm: VaultEntry['algorithm'];
  digits: number;
  period: number | null;
  counter: number | null;
  tags: string[];
  deviceOnly: boolean;
  /** Shown first in every list, on every device (synced with the entry). */
  pinned: boolean;
  /** Where the browser extension may fill the code; [] when nowhere. */
  sites: string[];
  /** The icon choice (`VaultEntry.icon`): null when automatic, `"none"`, or `"simple-icons/<slug>"`. */
  icon: string | null;
  code: string | null;
  secondsLeft: number | null;
  /** The shared folder holding the entry (`{ id, name }`), or null for the account's own. */
  folder: { id: string; name: string } | null;
}

/** `tessera list`: every entry with its current code and the seconds it has left. */
export function register(program: Command): void {
  program
    .command('list')
    .description('list entries with their current codes (HOTP codes: tessera show)')
    .option('--json', 'print a JSON array')
    .option('--secrets', 'with --json: include each secret (Base32); leave it off wherever output is kept')
    .option('--tag <tag>', 'only entries with this tag')
    .option(
      '--sort <order>',
      'manual (the order synced from every device, set with tessera move), name, or used (most shown on this device first); pinned entries first in each',
      'manual',
    )
    .option('--time <unix-seconds>', 'codes at this time instead of now')
    .action(async (options: ListOptions, command: Command) => {
      if (options.secrets && !options.json) throw new CliError('--secrets goes with --json');
      const time = parseTimeOption(options.time);
      const vault = await openCliVault(command);
      const { currentCode, isSortMode, sortEntries, SORT_MODES } = await import('@tessera/vault');
      const sort = options.sort ?? 'manual';
      if (!isSortMode(sort))
        throw new CliError(`--sort takes ${SORT_MODES.join(', ')}, not ${printable(sort)}`);
      warnClockSkew(vault);
      const tag = options.tag?.toLowerCase();
      const entries = sortEntries({
        entries: vault
          .entries()
          .filter((e) => tag === undefined || e.tags.some((t) => t.toLowerCase() === tag)),
        sort,
        uses: sort === 'used' ? vault.uses() : undefined,
      });
      const rows: EntryJson[] = entries.map((entry) => ({
        ...entryJson(entry, { secrets: options.secrets === true }),
        ...currentCode(entry, codeTimeOf(vault, time)),
        folder: null,
      }));
      // Shared folders' entries, as this device last synced them (`tessera sync`), after the own ones.
      for (const shared of sharedFolders(vault))
        for (const record of Object.values(shared.records)) {
          const entry = record.entry;
          if (record.deleted || (tag !== undefined && !entry.tags.some((t) => t.toLowerCase() === tag)))
            continue;
          rows.push({
            ...entryJson(entry, { secrets: options.secrets === true }),
            ...currentCode(entry, codeTimeOf(vault, time)),
            folder: { id: shared.id, name: shared.name },
          });
        }
      if (options.json) {
        process.stdout.write(JSON.stringify(rows) + '\n');
        return;
      }
      if (rows.length === 0) {
        process.stderr.write(
          vault.entries().length === 0 && sharedFolders(vault).length === 0
            ? 'no entries yet: add one with `tessera add`\n'
            : 'no entry has that tag\n',
        );
        return;
      }
      process.stdout.write(formatTable(rows));
    });
}

interface ListOptions {
  json?: boolean;
  secrets?: boolean;
  tag?: string;
  time?: string;
  sort?: string;
}

/** The stored fields of an entry as `list --json` shows them (code fields filled by the caller). */
export function entryJson(
  entry: VaultEntry,
  options: { secrets: boolean },
): Omit<EntryJson, 'code' | 'secondsLeft' | 'folder'> {
  const { id, type, issuer, account, secret, algorithm, digits, period, counter, tags, deviceOnly } = entry;
  const sites = entry.sites ?? [];
  const icon = entry.icon ?? null;
  const pinned = entry.pinned === true;
  const shown = {
    id,
    type,
    issuer,
    account,
    algorithm,
    digits,
    period,
    counter,
    tags,
    deviceOnly,
    pinned,
    sites,
    icon,
  };
  return options.secrets ? { ...shown, secret } : shown;
}

/** The shared folders' local copies (vault meta `folders`, see @tessera/vault/folders), read without the network. */
function sharedFolders(vault: { getMeta(key: string): unknown }): {
  id: string;
  name: string;
  records: Record<string, import('@tessera/vault').VaultRecord>;
}[] {
  const value = vault.getMeta('folders') as { v?: number; folders?: Record<string, never> } | undefined;
  return value?.v === 1 && value.folders ? Object.values(value.folders) : [];
}

/** Aligned columns: issuer, account, code, seconds left; each folder's entries under its name. */
function formatTable(rows: EntryJson[]): string {
  const own = rows.filter((r) => r.folder === null);
  const groups = new Map<string, EntryJson[]>();
  for (const r of rows) if (r.folder) groups.set(r.folder.id, [...(groups.get(r.folder.id) ?? []), r]);
  let out = own.length > 0 ? formatRows(own) : '';
  for (const group of groups.values())
    out += `${out ? '\n' : ''}[folder ${printable(group[0]!.folder!.name || group[0]!.folder!.id)}]\n${formatRows(group)}`;
  return out;
}

function formatRows(rows: EntryJson[]): string {
  const anyPinned = rows.some((r) => r.pinned);
  const cells = rows.map((r) => [
    (anyPinned ? (r.pinned ? '* ' : '  ') : '') + printable(r.issuer || '-'),
    printable(r.account || '-'),
    r.code ?? 'hotp: tessera show',
    r.secondsLeft === null ? '' : `${r.secondsLeft}s`,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells
    .map(
      (c) =>
        c
          .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}
