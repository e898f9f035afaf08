import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addCodeInPopup, hasFirstScreen, REAL, storedText, withExtensionAndSite } from './harness.js';
import { LOCK_ALARM, UNLOCKED_KEY } from '../src/lock-settings.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const PASSPHRASE = 'correct horse battery';
/** As long as a locator's wait (the harness's default timeout). */
const WAIT = { timeout: 20_000 };

describe(
  'the app lock: locked, the extension gives no code anywhere until the passphrase opens it',
  { timeout: 120_000 },
  () => {
    const env = withExtensionAndSite();

    const url = (path: string) => `http://${REAL}:${env.site.port}${path}`;

    it('locks after the idle time (the alarm), offers nothing while locked, refuses a wrong passphrase and opens with the right one', async () => {
      const bank = await env.ext.context.newPage();
      await bank.goto(url('/2fa'));
      const popup = await env.ext.popup(bank);
      await addCodeInPopup(popup, { secret: SECRET, issuer: 'Bank', account: 'alice' });
      // The popup's first screen is stored from now on, sealed like the vault: no secret or label in clear.
      await expect.poll(() => hasFirstScreen(popup)).toBe(true);
      await expectNoPlaintext(popup);

      // Turn the lock on with the default idle time: the alarm is set 5 minutes from now.
      await popup.getByText('App lock', { exact: true }).click();
      expect(await popup.getByLabel('Lock after (minutes unused)').inputValue()).toBe('5');
      await popup.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
      const before = Date.now();
      await popup.getByRole('button', { name: 'Turn on app lock' }).click();
      await popup.getByRole('status').filter({ hasText: 'App lock on' }).waitFor();
      const after = Date.now();
      const alarm = await env.ext.worker.evaluate((name) => chrome.alarms.get(name), LOCK_ALARM);
      expect(alarm?.scheduledTime).toBeGreaterThanOrEqual(before + 5 * 60_000);
      expect(alarm?.scheduledTime).toBeLessThanOrEqual(after + 5 * 60_000);

      // Unlocked, the page gets its code, and a new popup paints it from the first screen (resealed
      // under the new key), which is no more readable than the vault.
      await bank.reload();
      await expect.poll(() => env.ext.badge(bank)).toBe('1');
      const second = await env.ext.popup(bank);
      await expect
        .poll(() => second.getByLabel('Code for Bank (alice)').first().textContent())
        .toMatch(/^\d{3} \d{3}$/);
      expect(await second.evaluate(() => performance.getEntriesByName('tessera:first-screen').length)).toBe(
        1,
      );
      await expectNoPlaintext(second);

      // The idle time passes: the same alarm, moved to now, fires and locks every part. The second
      // popup's open is use and sets the alarm 5 minutes ahead once its vault is open, which can come
      // after its codes show from the first screen and so after the move: the alarm is moved to now
      // again until it has fired.
      const locked = popup.getByRole('heading', { name: 'Tessera is locked' });
      await expect
        .poll(async () => {
          await env.ext.worker.evaluate(
            (name) => chrome.alarms.create(name, { when: Date.now() }),
            LOCK_ALARM,
          );
          return locked.isVisible();
        }, WAIT)
        .toBe(true);
      expect(await popup.getByLabel(/^Code for/).count()).toBe(0);

      // Locked, the page is offered nothing: no badge, no fill button, no code.
      await bank.reload();
      await bank.locator('#otp').click();
      await bank.locator('tessera-fill[data-state="locked"]').waitFor({ state: 'attached' });
      expect(await bank.locator('tessera-fill').isVisible()).toBe(false);
      expect(await env.ext.badge(bank)).toBe('');
      expect(await bank.locator('#otp').inputValue()).toBe('');
      // Nor does a fresh popup show a code, though the first screen is still stored (sealed).
      await second.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
      expect(await second.getByLabel(/^Code for/).count()).toBe(0);
      const fresh = await env.ext.popup(bank);
      await fresh.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
      expect(await fresh.getByLabel(/^Code for/).count()).toBe(0);
      expect(await hasFirstScreen(fresh)).toBe(true);
      await expectNoPlaintext(fresh);

      // A wrong passphrase is refused in words, and Tessera stays locked.
      await fresh.getByLabel('Passphrase').fill('wrong passphrase');
      await fresh.getByRole('button', { name: 'Unlock' }).click();
      await fresh.getByRole('alert').filter({ hasText: 'That passphrase does not open Tessera.' }).waitFor();
      expect(await fresh.getByLabel(/^Code for/).count()).toBe(0);

      // The right one restores the codes, in the popup and on the page.
      await fresh.getByLabel('Passphrase').fill(PASSPHRASE);
      await fresh.getByRole('button', { name: 'Unlock' }).click();
      await expect
        .poll(() => fresh.getByLabel('Code for Bank (alice)').first().textContent())
        .toMatch(/^\d{3} \d{3}$/);
      await bank.reload();
      await expect.poll(() => env.ext.badge(bank)).toBe('1');
      await clickFillButton(bank);
      await expect.poll(() => bank.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    });

    it('unlocks with a passkey (WebAuthn with PRF in the extension’s own origin), shared with the background', async () => {
      const popup = await env.ext.context.newPage();
      await popup.goto(`chrome-extension://${env.ext.id}/popup.html`);
      // A platform authenticator with PRF, as Chromium's WebAuthn testing API provides it.
      const cdp = await env.ext.context.newCDPSession(popup);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          ctap2Version: 'ctap2_1',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          hasPrf: true,
          automaticPresenceSimulation: true,
        },
      });
      await popup.getByText('App lock', { exact: true }).click();
      await popup.getByRole('button', { name: 'Add passkey unlock' }).click();
      await popup.getByRole('status').filter({ hasText: 'A passkey now unlocks Tessera' }).waitFor();
      await popup.getByRole('button', { name: 'Lock now' }).click();
      await popup.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
      const unlocked = () =>
        env.ext.worker.evaluate(
          async (key) => (await chrome.storage.session.get(key))[key] !== undefined,
          UNLOCKED_KEY,
        );
      expect(await unlocked()).toBe(false);

      await popup.getByRole('button', { name: 'Unlock with passkey' }).click();
      await expect
        .poll(() => popup.getByLabel('Code for Bank (alice)').first().textContent())
        .toMatch(/^\d{3} \d{3}$/);
      // One unlock for every part: the background (fills) holds it too.
      expect(await unlocked()).toBe(true);
    });
  },
);

/** Neither chrome.storage nor IndexedDB holds the secret or the entry's names in clear. */
async function expectNoPlaintext(page: Page): Promise<void> {
  const { storage, indexedDb } = await storedText(page);
  for (const clear of [SECRET, 'Bank', 'alice']) {
    expect(storage).not.toContain(clear);
    expect(indexedDb).not.toContain(clear);
  }
  // The read worked: the vault and the first screen are there, as ciphertext.
  expect(indexedDb).toContain('TESSVLT');
}

async function clickFillButton(page: Page): Promise<void> {
  const field = page.locator('#otp');
  await field.click();
  await page.locator('tessera-fill').waitFor();
  const box = (await field.boundingBox())!;
  await page.mouse.click(box.x + 24, box.y + box.height + 4 + 10);
}
