/**
 * Exports say what they cannot carry before the file is written. A vault with a Steam and a 60-second
 * entry: the Google QR export lists both as not exported before saving and offers the Tessera backup;
 * the saved PNG and the QR codes shown on screen decode (with the formats package's own QR reader) to
 * exactly the other entries. The Codes and Export screens fit a 360 px wide phone.
 */
import { describe, expect, it } from 'vitest';
import { importFiles } from '@tessera/formats';
import { startDeviceOnly, useHarness } from './harness.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const LIST = [
  `otpauth://totp/Alpha:a%40example.com?secret=${SECRET}&issuer=Alpha`,
  `otpauth://totp/Beta:b%40example.com?secret=${SECRET}&issuer=Beta&digits=8`,
  `otpauth://totp/Steam:gamer?secret=${SECRET}&issuer=Steam&encoder=steam`,
  `otpauth://totp/Slow:s%40example.com?secret=${SECRET}&issuer=Slow&period=60`,
].join('\n');

const harness = useHarness();

async function decoded(files: { name: string; bytes: Uint8Array }[]): Promise<string[]> {
  const result = await importFiles({ sources: files });
  expect(result.skipped).toEqual([]);
  return result.entries.map((e) => `${e.issuer}|${e.account}|${e.digits}|${e.period}`).sort();
}

describe('export limits', { timeout: 120_000 }, () => {
  it('the Google export names what it leaves out before saving; the PNG and on-screen codes hold the rest', async () => {
    const { page, errors } = await harness.device({ viewport: { width: 360, height: 740 } });
    await startDeviceOnly(page);
    await page.goto('/#/files');
    await page
      .getByLabel(/^Export file/)
      .setInputFiles({ name: 'codes.txt', mimeType: 'text/plain', buffer: Buffer.from(LIST) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 4 codes' }).waitFor();

    await page.goto('/#/');
    await page.locator('.row', { hasText: 'Slow' }).waitFor();
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);

    await page.goto('/#/files');
    await page.getByLabel('Format', { exact: true }).selectOption('google-qr');
    const note = page.getByRole('note');
    await note.getByText('2 codes will not be exported in this format').waitFor();
    const items = await note.locator('li').allTextContents();
    expect(items).toHaveLength(2);
    expect(items.find((t) => t.startsWith('Steam'))).toMatch(/Steam entries cannot be carried/);
    expect(items.find((t) => t.startsWith('Slow'))).toMatch(/period: 60 s cannot be carried/);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export 2 codes', exact: true }).click(),
    ]);
    const png = Buffer.concat(await (await download.createReadStream()).toArray());
    const expected = ['Alpha|a@example.com|6|30', 'Beta|b@example.com|8|30'];
    expect(await decoded([{ name: download.suggestedFilename(), bytes: png }])).toEqual(expected);

    await page.getByRole('button', { name: 'Show QR codes on screen' }).click();
    const images = page.getByRole('img', { name: /^Transfer code \d+ of \d+$/ });
    await images.first().waitFor();
    const sources = await images.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
    expect(sources.length).toBeGreaterThan(0);
    const shown = sources.map((src, i) => ({
      name: `screen-${i + 1}.png`,
      bytes: Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'),
    }));
    expect(await decoded(shown)).toEqual(expected);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);

    // The format that carries everything is one click away, and then nothing is listed as left out:
    // not even for the one render before the list is recomputed (each change of the page checked).
    await page.evaluate(() => {
      const seen = window as unknown as { staleNotice: boolean };
      seen.staleNotice = false;
      new MutationObserver(() => {
        const format = (document.getElementById('export-format') as HTMLSelectElement).value;
        if (format === 'tessera' && document.querySelector('[role=note]')) seen.staleNotice = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await note.getByRole('button', { name: 'Use a Tessera backup instead' }).click();
    await expect.poll(() => page.getByLabel('Format', { exact: true }).inputValue()).toBe('tessera');
    await page.getByLabel('Password for the file').waitFor();
    expect(await page.getByRole('note').count()).toBe(0);
    await page.getByRole('button', { name: 'Export 4 codes', exact: true }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { staleNotice: boolean }).staleNotice)).toBe(
      false,
    );
    expect(errors).toEqual([]);
  });
});
