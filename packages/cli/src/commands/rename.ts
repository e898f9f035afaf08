import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

interface RenameOptions {
  issuer?: string;
  account?: string;
  folder?: string;
}

/** `tessera rename QUERY --issuer I --account A [--folder F]`. */
export function register(program: Command): void {
  program
    .command('rename')
    .description('change the issuer and/or account name of the entry QUERY names')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .option('--issuer <name>', 'new issuer')
    .option('--account <name>', 'new account name')
    .option('--folder <folder>', 'an entry of this shared folder (name or id; owners and editors)')
    .action(async (query: string, options: RenameOptions, command: Command) => {
      if (options.issuer === undefined && options.account === undefined)
        throw new CliError('give --issuer and/or --account');
      const { entryLabel } = await import('@tessera/vault');
      const patch = { issuer: options.issuer, account: options.account };
      if (options.folder !== undefined) {
        const { findFolderEntry } = await import('./folder-entry.js');
        const { editFolderEntry } = await import('@tessera/vault/folders');
        const { keychain, folder, entry } = await findFolderEntry({ command, folder: options.folder, query });
        // The same field checks as the personal vault (editFolderEntry → patchRecord); a viewer is
        // refused by the client here and by the server (403).
        const renamed = await editFolderEntry({ keychain, folder, id: entry.id, patch });
        process.stdout.write(
          `renamed ${printable(entryLabel(entry))} to ${printable(entryLabel(renamed.entry))} in folder ${printable(options.folder)}\n`,
        );
        return;
      }
      const vault = await openCliVault(command);
      const entry = vault.findOne(query);
      const renamed = await vault.rename(entry.id, patch);
      process.stdout.write(`renamed ${printable(entryLabel(entry))} to ${printable(entryLabel(renamed))}\n`);
    });
}
