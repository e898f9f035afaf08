import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/** `tessera rename QUERY --issuer I --account A`. */
export function register(program: Command): void {
  program
    .command('rename')
    .description('change the issuer and/or account name of the entry QUERY names')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .option('--issuer <name>', 'new issuer')
    .option('--account <name>', 'new account name')
    .action(async (query: string, options: { issuer?: string; account?: string }, command: Command) => {
      if (options.issuer === undefined && options.account === undefined)
        throw new CliError('give --issuer and/or --account');
      const vault = await openCliVault(command);
      const { entryLabel } = await import('@tessera/vault');
      const entry = vault.findOne(query);
      const renamed = await vault.rename(entry.id, { issuer: options.issuer, account: options.account });
      process.stdout.write(`renamed ${printable(entryLabel(entry))} to ${printable(entryLabel(renamed))}\n`);
    });
}
