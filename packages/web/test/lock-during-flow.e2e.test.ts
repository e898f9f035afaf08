/**
 * A lock that comes while a keychain flow waits on the network wins: the flow's end (here a sign-out
 * whose logout the test holds) must not take the app from its lock screen back to the codes screen.
 * The web app's opens cannot race a lock (an open runs while the app loads or on the lock screen, and
 * both locks need the codes screen), but these flows end by showing the codes screen. Real Chromium,
 * real server; the logout request is held by the test and released after the lock.
 */
import { describe, expect, it } from 'vitest';
import type { Route } from 'playwright-core';
import { addTyped, createKeychain, startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

describe('a lock during a keychain flow', { timeout: 120_000 }, () => {
  it('keeps the lock screen when a sign-out finishes after Lock now', async () => {
    const { page, errors } = await harness.device();
    const lockScreen = page.getByRole('heading', { name: 'Tessera is locked' });
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Held', account: 'h@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await createKeychain(page, {
      email: 'lock-during-flow@example.com',
      password: 'a long account password',
    });
    await page.goto('/#/settings');
    await page.getByLabel(/^(New passphrase|Passphrase)$/).fill('a long passphrase');
    await page.getByLabel('Passphrase again').fill('a long passphrase');
    await page.getByRole('button', { name: 'Turn on app lock' }).click();
    await page.getByRole('status').filter({ hasText: 'The app lock is on.' }).waitFor();

    // The sign-out's logout (DELETE /v1/sessions/current) is held until the lock has come.
    let held!: (route: Route) => void;
    const logout = new Promise<Route>((resolve) => (held = resolve));
    await page.route('**/v1/sessions/current', (route) =>
      route.request().method() === 'DELETE' ? held(route) : route.continue(),
    );
    await page.goto('/#/backup');
    await page.getByRole('button', { name: 'Sign out of the keychain' }).click();
    const route = await logout;

    await page.goto('/#/settings');
    await page.getByRole('button', { name: 'Lock now' }).click();
    await lockScreen.waitFor();
    await route.continue().catch(() => undefined); // (or the lock aborted it: the same order)

    // The sign-out ends by storing this device's mode as device-only, then showing what it shows.
    await page.waitForFunction(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('tessera');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const settings = await new Promise<{ mode?: string } | undefined>((resolve) => {
        const request = db.transaction('settings').objectStore('settings').get('local');
        request.onsuccess = () => resolve(request.result as { mode?: string } | undefined);
      });
      db.close();
      return settings?.mode === 'device';
    });
    // Two frames: whatever the sign-out's end changed has been rendered.
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    expect(await lockScreen.count()).toBe(1);
    expect(await page.locator('.row').count()).toBe(0);

    // The passphrase opens the app, signed out of the keychain, with its code.
    await page.getByLabel('Passphrase').fill('a long passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await lockScreen.waitFor({ state: 'detached' });
    await page.goto('/#/');
    await page.locator('.row', { hasText: 'Held' }).waitFor();
    expect(errors).toEqual([]);
  });
});
