import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addCodeInPopup, LOOKALIKE, REAL, withExtensionAndSite } from './harness.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const PASSPHRASE = 'correct horse battery';
/** A recount on a loaded machine: message round trips to every open tab (a wait, not a bound). */
const WAIT = { timeout: 20_000 };

/**
 * The badge of a tab already open follows the vault and the lock without the page reloading: the
 * background asks the open tabs to report their code fields again (badges.ts) and counts each
 * report for its frame's site. The count itself is unit-free (no code, no label).
 */
describe(
  'the toolbar badge of tabs already open follows the vault and the lock',
  { timeout: 120_000 },
  () => {
    const env = withExtensionAndSite();

    /**
     * A tab on `host`'s code page (`path`: /2fa and anything after it) whose content script has
     * reported its field (its first badge is set).
     */
    async function openReported(host: string, path = '/2fa'): Promise<Page> {
      const page = await env.ext.context.newPage();
      await page.goto(env.url(host, path));
      // The fill button shows on focus only once the background answered the page's report.
      await page.locator('#otp').click();
      await page.locator('tessera-fill').waitFor();
      return page;
    }

    it('counts an entry bound from the popup at once, clears on lock, and comes back on unlock', async () => {
      const bank = await openReported(REAL);
      // A second tab of the site, at another address (the toolbar button finds a tab by its address).
      const other = await openReported(REAL, '/2fa?step=2');
      const fake = await openReported(LOOKALIKE);
      for (const tab of [bank, other, fake]) expect(await env.ext.badge(tab)).toBe('');

      const popup = await env.ext.popup(bank);
      await addCodeInPopup(popup, { secret: SECRET, issuer: 'Bank', account: 'alice' });
      await popup
        .getByRole('status')
        .filter({ hasText: `Added Bank (alice) for ${REAL}` })
        .waitFor();

      // Both open tabs of the site count it, with no reload; the look-alike's does not.
      await expect.poll(() => env.ext.badge(other), WAIT).toBe('1');
      await expect.poll(() => env.ext.badge(bank), WAIT).toBe('1');
      expect(await env.ext.badge(fake)).toBe('');

      // The app lock on (a new storage key, the same unlock): still counted.
      await popup.getByText('App lock', { exact: true }).click();
      await popup.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
      await popup.getByRole('button', { name: 'Turn on app lock' }).click();
      await popup.getByRole('status').filter({ hasText: 'App lock on' }).waitFor();
      await expect.poll(() => env.ext.badge(other), WAIT).toBe('1');

      // Locked: no tab keeps a count, not even one whose page is too busy to report (its thread
      // held by a synchronous request until the test releases it); the fill button goes away.
      const otherId = await env.ext.tabId(other);
      void other
        .evaluate(() => {
          const request = new XMLHttpRequest();
          request.open('GET', '/hold', false);
          request.send();
        })
        .catch(() => undefined);
      await popup.getByRole('button', { name: 'Lock now' }).click();
      await popup.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
      await expect.poll(() => env.ext.badge(otherId), WAIT).toBe('');
      await expect.poll(() => env.ext.badge(bank), WAIT).toBe('');
      await fetch(`http://127.0.0.1:${env.site.port}/release`);
      await other.locator('tessera-fill[data-state="locked"]').waitFor({ state: 'attached' });
      expect(await other.locator('tessera-fill').isVisible()).toBe(false);

      // Unlocked in the popup: the counts come back, still without a reload.
      await popup.getByLabel('Passphrase').fill(PASSPHRASE);
      await popup.getByRole('button', { name: 'Unlock' }).click();
      await popup.getByLabel('Code for Bank (alice)').first().waitFor();
      await expect.poll(() => env.ext.badge(other), WAIT).toBe('1');
      await expect.poll(() => env.ext.badge(bank), WAIT).toBe('1');
      expect(await env.ext.badge(fake)).toBe('');
    });
  },
);
