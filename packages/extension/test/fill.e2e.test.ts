import { describe, expect, it } from 'vitest';
import {
  addCodeInPopup,
  clickFillButton,
  LOOKALIKE,
  REAL,
  SHOP,
  tesseraCode,
  withExtensionAndSite,
} from './harness.js';

const SECRET = 'JBSWY3DPEHPK3PXP';

describe(
  'the extension fills codes on the site they are bound to, and nowhere else',
  { timeout: 120_000 },
  () => {
    const env = withExtensionAndSite();

    const url = env.url;

    it('adds a code bound to the real site from the popup, fills it there on a click, matching tessera code', async () => {
      const bank = await env.ext.context.newPage();
      await bank.goto(url(REAL, '/2fa'));
      const popup = await env.ext.popup(bank);
      await popup.getByText(`No code is bound to ${REAL}`).waitFor();
      await addCodeInPopup(popup, { secret: SECRET, issuer: 'Bank', account: 'alice' });
      await popup
        .getByRole('status')
        .filter({ hasText: `Added Bank (alice) for ${REAL}` })
        .waitFor();
      await popup
        .getByRole('region', { name: `Codes for ${REAL}` })
        .getByText('Bank (alice)')
        .waitFor();

      // The open page counts the binding at once (badge.e2e.test.ts), and after a reload: badge 1, and the fill button fills.
      await bank.reload();
      await expect.poll(() => env.ext.badge(bank)).toBe('1');
      const before = Math.floor(Date.now() / 1000);
      await clickFillButton(bank);
      await expect.poll(() => bank.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
      const after = Math.floor(Date.now() / 1000);
      const filled = await bank.locator('#otp').inputValue();
      expect([tesseraCode(SECRET, before), tesseraCode(SECRET, after)]).toContain(filled);
    });

    it('finds a code field the page adds after it loaded (the step after the password), and fills it', async () => {
      const bank = await env.ext.context.newPage();
      await bank.goto(url(REAL, '/'));
      // After the page settled (the content script has looked by then), the field arrives.
      await bank.evaluate(() => new Promise((resolve) => requestIdleCallback(resolve)));
      await bank.evaluate(() =>
        document.body.insertAdjacentHTML(
          'beforeend',
          '<form><label>Code <input id="otp" name="otp" autocomplete="one-time-code" maxlength="6"></label></form>',
        ),
      );
      await expect.poll(() => env.ext.badge(bank)).toBe('1');
      await clickFillButton(bank);
      await expect.poll(() => bank.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    });

    it('fills nothing on a look-alike site, even when the page clicks the button itself', async () => {
      const fake = await env.ext.context.newPage();
      await fake.goto(url(LOOKALIKE, '/2fa'));
      await clickFillButton(fake);
      // The page cannot reach the button (closed shadow root), and a click it makes up is not trusted.
      await fake
        .evaluate(() => {
          const host = document.querySelector('tessera-fill');
          host?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
          return host?.shadowRoot ?? null;
        })
        .then((root) => expect(root).toBeNull());
      await fake.locator('tessera-fill[data-state="none"]').waitFor({ state: 'attached' });
      expect(await fake.locator('#otp').inputValue()).toBe('');
      expect(await env.ext.badge(fake)).toBe('');
      // The popup on the look-alike lists no code for it.
      const popup = await env.ext.popup(fake);
      await popup.getByText(`No code is bound to ${LOOKALIKE}`).waitFor();
      expect(await fake.locator('#otp').inputValue()).toBe('');
    });

    it('binds a code to another site on its first fill, chosen in the popup, and remembers it', async () => {
      const shop = await env.ext.context.newPage();
      await shop.goto(url(SHOP, '/2fa'));
      await clickFillButton(shop);
      await shop.locator('tessera-fill[data-state="none"]').waitFor({ state: 'attached' });
      const popup = await env.ext.popup(shop);
      await popup.getByRole('button', { name: 'Use Bank (alice) here' }).click();
      await popup
        .getByRole('status')
        .filter({ hasText: `Filled Bank (alice) on ${SHOP}` })
        .waitFor();
      expect(await shop.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
      // Remembered: the next visit fills with one click, and the badge counts it.
      await shop.reload();
      await expect.poll(() => env.ext.badge(shop)).toBe('1');
      await clickFillButton(shop);
      await expect.poll(() => shop.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    });
  },
);
