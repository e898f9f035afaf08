import { db, type LocalSettings } from './db.js';
import { earlyStart } from './early-start.js';
import { BROWSER_KEY, PASSKEY_KEY, VAULT_KEY, WRAPPING_KEY, type HeldKeyPair } from './storage.js';

/**
 * Everything the first screen needs from IndexedDB, read in one read-only transaction: the local
 * settings, whether a passkey lock exists, the (encrypted) vault file, and the browser-held storage
 * key with its non-extractable wrapping key (both absent with the app lock on). Nothing here is
 * decrypted; the values are what `loadSettings`, `indexedDbStorage().load` and `BrowserKeys.unlock`
 * would read, a few round trips sooner.
 */
export interface StartRead {
  settings: LocalSettings;
  passkey: boolean;
  vault: Uint8Array | null;
  held: HeldKeyPair | null;
}

/** Read by bench/web.bench.mjs: where opening the vault begins (its storage read included). */
export const VAULT_OPEN_START = 'tessera:vault-open-start';

/** Starts the IndexedDB open and the start read; called before the first render. */
export async function readStart(): Promise<StartRead> {
  // Usually public/start.js has read the stores already, while the modules loaded.
  const stores = (await earlyStart())?.stores;
  if (stores) {
    return shape(
      stores.settings.get('local'),
      stores.keys.has(PASSKEY_KEY),
      stores.vault.get(VAULT_KEY),
      stores.keys.get(BROWSER_KEY),
      stores.keys.get(WRAPPING_KEY),
    );
  }
  performance.mark(VAULT_OPEN_START);
  const tx = (await db()).transaction(['settings', 'keys', 'vault'], 'readonly');
  const keys = tx.objectStore('keys');
  const [settings, passkey, vault, browserKey, wrappingKey] = await Promise.all([
    tx.objectStore('settings').get('local'),
    keys.count(PASSKEY_KEY),
    tx.objectStore('vault').get(VAULT_KEY),
    keys.get(BROWSER_KEY),
    keys.get(WRAPPING_KEY),
    tx.done,
  ]);
  return shape(settings, passkey > 0, vault, browserKey, wrappingKey);
}

function shape(
  settings: unknown,
  passkey: boolean,
  vault: unknown,
  browserKey: unknown,
  wrappingKey: unknown,
): StartRead {
  return {
    settings: settings ?? {},
    passkey,
    vault: vault ?? null,
    held: browserKey && wrappingKey ? { browserKey, wrappingKey } : null,
  } as StartRead;
}
