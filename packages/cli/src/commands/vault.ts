import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { askSecret, readSecretFile, vaultOptions } from '../home.js';

/**
 * `tessera vault check | restore-previous | passphrase`: integrity, recovery of the previous
 * generation, and the optional passphrase lock (packages/vault/README.md).
 */
export function register(program: Command): void {
  const vault = program.command('vault').description('check, repair and lock the local vault');

  vault
    .command('check')
    .description('verify the vault file and the previous generation (exit 1 if the vault is damaged)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { checkNodeVault, RESTORE_COMMAND } = await import('@tessera/vault/node');
      const report = await checkNodeVault(await vaultOptions(command));
      if (options.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
      } else {
        for (const file of [report.current, report.previous]) {
          const state = !file.present ? 'missing' : file.ok ? 'ok' : 'DAMAGED';
          const details = file.ok
            ? ` (generation ${file.generation}, ${file.entries} entries, ${file.tombstones} deleted, written ${file.writtenAt}, key: ${file.custody})`
            : '';
          process.stdout.write(`${file.path}: ${state}${details}\n`);
          if (file.present) for (const problem of file.problems) process.stdout.write(`  ${problem}\n`);
        }
      }
      if (!report.current.present && !report.previous.present) {
        process.stderr.write('no vault here yet\n');
        return;
      }
      if (!report.current.ok) {
        const hint = report.previous.ok
          ? `; restore the previous generation with \`${RESTORE_COMMAND}\``
          : '';
        throw new CliError(`the vault is damaged${hint}`);
      }
      if (!report.previous.ok && report.previous.present)
        process.stderr.write(
          'tessera: warning: the previous generation is damaged; the next change replaces it\n',
        );
    });

  vault
    .command('restore-previous')
    .description(
      'put the previous generation (vault.bin.1) back as the vault; the damaged file is kept aside',
    )
    .option('--force', 'restore even though the current vault is intact (undoes the latest change)')
    .action(async (options: { force?: boolean }, command: Command) => {
      const { restorePreviousGeneration } = await import('@tessera/vault/node');
      const result = await restorePreviousGeneration({
        ...(await vaultOptions(command)),
        force: options.force ?? false,
      });
      process.stdout.write(
        `restored generation ${result.generation} (written ${result.writtenAt}, ${result.entries} entries)\n`,
      );
      if (result.setAside) process.stdout.write(`the replaced file is kept as ${result.setAside}\n`);
    });

  const passphrase = vault
    .command('passphrase')
    .description('lock the vault with a passphrase (Argon2id), or remove it');
  passphrase
    .command('set')
    .description(
      'set or change the passphrase (new one from --new-passphrase-file, TESSERA_NEW_PASSPHRASE, or asked)',
    )
    .option('--new-passphrase-file <file>', 'file whose first line is the new passphrase')
    .action(async (options: { newPassphraseFile?: string }, command: Command) => {
      const newPassphrase = await newPassphraseFrom(options.newPassphraseFile);
      const { setVaultPassphrase } = await import('@tessera/vault/node');
      await setVaultPassphrase({ ...(await vaultOptions(command)), newPassphrase });
      process.stdout.write(
        'the vault is locked with the passphrase; keep it safe: without it the vault cannot be opened\n',
      );
    });
  passphrase
    .command('remove')
    .description('remove the passphrase; the key goes to the OS keychain or the key file')
    .action(async (_options: unknown, command: Command) => {
      const { setVaultPassphrase } = await import('@tessera/vault/node');
      const { custody } = await setVaultPassphrase({ ...(await vaultOptions(command)), newPassphrase: null });
      process.stdout.write(
        `the passphrase is removed; the vault key is kept in ${custody === 'file' ? 'the key file' : 'the OS keychain'}\n`,
      );
    });
}

async function newPassphraseFrom(file: string | undefined): Promise<string> {
  if (file) return readSecretFile(file, 'new passphrase file');
  const env = process.env.TESSERA_NEW_PASSPHRASE;
  if (env) return env;
  if (!process.stdin.isTTY)
    throw new CliError('give the new passphrase with --new-passphrase-file or TESSERA_NEW_PASSPHRASE');
  const first = await askSecret('New vault passphrase');
  if ((await askSecret('Repeat the new passphrase')) !== first)
    throw new CliError('the two passphrases differ; nothing changed');
  return first;
}
