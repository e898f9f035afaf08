import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/** `tessera rm QUERY`: deletes an entry after asking (or with `--yes`). */
export function register(program: Command): void {
  program
    .command('rm')
    .description('delete the entry QUERY names (asks first; --yes to skip)')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .option('-y, --yes', 'do not ask')
    .option('--folder <folder>', 'an entry of this shared folder (name or id; owners and editors)')
    .action(async (query: string, options: { yes?: boolean; folder?: string }, command: Command) => {
      const { entryLabel, TRASH_DAYS } = await import('@tessera/vault');
      if (options.folder !== undefined) return removeFromFolder(query, options, command);
      const vault = await openCliVault(command);
      const entry = vault.findOne(query);
      const label = printable(entryLabel(entry));
      if (!options.yes)
        await confirmDelete(label, `Delete ${label}? It stays in the trash for ${TRASH_DAYS} days.`);
      await vault.remove(entry.id);
      process.stdout.write(
        `deleted ${label}; \`tessera trash restore ${entry.id}\` brings it back within ${TRASH_DAYS} days\n`,
      );
    });
}

/** `rm --folder F QUERY`: deletes a shared folder's entry for every member (no trash: it is shared). */
async function removeFromFolder(
  query: string,
  options: { yes?: boolean; folder?: string },
  command: Command,
): Promise<void> {
  const { entryLabel } = await import('@tessera/vault');
  const { findFolderEntry } = await import('./folder-entry.js');
  const { deleteFolderEntry } = await import('@tessera/vault/folders');
  const { keychain, folder, entry } = await findFolderEntry({ command, folder: options.folder!, query });
  const label = printable(entryLabel(entry));
  if (!options.yes)
    await confirmDelete(label, `Delete ${label} for every member of folder ${printable(options.folder!)}?`);
  await deleteFolderEntry({ keychain, folder, id: entry.id });
  process.stdout.write(`deleted ${label} from folder ${printable(options.folder!)} for every member\n`);
}

/** Asks on the terminal before deleting `label`; a CliError when there is no terminal or the answer is no. */
async function confirmDelete(label: string, message: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new CliError(`not deleting ${label} without confirmation: run on a terminal, or pass --yes`);
  const { confirm, isCancel } = await import('@clack/prompts');
  const answer = await confirm({ message, initialValue: false, output: process.stderr });
  if (isCancel(answer) || answer !== true) throw new CliError(`kept ${label}`);
}
