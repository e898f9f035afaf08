/**
 * The app lock rekeys (issue 13): turning it on or changing its passphrase makes a fresh storage key
 * and re-encrypts the vault, and deletes what held the old key. Real Chromium, real IndexedDB; the
 * page's stored state is read through the page and checked in Node with the vault's own decryption.
 * The lock also closes the app after five minutes in the background (issue 18), driven by
 * Playwright's fake clock and the page's own visibilitychange event.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openVaultFileAny, readVaultHeader, unwrapKeyWithPassphrase } from '@tessera/vault';
import { totp } from '@tessera/otp';
import { addTyped, startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

const SECRET = 'JBSWY3DPEHPK3PXP';
const FIRST = 'a long passphrase';
const SECOND = 'another long passphrase';

interface Stored {
  vault: number[];
  /** Names of everything in the `keys` store. */
  keyNames: string[];
  /** The browser-held storage key, unwrapped with the stored wrapping key (null when none is stored). */
  browserKey: number[] | null;
  /** For a blob sealed by the old wrapping key: which stored CryptoKeys still open it. */
  opensOldBlob: string[];
}

/** Everything the `tessera` IndexedDB database holds, read inside the page. */
async function readStored(page: Page, oldBlob?: { iv: number[]; wrapped: number[] }): Promise<Stored> {
  return page.evaluate(async (old) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tessera');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = (store: string) =>
      new Promise<{ keys: IDBValidKey[]; values: unknown[] }>((resolve) => {
        const os = db.transaction(store).objectStore(store);
        const keys = os.getAllKeys();
        const values = os.getAll();
        values.onsuccess = () => resolve({ keys: keys.result, values: values.result });
      });
    const vaultStore = await all('vault');
    const keyStore = await all('keys');
    const entries = keyStore.keys.map((k, i) => [String(k), keyStore.values[i]] as const);
    const held = entries.find(([k]) => k === 'vault-key')?.[1] as
      { iv: Uint8Array; wrapped: Uint8Array } | undefined;
    const wrapping = entries.find(([k]) => k === 'vault-wrapping-key')?.[1] as CryptoKey | undefined;
    const browserKey =
      held && wrapping
        ? Array.from(
            new Uint8Array(
              await crypto.subtle.decrypt(
                { name: 'AES-GCM', iv: held.iv as BufferSource },
                wrapping,
                held.wrapped as BufferSource,
              ),
            ),
          )
        : null;
    const opensOldBlob: string[] = [];
    if (old) {
      for (const [name, value] of entries) {
        if (!(value instanceof CryptoKey) || !value.usages.includes('decrypt')) continue;
        try {
          await crypto.subtle.decrypt(
            { name: 'AES-GCM', iv: new Uint8Array(old.iv) },
            value,
            new Uint8Array(old.wrapped),
          );
          opensOldBlob.push(name);
        } catch {
          // does not open it: what we want
        }
      }
    }
    return {
      vault: Array.from(vaultStore.values[0] as Uint8Array),
      keyNames: entries.map(([k]) => k),
      browserKey,
      opensOldBlob,
    };
  }, oldBlob);
}

/** The wrapped browser-held key as stored, to try every later stored key on it. */
async function heldBlob(page: Page): Promise<{ iv: number[]; wrapped: number[] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('tessera');
      request.onsuccess = () => resolve(request.result);
    });
    const held = await new Promise<{ iv: Uint8Array; wrapped: Uint8Array }>((resolve) => {
      const request = db.transaction('keys').objectStore('keys').get('vault-key');
      request.onsuccess = () => resolve(request.result as { iv: Uint8Array; wrapped: Uint8Array });
    });
    return { iv: Array.from(held.iv), wrapped: Array.from(held.wrapped) };
  });
}

/** True when `key` authenticates and decrypts the vault file `bytes` (AES-256-GCM in browsers). */
async function opens(key: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  try {
    await openVaultFileAny({ key, bytes });
    return true;
  } catch {
    return false;
  }
}

async function setPassphrase(page: Page, passphrase: string, button: string): Promise<void> {
  await page.goto('/#/settings');
  await page.getByLabel(/^(New passphrase|Passphrase)$/).fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
  await page.getByRole('button', { name: button }).click();
  await page.getByRole('status').filter({ hasText: 'The app lock is on.' }).waitFor();
}

describe('app lock rekeys the vault', { timeout: 120_000 }, () => {
  it('turning the lock on and changing the passphrase leave no key that opens the new vault or the old one', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Rekeyed', account: 'r@example.com', secret: SECRET });

    // Before: the vault is under the browser-held key K0.
    const before = await readStored(page);
    const k0 = new Uint8Array(before.browserKey!);
    const v0 = new Uint8Array(before.vault);
    expect(await opens(k0, v0)).toBe(true);
    const oldBlob = await heldBlob(page);

    await setPassphrase(page, FIRST, 'Turn on app lock');
    const locked = await readStored(page, oldBlob);
    const v1 = new Uint8Array(locked.vault);
    const h1 = readVaultHeader(v1).header;
    expect(h1.custody).toBe('passphrase');
    expect(h1.keyId).not.toBe(readVaultHeader(v0).header.keyId);
    // The browser-held key and the key that wrapped it are gone; nothing stored opens the old wrap.
    expect(locked.keyNames).not.toContain('vault-key');
    expect(locked.keyNames).not.toContain('vault-wrapping-key');
    expect(locked.opensOldBlob).toEqual([]);
    // The old key does not open the vault now stored; the new one (from the passphrase) does.
    expect(await opens(k0, v1)).toBe(false);
    const k1 = await unwrapKeyWithPassphrase({ wrap: h1.kdf!, keyId: h1.keyId, passphrase: FIRST });
    expect(await opens(k1, v1)).toBe(true);

    await setPassphrase(page, SECOND, 'Change passphrase');
    const changed = await readStored(page, oldBlob);
    const v2 = new Uint8Array(changed.vault);
    const h2 = readVaultHeader(v2).header;
    expect(h2.keyId).not.toBe(h1.keyId);
    expect(await opens(k1, v2)).toBe(false);
    expect(await opens(k0, v2)).toBe(false);
    await expect(
      unwrapKeyWithPassphrase({ wrap: h2.kdf!, keyId: h2.keyId, passphrase: FIRST }),
    ).rejects.toMatchObject({ code: 'wrong-passphrase' });
    expect(changed.opensOldBlob).toEqual([]);

    // After a reload only the new passphrase opens it, and the codes are right.
    await page.goto('/');
    await page.reload();
    await page.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
    await page.getByLabel('Passphrase').fill(SECOND);
    await page.getByRole('button', { name: 'Unlock' }).click();
    const row = page.locator('.row', { hasText: 'Rekeyed' });
    await row.waitFor();
    const now = Math.floor(Date.now() / 1000);
    const shown = (await row.textContent())!.replace(/\s/g, '');
    expect(
      [totp({ secret: SECRET, time: now }), totp({ secret: SECRET, time: now - 30 })].some((c) =>
        shown.includes(c),
      ),
    ).toBe(true);
    expect(errors).toEqual([]);
  });

  it('locks after five minutes in the background, not after less, and not without the lock on', async () => {
    const { page, errors } = await harness.device();
    // Headless Chromium never hides a tab: the page's visibility is set here, and the app hears the
    // same visibilitychange event a real tab switch sends. Time is Playwright's fake clock.
    await page.addInitScript(() => {
      let hidden = false;
      Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
      Object.defineProperty(document, 'hidden', { get: () => hidden });
      (window as unknown as { setHidden: (h: boolean) => void }).setHidden = (h) => {
        hidden = h;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    await page.clock.install();
    const away = async (time: string) => {
      await page.evaluate(() => (window as unknown as { setHidden: (h: boolean) => void }).setHidden(true));
      await page.clock.fastForward(time);
      await page.evaluate(() => (window as unknown as { setHidden: (h: boolean) => void }).setHidden(false));
    };
    const lockScreen = page.getByRole('heading', { name: 'Tessera is locked' });
    const row = page.locator('.row', { hasText: 'Idle' });
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Idle', account: 'i@example.com', secret: SECRET });
    await page.goto('/#/');
    // Without the app lock, a long absence leaves the codes open.
    await away('01:00:00');
    await row.waitFor();
    expect(await lockScreen.count()).toBe(0);

    await setPassphrase(page, FIRST, 'Turn on app lock');
    await page.goto('/#/');
    await row.waitFor();
    // Just under five minutes away: still open.
    await away('04:59');
    await row.waitFor();
    expect(await lockScreen.count()).toBe(0);
    // Over five minutes away: locked when the tab comes back, with no code left on the page.
    await away('05:01');
    await lockScreen.waitFor();
    expect(await row.count()).toBe(0);
    await page.getByLabel('Passphrase').fill(FIRST);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await row.waitFor();
    expect(errors).toEqual([]);
  });
});
