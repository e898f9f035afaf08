import type { KeychainHost } from '@tessera/vault/keychain';
import type { Vault } from '@tessera/vault';

/**
 * The vault as the keychain client sees it: shared by the web app's keychain session and the
 * extension's background sync, so both read and write the keychain state the same way.
 *
 * `Required`: every optional operation the vault has is offered (without `updateMeta` the state's
 * save is one vault write per meta key). Each operation forwards all its arguments: a pull's
 * `applyRemote` carries the keychain state, cursor included, to be saved in the merge's own write;
 * a dropped argument left it unsaved, so a reloaded page pulled again from an older cursor.
 */
export function vaultHost(vault: Vault): Required<KeychainHost> {
  return {
    records: () => vault.records(),
    applyRemote: (...args) => vault.applyRemote(...args),
    getMeta: (...args) => vault.getMeta(...args),
    hasMeta: (...args) => vault.hasMeta(...args),
    setMeta: (...args) => vault.setMeta(...args),
    updateMeta: (...args) => vault.updateMeta(...args),
    refresh: () => vault.refresh(),
    purgeTrash: () => vault.purgeTrash(),
  };
}
