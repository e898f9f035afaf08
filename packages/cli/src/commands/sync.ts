import type { Command } from 'commander';
import type { Vault } from '@tessera/vault';
import type { Keychain } from '@tessera/vault/keychain';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/** How long the automatic backup after a command may take before the change is left queued. */
const AUTO_SYNC_TIMEOUT_MS = 4_000;

/** Vaults this run opened, and those it changed locally (pushed once the command's action has finished). */
const openedVaults = new Set<Vault>();
const changedVaults = new Set<Vault>();

/**
 * Called for every vault the CLI opens (openCliVault): remembers local record changes so the
 * `postAction` hook (buildProgram) backs them up. This is the one place where changes reach the keychain.
 */
export function watchForBackup(vault: Vault): void {
  openedVaults.add(vault);
  vault.onChange((change) => {
    if (change.kind === 'records' && change.source === 'local') changedVaults.add(vault);
  });
}

/** The keychain client of an open vault (CLI identity, device keys kept in the vault meta). */
export async function keychainFor(vault: Vault, options: { timeoutMs?: number } = {}): Promise<Keychain> {
  const { Keychain, metaDeviceKeyStore } = await import('@tessera/vault/keychain');
  const { VERSION } = await import('../main.js');
  const fetchWithTimeout: typeof fetch | undefined = options.timeoutMs
    ? (input, init) =>
        fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(options.timeoutMs!) })
    : undefined;
  return new Keychain({
    host: vault,
    deviceKeys: metaDeviceKeyStore(vault),
    clientId: `tessera-cli/${VERSION}`,
    fetch: fetchWithTimeout,
  });
}

/** Prints notices not shown yet, one line each, on stderr. */
export async function showNotices(keychain: Keychain): Promise<void> {
  const { takeUnshownNotices, describeNotice } = await import('@tessera/vault/keychain');
  for (const notice of await takeUnshownNotices(keychain))
    process.stderr.write(`tessera: notice: ${printable(describeNotice(notice))}\n`);
}

/**
 * One sync round, then the backup verification when it is due (daily) or asked for: a restore
 * test that never needs a second device.
 */
export async function syncNow(keychain: Keychain, options: { verify?: boolean } = {}) {
  const kc = await import('@tessera/vault/keychain');
  const result = await kc.syncRound(keychain);
  const verify =
    result.trusted && (options.verify || kc.verificationDue(keychain))
      ? await kc.verifyBackup(keychain)
      : null;
  return { result, verify };
}

/** How long a command on a device in the middle of an approval waits for the trusted device's delivery. */
const APPROVAL_FINISH_MS = 10_000;

/**
 * A device waiting for approval checks for it before a command reads its vault, and restores once
 * approved, so the first `tessera list` after `login --no-wait` and an approval shows the codes. If
 * the trusted device is approving right now, the command takes its part of the exchange and waits
 * briefly for the delivery. Quiet unless approved; a server away or an approval not yet given
 * leaves the command to go on with what is here.
 */
export async function catchUpIfPending(vault: Vault): Promise<void> {
  const meta = vault.getMeta('keychain') as { status?: unknown } | undefined;
  if (meta?.status !== 'pending') return;
  const keychain = await keychainFor(vault, { timeoutMs: AUTO_SYNC_TIMEOUT_MS });
  try {
    const started = Date.now();
    let { result } = await syncNow(keychain);
    // Our answer to the trusted device is written: its delivery follows within moments.
    while (!result.trusted && keychain.state?.join?.sealKey && Date.now() - started < APPROVAL_FINISH_MS) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      keychain.reload();
      ({ result } = await syncNow(keychain));
    }
    if (result.trusted) {
      const restored = vault.entries().length;
      process.stderr.write(`tessera: this device was approved; ${restored} entries restored\n`);
    }
  } catch {
    // The command goes on with the entries here; `tessera sync` or `keychain login` say what failed.
  }
}

/**
 * After a command: back up local changes (queued on failure), then show notices not shown yet
 * (those fetched by this or an earlier sync) as one line each on stderr.
 */
export async function afterCommand(): Promise<void> {
  const vaults = [...openedVaults];
  openedVaults.clear();
  for (const vault of vaults) {
    if (vault.getMeta('keychain') === undefined) continue;
    const keychain = await keychainFor(vault, { timeoutMs: AUTO_SYNC_TIMEOUT_MS });
    if (changedVaults.has(vault) && keychain.state?.status === 'trusted') {
      const { pendingRecords } = await import('@tessera/vault/keychain');
      try {
        await syncNow(keychain);
      } catch (err) {
        const pending = pendingRecords(keychain).length;
        process.stderr.write(
          `tessera: backup queued (${pending} pending change${pending === 1 ? '' : 's'}): ${(err as Error).message}\n`,
        );
      }
    }
    await showNotices(keychain);
  }
  changedVaults.clear();
}

interface SyncOptions {
  follow?: boolean;
  json?: boolean;
  verify?: boolean;
}

/** `tessera sync`: one sync round now (`--follow`: stay connected and apply changes as they come). */
export function register(program: Command): void {
  program
    .command('sync')
    .description('sync with the keychain now (a pending device finishes its restore once approved)')
    .option('--follow', 'stay connected and apply changes from other devices as they happen (Ctrl-C stops)')
    .option('--verify', 'also verify the backup: decrypt the server copy and compare it with this vault')
    .option('--json', 'print the result as JSON')
    .action(async (options: SyncOptions, command: Command) => {
      const vault = await openCliVault(command);
      const keychain = await keychainFor(vault);
      keychain.requireState();
      if (options.follow) return followFeed(keychain, options);
      const { result, verify } = await syncNow(keychain, { verify: options.verify });
      await showNotices(keychain);
      if (result.trusted) await syncSharedFolders(keychain);
      if (!result.trusted) {
        if (options.json) process.stdout.write(JSON.stringify({ ...result, status: 'pending' }) + '\n');
        else process.stderr.write('This device is still waiting for approval; nothing was synced.\n');
        return;
      }
      if (verify && !verify.ok) {
        throw new CliError(
          `backup verification failed: ${verify.mismatched} of ${verify.checked} entries differ on the server; every device was notified`,
        );
      }
      if (options.json) {
        process.stdout.write(
          JSON.stringify({ ...result, status: 'trusted', verified: verify ? verify.ok : null }) + '\n',
        );
      } else {
        process.stdout.write(
          `synced: ${result.pulled} received, ${result.pushed} sent${verify ? `; backup verified (${verify.checked} entries)` : ''}\n`,
        );
      }
    });
}

async function followFeed(keychain: Keychain, options: SyncOptions): Promise<void> {
  const { follow } = await import('@tessera/vault/keychain');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const print = (event: Record<string, unknown>, text: string) =>
    process.stdout.write(options.json ? JSON.stringify(event) + '\n' : text + '\n');
  try {
    await follow(keychain, {
      signal: controller.signal,
      onConnected: () => print({ event: 'connected' }, 'connected; following changes (Ctrl-C stops)'),
      onRound: (r) => {
        if (r.pulled > 0 || r.pushed > 0)
          print({ event: 'synced', ...r }, `synced: ${r.pulled} received, ${r.pushed} sent`);
        void showNotices(keychain);
        // Every feed event wakes a round, a folder's included; its changes arrive here.
        void syncSharedFolders(keychain).then(
          (changed) => {
            if (changed > 0) print({ event: 'folders', changed }, `folders: ${changed} entries changed`);
          },
          (err: Error) => process.stderr.write(`tessera: ${printable(err.message)}\n`),
        );
      },
      onError: (err) => process.stderr.write(`tessera: ${printable(err.message)} (retrying)\n`),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * Syncs the shared folders once the account uses them (its circle names a sharing key); returns
 * how many folder entries changed. A refusal (a forged or rolled-back log) is an error like any other.
 */
export async function syncSharedFolders(keychain: Keychain): Promise<number> {
  if (!keychain.state?.circle?.sharing) return 0;
  const { syncFolders } = await import('@tessera/vault/folders');
  return (await syncFolders({ keychain })).changed;
}
