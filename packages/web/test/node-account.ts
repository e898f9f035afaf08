/**
 * A keychain account with nothing of the web app: the vault library in Node, signed up on the test
 * server, for browser tests that need another account (to invite it, or to ask the server as it).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keychain, metaDeviceKeyStore, signup } from '@tessera/vault/keychain';
import { openNodeVault } from '@tessera/vault/node';
import type { Vault } from '@tessera/vault';

export const NODE_ACCOUNT_PASSWORD = 'correct horse battery staple';

/**
 * Signs up `email` on `server` from a fresh vault in a temporary home; returns its keychain and the
 * vault (to add entries as that device). `keepRecoveryKey` is handed the account's recovery key.
 */
export async function nodeDevice(
  server: string,
  email: string,
  deviceName: string,
  options: { keepRecoveryKey?: (key: string) => Promise<void> } = {},
): Promise<{ keychain: Keychain; vault: Vault }> {
  const vault = await openNodeVault({
    home: mkdtempSync(join(tmpdir(), 'tessera-node-account-')),
    keyStore: 'file',
  });
  const keychain = new Keychain({
    host: vault,
    deviceKeys: metaDeviceKeyStore(vault),
    clientId: 'tessera-cli/0.2.0',
  });
  await signup(keychain, {
    server,
    email,
    password: NODE_ACCOUNT_PASSWORD,
    deviceName,
    keepRecoveryKey: options.keepRecoveryKey ?? (async () => undefined),
  });
  return { keychain, vault };
}

/** Signs up `email` on `server` from a fresh vault in a temporary home; returns its keychain. */
export async function nodeAccount(server: string, email: string, deviceName: string): Promise<Keychain> {
  return (await nodeDevice(server, email, deviceName)).keychain;
}
