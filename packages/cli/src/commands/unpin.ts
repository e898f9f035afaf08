import type { Command } from 'commander';
import { setPinned } from './pin.js';

/** `tessera unpin QUERY`: undoes `tessera pin` (synced). */
export function register(program: Command): void {
  program
    .command('unpin')
    .description('stop showing the entry QUERY names first (synced)')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .action(async (query: string, _options: unknown, command: Command) => setPinned(command, query, false));
}
