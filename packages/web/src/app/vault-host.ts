import type { KeychainHost } from '@tessera/vault/keychain';
import type { Vault } from '@tessera/vault';

/**
 * The vault as the keychain client sees it: shared by the web app's keychain session and the
 * extension's background sync, so both read and write the keychain state the same way.
 */
export function vaultHost(vault: Vault): KeychainHost {
  return {
    records: () => vault.records(),
    applyRemote: (records) => vault.applyRemote(records),
    getMeta: (key) => vault.getMeta(key),
    setMeta: (key, value) => vault.setMeta(key, value),
    refresh: () => vault.refresh(),
    purgeTrash: () => vault.purgeTrash(),
  };
}
