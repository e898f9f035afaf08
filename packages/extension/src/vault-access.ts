/// <reference types="chrome" />
import {
  readVaultHeader,
  Vault,
  VaultError,
  type VaultEntry,
  type VaultKey,
  type VaultStorage,
} from '@tessera/vault';
// The browser's vault storage, key custody and app lock are the web app's (one implementation for both).
import { BrowserKeys, indexedDbStorage, vaultChannel } from '../../web/src/platform/storage.js';
import { setLockPassphrase, unlockWithPassphrase } from '../../web/src/platform/app-lock.js';
import { db, loadSettings, saveSettings } from '../../web/src/platform/db.js';
import type { PasskeyLock } from '../../web/src/platform/passkey.js';
import { siteCodes } from './site.js';
import { sealFirstScreen } from './first-screen.js';
import { FIRST_SCREEN_KEY, lockedNow, onLocked, type StoredKey } from './first-screen-access.js';
import { LOCK_ALARM, lockAfterMinutes, UNLOCKED_KEY } from './lock-settings.js';
import type { Request } from './messages.js';

let opening: Promise<Vault> | null = null;
/** What each open vault of this context listens to, removed when it is closed (`closeVault`). */
const listening = new WeakMap<Vault, () => void>();
let keys = new BrowserKeys();

/**
 * The vault of this extension (IndexedDB of the extension's own origin), opened once per context
 * and re-read when another context (popup, background) saves.
 *
 * With the app lock on, the storage key unlocked by the passphrase is kept in `chrome.storage.session`:
 * memory only, gone when the browser closes, readable by the extension's own pages and background but
 * not by content scripts. That lets the background (a service worker the browser stops when idle) and
 * the popup share one unlock; locking removes it and every context forgets its open vault.
 */
export function openVault(): Promise<Vault> {
  opening ??= (async () => {
    const held = (await chrome.storage.session.get(UNLOCKED_KEY))[UNLOCKED_KEY] as StoredKey | undefined;
    if (held) keys.offerKey({ key: new Uint8Array(held.key), keyId: held.keyId, custody: 'passphrase' });
    const vault = await Vault.open({ storage: announcingSaves(indexedDbStorage()), keys });
    const refresh = () => void vault.refresh().catch(() => undefined);
    vaultChannel().addEventListener('message', refresh);
    // The context that changed the vault (popup, or the background's sync round) reseals the popup's first screen.
    const unsubscribe = vault.onChange((change) => {
      if (change.source === 'local') saveFirstScreenSoon(vault);
    });
    listening.set(vault, () => {
      vaultChannel().removeEventListener('message', refresh);
      unsubscribe();
    });
    const settings = await loadSettings();
    if (!settings.mode) await saveSettings({ mode: 'device' });
    // A passphrase unlock (not one from session storage) is shared with the other contexts.
    if (!held && vault.custody === 'passphrase' && keys.current) await holdUnlocked(keys.current);
    return vault;
  })().catch((err: unknown) => {
    opening = null;
    throw err;
  });
  return opening;
}

/**
 * What this context does after each save of the vault: by default (the popup) it tells the
 * background, which recounts the badges of open tabs (the message wakes it if the browser stopped
 * it); the background itself recounts at once (`onVaultSaved`).
 */
let afterSave = (): void => {
  chrome.runtime.sendMessage({ type: 'vault-saved' } satisfies Request).catch(() => undefined);
};

/** In the background: `listener` runs after each save this context makes. */
export function onVaultSaved(listener: () => void): void {
  afterSave = listener;
}

/** `storage`, calling `afterSave` once each save is stored (so a re-read finds it). */
function announcingSaves(storage: VaultStorage): VaultStorage {
  return {
    ...storage,
    async save(bytes, options) {
      await storage.save(bytes, options);
      afterSave();
    },
  };
}

async function holdUnlocked(key: VaultKey): Promise<void> {
  const stored: StoredKey = { key: [...key.key], keyId: key.keyId };
  await chrome.storage.session.set({ [UNLOCKED_KEY]: stored });
  await touch();
}

/**
 * Lets go of a vault this context opened and will not use again (an open a lock overtook, or the
 * vault on screen when Tessera locked): it stops re-reading the file on other contexts' saves,
 * which kept it, its key and its entries alive.
 */
export function closeVault(vault: Vault): void {
  listening.get(vault)?.();
  listening.delete(vault);
  vault.close();
}

/** Opens the locked vault with the passphrase; a wrong one is refused in words. */
export async function unlockVault(passphrase: string): Promise<Vault> {
  opening = null;
  return unlockWithPassphrase(keys, passphrase, openVault);
}

/** Turns the app lock on (or changes its passphrase); this unlock stays open. */
export async function setAppLock(passphrase: string): Promise<void> {
  const vault = await openVault();
  // The first screen sealed under the old key goes first: nothing the old key opens stays behind.
  await (await db()).delete('vault', FIRST_SCREEN_KEY);
  const locked = await setLockPassphrase(vault, keys, passphrase);
  // A new storage key: a passkey lock made for the old one would open nothing (the web app's rule).
  await (await db()).delete('keys', PASSKEY_KEY);
  await holdUnlocked(locked);
  await saveFirstScreen(vault);
}

/** Seals the first screen of `vault` as it is now, under its storage key. */
export async function saveFirstScreen(vault: Vault): Promise<void> {
  const key = keys.current;
  if (!key || vault.generation === 0) return;
  const bytes = sealFirstScreen({ key, generation: vault.generation, entries: vault.entries() });
  await (await db()).put('vault', bytes, FIRST_SCREEN_KEY);
}

let sealing: Promise<void> | null = null;

/** `saveFirstScreen` once after a burst of changes (an import, a sync round), off the current task. */
function saveFirstScreenSoon(vault: Vault): void {
  sealing ??= new Promise<void>((resolve) => setTimeout(resolve, 0))
    .then(() => {
      sealing = null;
      return saveFirstScreen(vault);
    })
    .catch(() => undefined);
}

/** Where the passkey unlock's wrap of the storage key is kept (the web app's key name and store). */
const PASSKEY_KEY = 'passkey-lock';

/** Whether a passkey can unlock Tessera here. */
export async function hasPasskeyLock(): Promise<boolean> {
  return (await (await db()).count('keys', PASSKEY_KEY)) > 0;
}

/**
 * Adds passkey unlock to the app lock: WebAuthn works in the extension's own origin (the relying
 * party is the extension's id), and the PRF extension gives the secret that wraps the storage key,
 * as in the web app (`platform/passkey.ts`). The passphrase keeps working.
 */
export async function addPasskeyLock(): Promise<void> {
  const vault = await openVault();
  if (vault.custody !== 'passphrase' || !keys.current)
    throw new Error('Turn on the app lock with a passphrase first.');
  const { createPasskeyLock } = await import('../../web/src/platform/passkey.js');
  await (await db()).put('keys', await createPasskeyLock(keys.current.key), PASSKEY_KEY);
}

export async function removePasskeyLock(): Promise<void> {
  await (await db()).delete('keys', PASSKEY_KEY);
}

/** Opens the locked vault with the passkey; the unlock is shared with the other contexts. */
export async function unlockWithPasskey(): Promise<Vault> {
  const lock = (await (await db()).get('keys', PASSKEY_KEY)) as PasskeyLock | undefined;
  if (!lock) throw new Error('No passkey unlocks Tessera in this browser.');
  const { openPasskeyLock } = await import('../../web/src/platform/passkey.js');
  const key = await openPasskeyLock(lock);
  const stored = await indexedDbStorage().load();
  if (!stored) throw new Error('There is no vault to unlock.');
  keys.offerKey({ key, keyId: readVaultHeader(stored).header.keyId, custody: 'passphrase' });
  opening = null;
  const vault = await openVault();
  if (keys.current) await holdUnlocked(keys.current);
  return vault;
}

/** Locks now: the unlocked key leaves session storage, and every context drops its vault. */
export async function lockVault(): Promise<void> {
  await chrome.storage.session.remove(UNLOCKED_KEY);
  await chrome.alarms.clear(LOCK_ALARM);
  lockedNow();
}

/** Use of Tessera: the idle lock starts counting again from now. */
export async function touch(): Promise<void> {
  if (!(await chrome.storage.session.get(UNLOCKED_KEY))[UNLOCKED_KEY]) return;
  await chrome.alarms.create(LOCK_ALARM, { when: Date.now() + (await lockAfterMinutes()) * 60_000 });
}

function forget(): void {
  opening = null;
  keys = new BrowserKeys();
}

// Locked from any context: this one forgets its open vault (first-screen-access.ts tells the popup).
onLocked(forget);

/** Why the vault cannot be used right now, in words for the popup or the page's fill button. */
export function vaultProblem(err: unknown): string {
  if (isLocked(err)) return 'Tessera is locked: open it and unlock first.';
  return err instanceof Error ? err.message : String(err);
}

export function isLocked(err: unknown): boolean {
  return err instanceof VaultError && err.code === 'passphrase-required';
}

/** The entries bound to `site`, each with its current code (HOTP entries excluded: filling one would spend a counter). */
export function codesForSite(
  vault: Vault,
  site: string | null,
  now = Date.now(),
): { entry: VaultEntry; code: string; secondsLeft: number | null }[] {
  return siteCodes(vault.entries(), site, now);
}
