/**
 * A recovery key people can keep (issue 18): copy, download and a printed sheet with its QR code;
 * a sign-up left before the key was confirmed resumes with the same key (which then restores), and
 * starting over says that the key written down is void.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { addTyped, signInFromFirstRun, startDeviceOnly, useHarness, visibleCodes } from './harness.js';

const PASSWORD = 'a long enough account password';

const harness = useHarness();

async function startSignup(page: import('playwright-core').Page, email: string): Promise<string> {
  await page.goto('/#/backup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Account password').fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create keychain' }).click();
  return (await page.getByTestId('recovery-key').textContent())!.trim();
}

function qrText(dataUrl: string): string | null {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

describe('the recovery key', { timeout: 120_000 }, () => {
  it('downloads, prints with its QR code, and survives closing the page before it was confirmed', async () => {
    const a = await harness.device();
    await a.page.addInitScript(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void (window as unknown as { printed: number }).printed++;
    });
    await startDeviceOnly(a.page);
    await addTyped(a.page, { issuer: 'Kept', account: 'k@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    const key = await startSignup(a.page, 'keeper@example.com');

    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      a.page.getByRole('button', { name: 'Download key' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^tessera-recovery-key-\d{4}-\d{2}-\d{2}\.txt$/);
    expect(readFileSync((await download.path())!, 'utf8')).toContain(key);

    await a.page.getByRole('button', { name: 'Print key sheet' }).click();
    expect(await a.page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await a.page.emulateMedia({ media: 'print' });
    const sheet = a.page.getByTestId('print-sheet');
    expect(await sheet.isVisible()).toBe(true);
    expect(await sheet.textContent()).toContain(key);
    expect(qrText((await sheet.locator('img').getAttribute('src'))!)).toBe(key);
    await a.page.emulateMedia({ media: 'screen' });
    expect(await sheet.isVisible()).toBe(false);

    // The page closes before the key was typed back: nothing was sent, and the key is kept.
    await a.page.reload();
    await a.page.goto('/#/backup');
    await a.page.getByRole('heading', { name: 'Finish creating your keychain' }).waitFor();
    await a.page.getByLabel('Account password').fill(PASSWORD);
    await a.page.getByLabel('Repeat the password').fill(PASSWORD);
    await a.page.getByRole('button', { name: 'Continue' }).click();
    expect((await a.page.getByTestId('recovery-key').textContent())!.trim()).toBe(key);
    await a.page.getByRole('button', { name: 'I wrote it down' }).click();
    await a.page.getByLabel('Type the recovery key to confirm').fill(key);
    await a.page.getByRole('button', { name: 'Done' }).click();
    await a.page.locator('.row').first().waitFor();

    // The key written down before the page closed is the account's: it restores another browser.
    const b = await harness.device();
    await signInFromFirstRun(b.page, { email: 'keeper@example.com', password: PASSWORD });
    await b.page.getByRole('button', { name: 'Recovery key' }).click();
    await b.page.getByLabel('Recovery key').fill(key);
    await b.page.getByRole('button', { name: 'Use recovery key' }).click();
    await b.page.locator('.row').first().waitFor({ timeout: 30_000 });
    const labels = async (page: typeof a.page) =>
      (await visibleCodes(page)).map((r) => r.split('|').slice(0, 2).join('|'));
    expect(await labels(b.page)).toEqual(await labels(a.page));
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('says the old key is void when an unfinished sign-up is started over', async () => {
    const c = await harness.device();
    await startDeviceOnly(c.page);
    const first = await startSignup(c.page, 'restart@example.com');
    await c.page.reload();
    await c.page.goto('/#/backup');
    await c.page.getByRole('button', { name: 'Start over' }).click();
    await c.page.getByTestId('recovery-key-void').waitFor();
    const second = await startSignup(c.page, 'restart@example.com');
    expect(second).not.toBe(first);
    expect(c.errors).toEqual([]);
  });
});
