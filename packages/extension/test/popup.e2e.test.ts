/**
 * The popup's list and the fill shortcut: codes added from the clipboard, searched, each with its
 * countdown and (in its last seconds) the next code, copied, all as `tessera code` computes them;
 * and the fill shortcut's key press filling the bound code on its site and nothing on the look-alike.
 */
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeLabels as labels,
  launchWithExtension,
  LOOKALIKE,
  pressFillShortcut,
  REAL,
  startSite,
  type ExtensionBrowser,
} from './harness.js';

const CLI = fileURLToPath(new URL('../../cli/bin/tessera.js', import.meta.url));
const BANK = 'JBSWY3DPEHPK3PXP';
const MAIL = 'GEZDGNBVGY3TQOJQ';

/** `tessera code` for `secret` at `unixSeconds`: the reference the popup must match. */
function cliCode(secret: string, unixSeconds: number): string {
  return execFileSync(process.execPath, [CLI, 'code', '--secret', secret, '--time', String(unixSeconds)], {
    encoding: 'utf8',
  }).trim();
}

/** A code as the popup groups it: `123 456`. */
const grouped = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

describe('the popup and the fill shortcut', { timeout: 120_000 }, () => {
  let ext: ExtensionBrowser;
  let site: { port: number; server: Server };

  beforeAll(async () => {
    site = await startSite();
    ext = await launchWithExtension();
    // As after the user allowed the popup to read and write the clipboard (an extension's origin
    // cannot be named here: the grant is for every origin of this test browser).
    await ext.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  }, 120_000);

  afterAll(async () => {
    await ext?.close();
    site?.server.close();
  });

  const url = (host: string, path: string) => `http://${host}:${site.port}${path}`;

  it('adds codes from the clipboard, searches them, counts down, shows the next code and copies, as tessera code computes them', async () => {
    const bank = await ext.context.newPage();
    await bank.goto(url(REAL, '/2fa'));
    let popup = await ext.popup(bank);
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
    await ext.context.clock.setFixedTime(time * 1000);
    popup = await ext.popup(bank);
    const list = popup.getByRole('list', { name: 'All codes' });
    const row = (label: string) => list.locator('li', { hasText: label });
    await expect
      .poll(() => row('Bank (alice)').getByLabel('Code for Bank (alice)', { exact: true }).textContent())
      .toBe(grouped(cliCode(BANK, time)));
    expect(await row('Bank (alice)').getByLabel('Next code for Bank (alice)').textContent()).toBe(
      grouped(cliCode(BANK, time + 30)),
    );
    expect(await row('Bank (alice)').locator('.left').textContent()).toBe('5s');
    expect(await row('Mail (bob)').getByLabel('Code for Mail (bob)', { exact: true }).textContent()).toBe(
      grouped(cliCode(MAIL, time)),
    );

    await popup.getByLabel('Search codes').fill('mail');
    await expect.poll(() => labels(popup)).toEqual(['Mail (bob)']);
    await row('Mail (bob)').getByRole('button', { name: 'Copy' }).click();
    await popup.getByRole('status').filter({ hasText: 'Copied the code of Mail (bob).' }).waitFor();
    expect(await popup.evaluate(() => navigator.clipboard.readText())).toBe(cliCode(MAIL, time));
    await popup.getByLabel('Search codes').fill('nothing like it');
    await expect.poll(() => labels(popup)).toEqual([]);
    await popup.close();
    await bank.close();
  });

  // The key press goes through the browser's own shortcut handling (harness `pressFillShortcut`),
  // which runs the extension's `fill-code` command for the active tab.
  it('fills the bound code on the shortcut’s key press, and nothing on the look-alike', async () => {
    const commands = await ext.worker.evaluate(() => chrome.commands.getAll());
    expect(commands.find((c) => c.name === 'fill-code')?.shortcut).toBe('Alt+Shift+Y');
    const bank = await ext.context.newPage();
    await bank.goto(url(REAL, '/2fa'));
    await expect.poll(() => ext.badge(bank)).toBe('1');
    await bank.locator('#otp').focus();
    // The fill is computed by the background, whose clock is the real one.
    const before = Math.floor(Date.now() / 1000);
    await pressFillShortcut(bank);
    await expect.poll(() => bank.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    const after = Math.floor(Date.now() / 1000);
    expect([cliCode(BANK, before), cliCode(BANK, after)]).toContain(await bank.locator('#otp').inputValue());

    const fake = await ext.context.newPage();
    await fake.goto(url(LOOKALIKE, '/2fa'));
    await fake.locator('#otp').focus();
    await pressFillShortcut(fake);
    await fake.locator('tessera-fill[data-state="none"]').waitFor({ state: 'attached' });
    expect(await fake.locator('#otp').inputValue()).toBe('');
  });
});
