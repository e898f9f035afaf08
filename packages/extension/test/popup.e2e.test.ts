/**
 * The popup's list and the fill shortcut: codes added from the clipboard, searched, each with its
 * countdown and (in its last seconds) the next code, copied, all as `tessera code` computes them;
 * and the fill shortcut's key press filling the bound code on its site and nothing on the look-alike.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  codeLabels as labels,
  LOOKALIKE,
  pressFillShortcut,
  REAL,
  tesseraCode,
  withExtensionAndSite,
} from './harness.js';

const BANK = 'JBSWY3DPEHPK3PXP';
const MAIL = 'GEZDGNBVGY3TQOJQ';

/** A code as the popup groups it: `123 456`. */
const grouped = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

describe('the popup and the fill shortcut', { timeout: 120_000 }, () => {
  const env = withExtensionAndSite();
  beforeAll(async () => {
    // As after the user allowed the popup to read and write the clipboard (an extension's origin
    // cannot be named here: the grant is for every origin of this test browser).
    await env.ext.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  const url = env.url;

  it('adds codes from the clipboard, searches them, counts down, shows the next code and copies, as tessera code computes them', async () => {
    const bank = await env.ext.context.newPage();
    await bank.goto(url(REAL, '/2fa'));
    let popup = await env.ext.popup(bank);
    const clipboard = (text: string) => popup.evaluate((t) => navigator.clipboard.writeText(t), text);
    await popup.getByText('Add a code').click();
    await clipboard(`otpauth://totp/Bank:alice?secret=${BANK}&issuer=Bank`);
    await popup.getByRole('button', { name: 'Paste link' }).click();
    await popup
      .getByRole('status')
      .filter({ hasText: `Added Bank (alice) for ${REAL}.` })
      .waitFor();
    // The second one is not for this site.
    await popup.getByLabel(`Fill it on ${REAL}`).uncheck();
    await clipboard(`otpauth://totp/Mail:bob?secret=${MAIL}&issuer=Mail`);
    await popup.getByRole('button', { name: 'Paste link' }).click();
    await popup.getByRole('status').filter({ hasText: 'Added Mail (bob).' }).waitFor();
    // Bad text on the clipboard is refused in words and adds nothing.
    await clipboard('otpauth://totp/Broken?issuer=Nobody');
    await popup.getByRole('button', { name: 'Paste link' }).click();
    await popup.getByRole('alert').waitFor();
    expect(await labels(popup)).toEqual(['Bank (alice)', 'Mail (bob)']);
    await popup.close();

    // The popup's clock, fixed 5 seconds before the end of a 30-second period.
    const now = Math.floor(Date.now() / 1000);
    const time = now - (now % 30) + 55;
    await env.ext.context.clock.setFixedTime(time * 1000);
    popup = await env.ext.popup(bank);
    const list = popup.getByRole('list', { name: 'All codes' });
    const row = (label: string) => list.locator('li', { hasText: label });
    await expect
      .poll(() => row('Bank (alice)').getByLabel('Code for Bank (alice)', { exact: true }).textContent())
      .toBe(grouped(tesseraCode(BANK, time)));
    expect(await row('Bank (alice)').getByLabel('Next code for Bank (alice)').textContent()).toBe(
      grouped(tesseraCode(BANK, time + 30)),
    );
    expect(await row('Bank (alice)').locator('.left').textContent()).toBe('5s');
    expect(await row('Mail (bob)').getByLabel('Code for Mail (bob)', { exact: true }).textContent()).toBe(
      grouped(tesseraCode(MAIL, time)),
    );

    await popup.getByLabel('Search codes').fill('mail');
    await expect.poll(() => labels(popup)).toEqual(['Mail (bob)']);
    await row('Mail (bob)').getByRole('button', { name: 'Copy' }).click();
    await popup.getByRole('status').filter({ hasText: 'Copied the code of Mail (bob).' }).waitFor();
    expect(await popup.evaluate(() => navigator.clipboard.readText())).toBe(tesseraCode(MAIL, time));
    await popup.getByLabel('Search codes').fill('nothing like it');
    await expect.poll(() => labels(popup)).toEqual([]);
    await popup.close();
    await bank.close();
  });

  // The key press goes through the browser's own shortcut handling (harness `pressFillShortcut`),
  // which runs the extension's `fill-code` command for the active tab.
  it('fills the bound code on the shortcut’s key press, and nothing on the look-alike', async () => {
    const commands = await env.ext.worker.evaluate(() => chrome.commands.getAll());
    expect(commands.find((c) => c.name === 'fill-code')?.shortcut).toBe('Alt+Shift+Y');
    const bank = await env.ext.context.newPage();
    await bank.goto(url(REAL, '/2fa'));
    await expect.poll(() => env.ext.badge(bank)).toBe('1');
    await bank.locator('#otp').focus();
    // The fill is computed by the background, whose clock is the real one.
    const before = Math.floor(Date.now() / 1000);
    await pressFillShortcut(bank);
    await expect.poll(() => bank.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    const after = Math.floor(Date.now() / 1000);
    expect([tesseraCode(BANK, before), tesseraCode(BANK, after)]).toContain(
      await bank.locator('#otp').inputValue(),
    );

    const fake = await env.ext.context.newPage();
    await fake.goto(url(LOOKALIKE, '/2fa'));
    await fake.locator('#otp').focus();
    await pressFillShortcut(fake);
    await fake.locator('tessera-fill[data-state="none"]').waitFor({ state: 'attached' });
    expect(await fake.locator('#otp').inputValue()).toBe('');
  });
});
