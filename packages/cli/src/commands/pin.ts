import type { Command } from 'commander';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/** Pins or unpins the entry `query` names and says so (shared by `pin` and `unpin`). */
export async function setPinned(command: Command, query: string, pinned: boolean): Promise<void> {
  const vault = await openCliVault(command);
  const { entryLabel } = await import('@tessera/vault');
  const entry = vault.findOne(query);
  await vault.setPinned(entry.id, pinned);
  const synced = vault.getMeta('keychain') !== undefined && !entry.deviceOnly;
  process.stdout.write(
    `${pinned ? 'pinned' : 'unpinned'} ${printable(entryLabel(entry))}` +
      `${synced ? ' (on every device of the keychain after the next sync)' : ''}\n`,
  );
}

/** `tessera pin QUERY`: the entry shows first in every list, on every device (synced). */
export function register(program: Command): void {
  program
    .command('pin')
    .description('show the entry QUERY names first in every list, on every device (synced)')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .action(async (query: string, _options: unknown, command: Command) => setPinned(command, query, true));
}
