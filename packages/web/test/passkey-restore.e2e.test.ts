/**
 * Restore through a passkey (docs/PROTOCOL.md §8) in real Chromium against the real server, with
 * Chromium's virtual authenticator and its PRF extension. A device signs up and adds a passkey for
 * restore; then the browser's storage is wiped (a new device that has the same synced passkey:
 * Chromium's virtual authenticator cannot hand a credential's PRF secret to another context), it
 * signs in, restores with the passkey alone, and shows the same codes.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { totp } from '@tessera/otp';
import { signInFromFirstRun, useHarness } from './harness.js';

const EMAIL = 'passkey-story@example.com';
const PASSWORD = 'correct horse battery staple';
const ENTRIES = [
  { issuer: 'GitHub', account: 'alice', secret: 'JBSWY3DPEHPK3PXP' },
  { issuer: 'Bank', account: 'alice@example.com', secret: 'GEZDGNBVGY3TQOJQ' },
];

const harness = useHarness();

/** `issuer|account|code` of every row, read in one go so every code is from the same moment. */
async function codes(page: Page, origin: string): Promise<string[]> {
  await page.goto(`${origin}/#/`);
  await page.locator('.row').first().waitFor({ timeout: 20_000 });
  return page.locator('.row').evaluateAll((rows) =>
    rows
      .map((row) => {
        const text = (selector: string) => row.querySelector(selector)?.textContent?.trim() ?? '';
        return `${text('.issuer').replace('★', '')}|${text('.account')}|${text('.code').replace(/\s/g, '')}`;
      })
      .sort(),
  );
}

describe('restore with a synced passkey', { timeout: 120_000 }, () => {
  it('a passkey added on one device restores every code on a new device, and can be removed', async () => {
    const { context, page, errors } = await harness.device();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        hasPrf: true,
      },
    });
    // WebAuthn refuses IP addresses as relying parties; localhost is a secure context too.
    const origin = harness.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: /Use on this device only/ }).click();
    for (const entry of ENTRIES) {
      await page.goto(`${origin}/#/add`);
      await page.getByRole('button', { name: 'Type it in' }).click();
      await page.getByLabel('Issuer', { exact: true }).fill(entry.issuer);
      await page.getByLabel('Account', { exact: true }).fill(entry.account);
      await page.getByLabel('Secret key').fill(entry.secret);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Added' }).first().waitFor();
    }
    await page.goto(`${origin}/#/backup`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Account password').fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create keychain' }).click();
    const recoveryKey = (await page.getByTestId('recovery-key').textContent())!.trim();
    await page.getByRole('button', { name: 'I wrote it down' }).click();
    await page.getByLabel('Type the recovery key to confirm').fill(recoveryKey);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('.row').first().waitFor();
    await page.goto(`${origin}/#/backup`);
    await page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 20_000 });

    const passkeys = page.getByRole('region', { name: 'Passkeys for restore' });
    await passkeys.getByRole('button', { name: 'Add a passkey for restore' }).click();
    await passkeys.getByRole('button', { name: 'Remove passkey' }).waitFor({ timeout: 20_000 });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);

    // A new device: nothing of the first one is left but the passkey in the (synced) authenticator.
    await page.goto(`${origin}/`);
    await page.evaluate(async () => {
      for (const registration of await navigator.serviceWorker.getRegistrations())
        await registration.unregister();
      for (const name of await caches.keys()) await caches.delete(name);
      for (const db of await indexedDB.databases())
        await new Promise((resolve) => {
          const request = indexedDB.deleteDatabase(db.name!);
          request.onsuccess = request.onerror = request.onblocked = resolve;
        });
      localStorage.clear();
    });
    await context.clearCookies();
    await signInFromFirstRun(page, { email: EMAIL, password: PASSWORD, url: `${origin}/` });
    await page.getByRole('heading', { name: 'Bring your codes to this device' }).waitFor();
    await page.getByRole('button', { name: 'Passkey' }).click();
    await page.getByRole('button', { name: 'Restore with passkey' }).click();
    await page.locator('.row').first().waitFor({ timeout: 20_000 });
    // The codes shown are those of the secrets added on the first device, now (retried across a step).
    await expect
      .poll(async () => {
        const now = Math.floor(Date.now() / 1000);
        const expected = ENTRIES.map(
          (e) => `${e.issuer}|${e.account}|${totp({ secret: e.secret, time: now })}`,
        ).sort();
        return (await codes(page, origin)).join() === expected.join();
      })
      .toBe(true);

    // The restored device lists the passkey and can remove it; the keychain then names none.
    await page.goto(`${origin}/#/backup`);
    const list = page.getByRole('region', { name: 'Passkeys for restore' });
    await list.getByRole('button', { name: 'Remove passkey' }).click();
    await expect
      .poll(() => list.getByRole('button', { name: 'Remove passkey' }).count(), { timeout: 20_000 })
      .toBe(0);
    expect(errors).toEqual([]);
  });
});
