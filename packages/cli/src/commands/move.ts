import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

interface MoveOptions {
  before?: string;
  after?: string;
  top?: boolean;
  bottom?: boolean;
}

/** `tessera move QUERY (--before OTHER | --after OTHER | --top | --bottom)`: the synced manual order. */
export function register(program: Command): void {
  program
    .command('move')
    .description('move the entry QUERY names in the manual order (synced; see list --sort manual)')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .option('--before <other>', 'just before the entry OTHER names')
    .option('--after <other>', 'just after the entry OTHER names')
    .option('--top', 'first (first of the pinned entries when it is pinned)')
    .option('--bottom', 'last (last of the pinned entries when it is pinned)')
    .action(async (query: string, options: MoveOptions, command: Command) => {
      const given = [options.before, options.after, options.top, options.bottom].filter(
        (o) => o !== undefined,
      );
      if (given.length !== 1)
        throw new CliError('give one of --before OTHER, --after OTHER, --top, --bottom');
      const vault = await openCliVault(command);
      const { entryLabel } = await import('@tessera/vault');
      const entry = vault.findOne(query);
      const other = (q: string | undefined) => (q === undefined ? undefined : vault.findOne(q).id);
      const before = other(options.before);
      const after = other(options.after);
      await vault.move({
        id: entry.id,
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        ...(options.top ? { to: 'top' as const } : options.bottom ? { to: 'bottom' as const } : {}),
      });
      const list = vault.entries();
      const at = list.findIndex((e) => e.id === entry.id) + 1;
      process.stdout.write(`moved ${printable(entryLabel(entry))} to position ${at} of ${list.length}\n`);
    });
}
