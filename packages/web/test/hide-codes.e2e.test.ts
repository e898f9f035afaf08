/**
 * "Hide codes" (for screen sharing): codes show as ••• ••• until a row is tapped, the choice survives a
 * reload on this device, and turning it off shows every code again.
 */
import { describe, expect, it } from 'vitest';
import { addTyped, startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

describe('hide codes', { timeout: 120_000 }, () => {
  it('hides codes until tapped, remembered across a reload', async () => {
    const { page, errors } = await harness.device({ viewport: { width: 360, height: 740 } });
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Shown', account: 's@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await addTyped(page, { issuer: 'Other', account: 'o@example.com', secret: 'JBSWY3DPEHPK3PXQ' });

    const row = (name: string) => page.locator('.row', { hasText: name });
    const code = (name: string) => row(name).locator('.code');
    await page.goto('/#/settings');
    await page.getByRole('checkbox', { name: /Hide codes until tapped/ }).check();
    // The app shows the setting only once it is stored (a reload in the same millisecond as the click
    // would abort the write, as it would any page's), so this waits for the save, then reloads.
    await page.goto('/#/');
    await expect.poll(() => code('Other').textContent()).toBe('••• •••');
    await page.reload();
    await row('Other').waitFor();
    expect(await code('Shown').textContent()).toBe('••• •••');
    expect(await code('Other').textContent()).toBe('••• •••');
    expect(await page.locator('.codes').textContent()).not.toMatch(/\d{3}/);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);

    // A tap reveals that row only, and does not copy.
    await row('Shown')
      .getByRole('button', { name: /^Shown, s@example.com: code hidden/ })
      .click();
    await expect.poll(() => code('Shown').textContent()).toMatch(/^\d{3} \d{3}$/);
    expect(await code('Other').textContent()).toBe('••• •••');
    expect(await row('Shown').getByText('Copied').count()).toBe(0);

    // The setting stays after a reload; turning it off shows every code.
    await page.goto('/#/settings');
    expect(await page.getByRole('checkbox', { name: /Hide codes until tapped/ }).isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: /Hide codes until tapped/ }).uncheck();
    await page.goto('/#/');
    await expect.poll(() => code('Other').textContent()).toMatch(/^\d{3} \d{3}$/);
    expect(errors).toEqual([]);
  });
});
