import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { openCliVault, wholeNumberOption } from '../home.js';
import { keychainFor } from './sync.js';

/**
 * `tessera share QUERY --minutes N`: a link whose page shows the entry's codes for the next N
 * minutes (docs/PROTOCOL.md §9). The codes are sealed under a key that stays in the link's fragment;
 * the secret never leaves this device. Needs a trusted keychain device (the server hosts the link).
 */
export function register(program: Command): void {
  program
    .command('share')
    .description('make a link that shows the codes of one entry for the next few minutes (never its secret)')
    .argument('[query]', 'issuer, account, "issuer:account" or id')
    .option('--minutes <n>', 'how long the link shows codes (1 to 120)', '10')
    .option('--withdraw <id>', 'withdraw a link before its time is up (the id is printed with the link)')
    .option('--json', 'print {url, id, expiresAt}')
    .action(
      async (
        query: string | undefined,
        options: { minutes: string; withdraw?: string; json?: boolean },
        command: Command,
      ) => {
        const vault = await openCliVault(command);
        const keychain = await keychainFor(vault);
        keychain.requireTrusted();
        if (options.withdraw !== undefined) {
          await keychain.client().call('shareDelete', { query: { id: options.withdraw } });
          process.stdout.write(`withdrew code link ${options.withdraw}\n`);
          return;
        }
        if (query === undefined) throw new CliError('name the entry to share, e.g. `tessera share github`');
        const minutes = wholeNumberOption('minutes', options.minutes)!;
        const entry = vault.findOne(query);
        const { postShare, shareLink, ShareError } = await import('@tessera/vault/share');
        let share;
        try {
          share = await postShare(keychain, { entry, minutes });
        } catch (err) {
          if (err instanceof ShareError) throw new CliError(err.message);
          throw err;
        }
        await keychain.save();
        const url = shareLink(keychain.requireState().server, share);
        const until = new Date(share.expiresAt * 1000).toISOString();
        if (options.json) {
          process.stdout.write(JSON.stringify({ url, id: share.id, expiresAt: share.expiresAt }) + '\n');
        } else {
          process.stdout.write(`${url}\n`);
          process.stderr.write(
            `This link shows the codes of ${entry.issuer || entry.account} until ${until}; anyone with it can see them. ` +
              `Withdraw it with \`tessera share --withdraw ${share.id}\`.\n`,
          );
        }
      },
    );
}
