/**
 * One entry of a shared folder, as `code`, `rename` and `rm` with `--folder F` find it: the folder by
 * name or id (synced first when this device does not know it yet), the entry by the same query rules
 * as the personal vault, from this device's synced copy.
 */
import type { Command } from 'commander';
import type { Vault, VaultEntry } from '@tessera/vault';
import type { Keychain } from '@tessera/vault/keychain';

export interface FolderEntryFound {
  vault: Vault;
  keychain: Keychain;
  /** Folder id. */
  folder: string;
  entry: VaultEntry;
}

/** Finds the live entry `query` of the shared folder `folderQuery`; CliError/VaultError when none or several. */
export async function findFolderEntry(options: {
  command: Command;
  folder: string;
  query: string;
}): Promise<FolderEntryFound> {
  const { openCliVault } = await import('../home.js');
  const { keychainFor } = await import('./sync.js');
  const { resolve } = await import('./folder.js');
  const { findOneEntry } = await import('@tessera/vault');
  const { folderRecords } = await import('@tessera/vault/folders');
  const vault = await openCliVault(options.command);
  const keychain = await keychainFor(vault);
  keychain.requireTrusted();
  const folder = await resolve(keychain, options.folder);
  const live = folderRecords({ keychain, folder })
    .filter((r) => !r.deleted)
    .map((r) => r.entry);
  return { vault, keychain, folder, entry: findOneEntry(live, options.query) };
}
