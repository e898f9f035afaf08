import type { Command } from 'commander';
import type { VaultEntry } from '@tessera/vault';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/**
 * `tessera trash`: deleted entries kept for `TRASH_DAYS` (list, `restore`, `empty`). Every command
 * first wipes what has been in the trash longer than that, so the list never shows an expired entry.
 */
export function register(program: Command): void {
  const trash = program
    .command('trash')
    .description('entries deleted in the last 30 days: list them, restore one, or empty the trash')
    .option('--json', 'print a JSON array (id, issuer, account, deletedAt)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const vault = await openCliVault(command);
      await vault.purgeTrash();
      const entries = vault.trash();
      if (options.json) {
        const rows = entries.map((e) => ({
          id: e.id,
          issuer: e.issuer,
          account: e.account,
          deletedAt: new Date(e.deletedAt).toISOString(),
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) {
        process.stdout.write('the trash is empty\n');
        return;
      }
      for (const e of entries) {
        const deleted = new Date(e.deletedAt).toISOString().replace('T', ' ').slice(0, 16);
        process.stdout.write(
          `${e.id}  ${printable(e.issuer || '-')}  ${printable(e.account || '-')}  deleted ${deleted} UTC\n`,
        );
      }
    });

  trash
    .command('restore')
    .description('bring an entry back from the trash')
    .argument('<query>', 'id (from `tessera trash`), or issuer, account or "issuer:account"')
    .action(async (query: string, _options: unknown, command: Command) => {
      const vault = await openCliVault(command);
      const { entryLabel, findOneEntry } = await import('@tessera/vault');
      await vault.purgeTrash();
      const entry = trashEntry(() => findOneEntry(vault.trash(), query), query);
      await vault.restore(entry.id);
      process.stdout.write(`restored ${printable(entryLabel(entry))}\n`);
    });

  trash
    .command('empty')
    .description('wipe every entry in the trash now (cannot be undone)')
    .action(async (_options: unknown, command: Command) => {
      const vault = await openCliVault(command);
      const wiped = await vault.purgeTrash({ all: true });
      process.stdout.write(
        wiped.length === 0
          ? 'the trash is already empty\n'
          : `wiped ${wiped.length} entr${wiped.length === 1 ? 'y' : 'ies'} for good\n`,
      );
    });
}

/** The trashed entry `find` names, with "not found" worded for the trash. */
function trashEntry(find: () => VaultEntry, query: string): VaultEntry {
  try {
    return find();
  } catch (err) {
    if ((err as { code?: string }).code === 'not-found')
      throw new CliError(`nothing in the trash matches "${query}" (\`tessera trash\` lists what is there)`);
    throw err;
  }
}
