/**
 * Issuer icons in the popup (issue 18): a known issuer shows its Simple Icons icon from the files
 * packaged in the extension, an unknown one its lettered tile; only the index and the icons in use
 * are read, and only after the codes are on screen. (The user's icon choice arriving from another
 * device is in keychain.e2e.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTENSION, popupTiles, REAL, withExtensionAndSite } from './harness.js';

describe('issuer icons in the popup', { timeout: 120_000 }, () => {
  const env = withExtensionAndSite();

  it('the extension carries the icon index and one single-path SVG per icon', () => {
    const icons = join(EXTENSION, 'icons');
    expect(existsSync(join(icons, 'index.json'))).toBe(true);
    expect(readdirSync(icons).filter((f) => f.endsWith('.svg')).length).toBeGreaterThan(3000);
    expect(readFileSync(join(icons, 'github.svg'), 'utf8')).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 24 24"><path fill="#[0-9A-F]{6}" d="[^"<>]+"\/><\/svg>$/,
    );
  });

  it('shows the icon of a known issuer and a tile for an unknown one, reading only those after the codes show', async () => {
    const tab = await env.ext.context.newPage();
    await tab.goto(`http://${REAL}:${env.site.port}/`);
    let popup = await env.ext.popup(tab);
    await popup.getByText('Add a code').click();
    for (const issuer of ['GitHub', 'Zzqx Credit Union']) {
      await popup.getByLabel('Link (otpauth://) or secret').fill('JBSWY3DPEHPK3PXP');
      await popup.getByLabel('Issuer').fill(issuer);
      await popup.getByLabel('Account').fill('alice');
      await popup.getByRole('button', { name: 'Add', exact: true }).click();
      await popup
        .getByRole('status')
        .filter({ hasText: `Added ${issuer} (alice)` })
        .waitFor();
    }
    const expected = { 'GitHub (alice)': 'icon:github', 'Zzqx Credit Union (alice)': 'letter:Z' };
    await expect.poll(() => popupTiles(popup)).toEqual(expected);

    // A fresh popup, as a click on the toolbar button opens it: what it reads, and when. (Resource
    // timing has no entries for the extension's own files, so its fetches are noted as they start.)
    await popup.close();
    await env.ext.context.addInitScript(() => {
      const w = window as unknown as { iconFetches: { url: string; at: number }[] };
      w.iconFetches = [];
      const original = window.fetch.bind(window);
      window.fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input), location.href).href;
        if (url.includes('/icons/')) w.iconFetches.push({ url, at: performance.now() });
        return original(input, init);
      };
    });
    popup = await env.ext.popup(tab);
    await expect.poll(() => popupTiles(popup)).toEqual(expected);
    const { fetched, codesVisible, images } = await popup.evaluate(() => ({
      fetched: (window as unknown as { iconFetches: { url: string; at: number }[] }).iconFetches,
      codesVisible: performance.getEntriesByName('tessera:codes-visible')[0]?.startTime,
      images: [...document.querySelectorAll<HTMLImageElement>('.tile img')].map((img) => img.src),
    }));
    // Packaged files of the extension itself: no server is asked for any of them. The index, and
    // of the ~3,500 icons only the one in use.
    const own = `chrome-extension://${env.ext.id}/icons/`;
    expect(fetched.map((f) => f.url.replace(/\?.*$/, ''))).toEqual([`${own}index.json`]);
    expect([...new Set(images)]).toEqual([`${own}github.svg`]);
    // Nothing of the icons is read before the codes are on screen.
    expect(codesVisible).toBeTypeOf('number');
    expect(fetched[0]!.at).toBeGreaterThanOrEqual(codesVisible!);
  });
});
