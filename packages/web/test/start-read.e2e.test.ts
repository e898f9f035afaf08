/**
 * The app's start (issue 14): the settings, the passkey flag, the vault file and the browser-held key
 * come from one read-only IndexedDB transaction begun before the first render, and every first
 * screen still follows from them: the codes (with the theme of this browser), first run, and the
 * lock screen of a passphrase vault (with its passkey button when a passkey lock is stored).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { totp } from '@tessera/otp';
import { addTyped, createKeychain, startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

/** Records every IndexedDB transaction the page starts: its stores, its mode and when. */
function recordTransactions(): void {
  const w = window as unknown as { idbTransactions: { stores: string[]; mode: string; at: number }[] };
  w.idbTransactions = [];
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, stores, mode, options) {
    w.idbTransactions.push({
      stores: (typeof stores === 'string' ? [stores] : [...stores]).sort(),
      mode: mode ?? 'readonly',
      at: performance.now(),
    });
    return original.call(this, stores as string | string[], mode, options);
  } as typeof original;
}

/** The transactions started before `mark`, or all of them (the mark must be there when named). */
async function transactionsBefore(page: Page, mark?: string): Promise<{ stores: string[]; mode: string }[]> {
  return page.evaluate((name) => {
    const at = name ? performance.getEntriesByName(name)[0]!.startTime : Infinity;
    const all = (window as unknown as { idbTransactions: { stores: string[]; mode: string; at: number }[] })
      .idbTransactions;
    return all.filter((t) => t.at <= at).map(({ stores, mode }) => ({ stores, mode }));
  }, mark);
}

/** The stores public/start.js read before the app ran, by name; null when it gave way to the app. */
async function earlyStores(page: Page): Promise<string[] | null> {
  return page.evaluate(async () => {
    const early = await (window as unknown as { __tesseraStart?: Promise<{ stores: object | null } | null> })
      .__tesseraStart;
    return early?.stores ? Object.keys(early.stores).sort() : null;
  });
}

const START_READ = { stores: ['keys', 'settings', 'vault'], mode: 'readonly' };

/** Puts (or with `undefined` deletes) one record of the app's `keys` store. */
async function putKey(page: Page, key: string, value: unknown): Promise<void> {
  await page.evaluate(
    async ([k, v]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('tessera');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('keys', 'readwrite');
        if (v === undefined) tx.objectStore('keys').delete(k as string);
        else tx.objectStore('keys').put(v, k as string);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    [key, value] as const,
  );
}

describe('the start read', { timeout: 120_000 }, () => {
  it('shows the codes, in this browser’s theme, from one IndexedDB transaction', async () => {
    const { page, errors } = await harness.device();
    await page.addInitScript(recordTransactions);
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Start', account: 's@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await page.goto('/#/settings');
    await page.getByLabel('Theme').selectOption('dark');
    // A reload before the settings write commits would abort it: wait until a read sees it.
    await page.waitForFunction(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open('tessera');
        request.onsuccess = () => resolve(request.result);
      });
      const theme = await new Promise<unknown>((resolve) => {
        const request = db.transaction('settings').objectStore('settings').get('local');
        request.onsuccess = () => resolve((request.result as { theme?: string } | undefined)?.theme);
      });
      db.close();
      return theme === 'dark';
    });

    await page.goto('/#/');
    await page.reload();
    await page.locator('.row', { hasText: 'Start' }).waitFor();
    await page.waitForFunction(() => performance.getEntriesByName('tessera:codes-visible').length > 0);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    // Until the vault is open; then the app's other parts (local backups) read what they need, once
    // the codes are painted and marked visible.
    expect(await transactionsBefore(page, 'tessera:vault-open-end')).toEqual([START_READ]);
    expect(await transactionsBefore(page, 'tessera:codes-visible')).toEqual([START_READ]);
    await expect
      .poll(() => transactionsBefore(page))
      .toContainEqual({ stores: ['handles'], mode: 'readonly' });
    // That one read was public/start.js's, begun before the app's modules ran: the app used its stores.
    expect(await earlyStores(page)).toEqual(['keys', 'settings', 'vault']);
    expect(errors).toEqual([]);
  });

  it('starts a first-run browser, and a locked vault with and without a passkey lock', async () => {
    const { page, errors } = await harness.device();
    await page.addInitScript(recordTransactions);
    await page.goto('/');
    await page.getByRole('button', { name: /Use on this device only/ }).waitFor();
    expect(await transactionsBefore(page, 'tessera:vault-open-end')).toEqual([START_READ]);
    // No database yet: public/start.js gave way (its open aborted, leaving none) and the app made it.
    expect(await earlyStores(page)).toBeNull();

    await page.getByRole('button', { name: /Use on this device only/ }).click();
    await addTyped(page, { issuer: 'Locked', account: 'l@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await page.goto('/#/settings');
    await page.getByLabel('Passphrase', { exact: true }).fill('a long passphrase');
    await page.getByLabel('Passphrase again').fill('a long passphrase');
    await page.getByRole('button', { name: 'Turn on app lock' }).click();
    await page.getByRole('status').filter({ hasText: 'The app lock is on.' }).waitFor();

    // A stored passkey lock shows its button on the lock screen (its contents are not read here).
    await putKey(page, 'passkey-lock', { kind: 'stand-in' });
    await page.goto('/');
    await page.reload();
    await page.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
    expect(await page.getByRole('button', { name: 'Unlock with passkey' }).count()).toBe(1);
    expect(await transactionsBefore(page)).toEqual([START_READ]);

    await putKey(page, 'passkey-lock', undefined);
    await page.reload();
    await page.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
    expect(await page.getByRole('button', { name: 'Unlock with passkey' }).count()).toBe(0);
    await page.getByLabel('Passphrase').fill('a long passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('.row', { hasText: 'Locked' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('opens the screen of a link followed while the app starts', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await page.goto('/#/');
    // The hash changes right after the app's first render, before its effects run (they wait for a
    // paint): the moment a reload's load event can fall in on a busy machine.
    await page.addInitScript(() => {
      const watch = new MutationObserver(() => {
        if (!document.getElementById('app')?.firstChild) return;
        watch.disconnect();
        location.hash = '#/settings';
      });
      watch.observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Settings');
    expect(errors).toEqual([]);
  });

  it('starts the keychain in a tab that paints no frame (opened in the background)', async () => {
    // A tab opened in the background runs no animation frame until it is shown: the keychain (and
    // the vault file's upgrade) must still start after the codes, not wait for the tab to be shown.
    const { page, context, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Behind', account: 'b@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await createKeychain(page, { email: 'background-tab@example.com', password: 'a long account password' });
    await page.close(); // its keychain session is not the one under test
    const background = await context.newPage();
    await background.addInitScript(() => {
      window.requestAnimationFrame = () => 0;
    });
    const keychainRequest = background.waitForRequest(
      (request) => request.url().includes('/v1/') && !request.url().includes('/v1/meta'),
    );
    await background.goto('/');
    await keychainRequest;
    expect(errors).toEqual([]);
  });

  it('shows each time step’s code: a code is reused only within its step', async () => {
    const { page, errors } = await harness.device();
    const secret = 'JBSWY3DPEHPK3PXP';
    // One second into a 30-second step.
    const t0 = (Math.floor(Date.now() / 30_000) + 1) * 30_000 + 1000;
    await page.clock.install({ time: t0 });
    // The steps here are those of the page's own clock, set up to 31 s ahead of the server's; the
    // app's clock check (GET /v1/meta, once the device is chosen) would rightly move the codes to the
    // server's time, at a moment that depends on the machine's speed. So no server time reaches it.
    await page.route('**/v1/meta', (route) => route.abort());
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Ticking', account: 't@example.com', secret });
    await page.goto('/#/');
    const row = page.locator('.row', { hasText: 'Ticking' });
    const shown = async (selector: string) =>
      ((await row.locator(selector).textContent()) ?? '').replace(/\s/g, '');
    const at = (ms: number) => totp({ secret, time: Math.floor(ms / 1000) });
    const now = async () => page.evaluate(() => Date.now());

    const start = await now();
    expect(await shown('.code')).toBe(at(start));
    // Seven seconds or fewer left: the next step's code shows beside it.
    await page.clock.fastForward(30_000 - (start % 30_000) - 5000);
    await row.locator('.next').waitFor();
    expect(await shown('.next')).toBe(`next${at((await now()) + 30_000)}`);
    // Into the next step, and the one after: each shows its own code.
    for (let step = 0; step < 2; step++) {
      await page.clock.fastForward(10_000 + step * 20_000);
      const t = await now();
      await page.waitForFunction(
        ([selector, code]) => document.querySelector(selector)?.textContent?.replace(/\s/g, '') === code,
        ['.row .code', at(t)] as const,
      );
    }
    expect(errors).toEqual([]);
  });
});
