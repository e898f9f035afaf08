/// <reference types="chrome" />
import { Keychain, KeychainError, syncRound } from '@tessera/vault/keychain';
import { indexedDbDeviceKeyStore } from '../../web/src/platform/device-keys.js';
import { vaultHost } from '../../web/src/app/vault-host.js';
import { isLocked, openVault, vaultProblem } from './vault-access.js';
import { FOLLOW_LOCK, recordBackgroundSync, SYNC_ALARM, SYNC_PERIOD_MINUTES } from './sync-status.js';

/**
 * Sync while the popup is closed: the background (a service worker in Chromium, an event page in
 * Firefox, both stopped by the browser when idle) runs one sync round on a periodic alarm, so the
 * entries a fill uses and the popup shows first are at most a minute old. One round, not the feed:
 * the browser stops an idle background whatever it has open, and an alarm wakes it.
 */
export async function ensureSyncAlarm(): Promise<void> {
  if (!(await chrome.alarms.get(SYNC_ALARM)))
    await chrome.alarms.create(SYNC_ALARM, { periodInMinutes: SYNC_PERIOD_MINUTES });
}

/**
 * One background round, unless the popup is open (it holds FOLLOW_LOCK and follows the feed
 * itself), Tessera is locked (the vault cannot be read, so nothing is fetched), or this browser is
 * not signed in to a keychain.
 */
export async function backgroundSync(): Promise<void> {
  await navigator.locks.request(FOLLOW_LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) return;
    const vault = await openVault().catch((err: unknown) => {
      if (isLocked(err)) return null;
      throw err;
    });
    if (!vault || vault.getMeta('keychain') === undefined) return;
    const keychain = new Keychain({
      host: vaultHost(vault),
      deviceKeys: indexedDbDeviceKeyStore(),
      clientId: `tessera-extension/${__APP_VERSION__}`,
    });
    if (keychain.state?.status === 'removed') return;
    try {
      const { pulled } = await syncRound(keychain);
      await recordBackgroundSync({ at: Date.now(), pulled, entries: vault.entries().length, error: null });
    } catch (err) {
      // Offline is normal for a laptop; the next alarm tries again. Anything else is shown in the popup.
      const error = err instanceof KeychainError && err.code === 'offline' ? 'offline' : vaultProblem(err);
      await recordBackgroundSync({ at: Date.now(), pulled: 0, entries: vault.entries().length, error });
    }
  });
}
