/// <reference types="chrome" />
import type { VaultHeader } from '@tessera/vault';
import { BrowserKeys, hasStoredVault } from '../../web/src/platform/storage.js';
import { db } from '../../web/src/platform/db.js';
import { firstScreenHeader, openFirstScreen, type FirstScreen } from './first-screen.js';
import { UNLOCKED_KEY } from './lock-settings.js';

/**
 * What the popup needs before its first paint, and nothing more: reading the sealed first screen
 * (`first-screen.ts`) and hearing that Tessera locked. The vault itself (`vault-access.ts`, the
 * whole `Vault` with its merge and sync code) is loaded after that paint.
 */

/** IndexedDB key (in the vault's store) of the sealed first screen (`first-screen.ts`). */
export const FIRST_SCREEN_KEY = 'popup-first-screen';

/** The unlocked storage key as `chrome.storage.session` holds it while the app lock is open. */
export interface StoredKey {
  key: number[];
  keyId: string;
}

/** A new device's first screen: no vault stored yet, so nothing locked and nothing to decrypt. */
const NOTHING_STORED: FirstScreen = { total: 0, top: [], bound: [] };

/**
 * The popup's first screen, if one is stored and this context can open it now: with the app lock
 * on, only while unlocked (the key in session storage); without it, with the browser-held key.
 * Null otherwise, or when it does not open (the popup then waits for the vault, which says why).
 */
export async function loadFirstScreen(): Promise<{ screen: FirstScreen; generation: number } | null> {
  try {
    const bytes = await (await db()).get('vault', FIRST_SCREEN_KEY);
    if (!bytes) return (await hasStoredVault()) ? null : { screen: NOTHING_STORED, generation: 0 };
    const header = firstScreenHeader(bytes);
    const key = await keyOf(header);
    if (!key) return null;
    return { screen: openFirstScreen({ key, bytes }), generation: header.generation };
  } catch {
    return null;
  }
}

/** The storage key `header` names, if it can be had without asking the user. */
async function keyOf(header: VaultHeader): Promise<Uint8Array | null> {
  if (header.custody === 'passphrase') {
    const held = (await chrome.storage.session.get(UNLOCKED_KEY))[UNLOCKED_KEY] as StoredKey | undefined;
    return held && held.keyId === header.keyId ? new Uint8Array(held.key) : null;
  }
  if (header.custody === 'browser') return (await new BrowserKeys().unlock(header)).key;
  return null;
}

const lockListeners = new Set<() => void>();

/** Calls `listener` when Tessera locks (in any context). */
export function onLocked(listener: () => void): () => void {
  lockListeners.add(listener);
  return () => lockListeners.delete(listener);
}

/** Tells every listener of this context that Tessera locked. */
export function lockedNow(): void {
  for (const listener of lockListeners) listener();
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'session' && UNLOCKED_KEY in changes && changes[UNLOCKED_KEY]!.newValue === undefined)
    lockedNow();
});
