import { VaultError, wrapKeyWithPassphrase, type Vault, type VaultKey } from '@tessera/vault';
import { newStorageKey, type BrowserKeys } from './storage.js';

/**
 * The app lock of a browser vault, shared by the web app and the extension: the storage key is
 * wrapped under a passphrase-derived key (Argon2id, in `@tessera/vault`) and kept nowhere else.
 */

/** Minimum app-lock passphrase length. */
export const MIN_PASSPHRASE = 8;

/**
 * Turns the app lock on, or changes its passphrase. As the CLI does (`setVaultPassphrase`), a fresh
 * storage key is made and the vault re-encrypted under it: re-wrapping the same key would leave a
 * key that opens the vault in whatever kept the old wrap (the browser-held copy and its wrapping
 * key, an old passphrase). The browser-held copy is deleted once the vault is saved.
 */
export async function setLockPassphrase(
  vault: Vault,
  keys: BrowserKeys,
  passphrase: string,
): Promise<VaultKey> {
  if (passphrase.length < MIN_PASSPHRASE)
    throw new Error(`The passphrase is too short: use at least ${MIN_PASSPHRASE} characters.`);
  const next = newStorageKey();
  const kdf = await wrapKeyWithPassphrase({ key: next.key, keyId: next.keyId, passphrase });
  const locked = { ...next, custody: 'passphrase' as const, kdf };
  await vault.rekey(locked);
  keys.current = locked;
  await keys.dropBrowserCopy();
  return locked;
}

/** Opens the vault with `passphrase`; a wrong one is said in words, and changes nothing. */
export async function unlockWithPassphrase<T>(
  keys: BrowserKeys,
  passphrase: string,
  open: () => Promise<T>,
): Promise<T> {
  keys.offerPassphrase(passphrase);
  try {
    return await open();
  } catch (err) {
    if (err instanceof VaultError && err.code === 'wrong-passphrase')
      throw new Error('That passphrase does not open Tessera.', { cause: err });
    throw err;
  }
}
