/**
 * Issuer icons (issue 18): entries of known issuers show their Simple Icons icon, fetched from the
 * server's own static files, and only those icons are fetched (never the set); an unknown issuer
 * shows a lettered tile; picking another icon, and "No icon", sync to a second browser; the icons
 * still show offline after the first load.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@tessera/server';
import { launchChromium } from '../scripts/chromium.mjs';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import {
  addTyped,
  createKeychain,
  signInFromFirstRun,
  startDeviceOnly,
  useHarness,
  WEB_ROOT,
} from './harness.js';
import { rowTiles } from './tiles.js';

const EMAIL = 'icons@example.com';
const PASSWORD = 'correct horse battery staple';
const ENTRIES = [
  { issuer: 'GitHub', account: 'alice@example.com', secret: 'JBSWY3DPEHPK3PXP' },
  { issuer: 'Google Account', account: 'alice@gmail.com', secret: 'JBSWY3DPEHPK3PXQ' },
  { issuer: 'Acme Intranet', account: 'alice', secret: 'JBSWY3DPEHPK3PXR' },
];

const harness = useHarness();

/** Every `/icons/` path the context asks for, from the page or its service worker. */
function recordIconRequests(context: BrowserContext): string[] {
  const paths: string[] = [];
  context.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/icons/')) paths.push(pathname);
  });
  return paths;
}

/** What each row shows, by issuer (`rowTiles`). */
function tiles(page: Page): Promise<Record<string, string>> {
  return rowTiles(page.locator('.row'), '.issuer');
}

async function expectTiles(page: Page, expected: Record<string, string>): Promise<void> {
  await expect.poll(() => tiles(page), { timeout: 20_000 }).toEqual(expected);
}

async function chooseIcon(page: Page, issuer: string, pick: (page: Page) => Promise<void>): Promise<void> {
  await page.goto('/#/');
  await page.getByRole('button', { name: `Edit ${issuer}`, exact: true }).click();
  await pick(page);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
}

describe('issuer icons', { timeout: 180_000 }, () => {
  it('the build serves one file per icon and an index, and the service worker precaches none of them', () => {
    const files = readdirSync(join(WEB_ROOT, 'icons'));
    expect(files.filter((f) => f.endsWith('.svg')).length).toBeGreaterThan(3000);
    expect(files).toContain('index.json');
    const sw = readFileSync(join(WEB_ROOT, 'sw.js'), 'utf8');
    expect(/url:\s*"icons\//.test(sw), 'sw.js precaches icons').toBe(false);
    expect(sw).toContain('tessera-icons');
    // Each SVG is a single filled path: nothing that could run or fetch.
    const svg = readFileSync(join(WEB_ROOT, 'icons', 'github.svg'), 'utf8');
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 24 24"><path fill="#[0-9A-F]{6}" d="[^"<>]+"\/><\/svg>$/,
    );
  });

  it('shows known issuers’ icons fetching only those, a tile for the rest, picks sync, offline works', async () => {
    const a = await harness.device();
    const requested = recordIconRequests(a.context);
    await startDeviceOnly(a.page);
    for (const entry of ENTRIES) await addTyped(a.page, entry);
    await a.page.goto('/#/');
    await expectTiles(a.page, {
      GitHub: 'icon:github',
      'Google Account': 'icon:google',
      'Acme Intranet': 'letter:A',
    });
    // Only the index and the two icons in use: not one file more of the ~3,500.
    expect([...new Set(requested)].sort()).toEqual([
      '/icons/github.svg',
      '/icons/google.svg',
      '/icons/index.json',
    ]);

    // The icons come from the server's own files, with the app's CSP on them.
    const response = await a.page.request.get('/icons/github.svg');
    expect(response.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    expect(response.headers()['content-security-policy']).toContain("default-src 'self'");

    // A second browser joins the keychain with the recovery key.
    const key = await createKeychain(a.page, { email: EMAIL, password: PASSWORD });
    const b = await harness.device();
    await signInFromFirstRun(b.page, { email: EMAIL, password: PASSWORD });
    await b.page.getByRole('button', { name: 'Recovery key' }).click();
    await b.page.getByLabel('Recovery key').fill(key);
    await b.page.getByRole('button', { name: 'Use recovery key' }).click();
    await b.page.locator('.row').first().waitFor({ timeout: 30_000 });
    await expectTiles(b.page, {
      GitHub: 'icon:github',
      'Google Account': 'icon:google',
      'Acme Intranet': 'letter:A',
    });

    // Another icon for the unknown issuer, found by searching the set by name.
    await chooseIcon(a.page, 'Acme Intranet', async (page) => {
      await page.getByRole('searchbox', { name: 'Search icons' }).fill('gitlab');
      await page.getByRole('button', { name: 'Use the GitLab icon' }).click();
      await expect.poll(() => page.getByTestId('icon-choice').textContent()).toBe('Chosen: GitLab.');
    });
    // No icon for a known one.
    await chooseIcon(a.page, 'GitHub', async (page) => {
      await expect.poll(() => page.getByTestId('icon-choice').textContent()).toBe('Automatic: GitHub.');
      await page.getByRole('button', { name: 'No icon' }).click();
    });
    const picked = { GitHub: 'letter:G', 'Google Account': 'icon:google', 'Acme Intranet': 'icon:gitlab' };
    await expectTiles(a.page, picked);
    await expectTiles(b.page, picked);

    // Offline, after a reload: the icons shown before come from the device's cache. The reload
    // itself needs the installed service worker: B's first visit installs it, which a busy machine
    // may not have finished yet.
    await b.page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await b.context.setOffline(true);
    await b.page.reload();
    await b.page.locator('.row').first().waitFor();
    await expectTiles(b.page, picked);
    await b.context.setOffline(false);

    // Back to automatic on B reaches A.
    await chooseIcon(b.page, 'GitHub', async (page) => {
      await page.getByRole('button', { name: 'Automatic icon' }).click();
    });
    await expectTiles(a.page, { ...picked, GitHub: 'icon:github' });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});

describe('a hostile icon file', { timeout: 180_000 }, () => {
  it('served in place of an icon (a copy of the server files plays the attacker), runs and fetches nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-icons-hostile-'));
    const webRoot = join(root, 'web');
    cpSync(WEB_ROOT, webRoot, { recursive: true });
    // Script, an event handler, an external image and a same-origin fetch: all would show in the log.
    writeFileSync(
      join(webRoot, 'icons', 'github.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 24 24" ' +
        'onload="fetch(\'/pwned-onload\')"><script>fetch("/pwned-script");parent.pwned=1</script>' +
        '<image href="/pwned-image.png" width="24" height="24"/><rect width="24" height="24" fill="#fff"/></svg>',
    );
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: `sqlite:${join(root, 'tessera.sqlite')}`,
      dataDir: root,
      webRoot,
      logger: false,
    });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ baseURL: server.url });
      const page = await context.newPage();
      const requested: string[] = [];
      context.on('request', (request) => requested.push(new URL(request.url()).pathname));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await startDeviceOnly(page);
      await addTyped(page, ENTRIES[0]!);
      await page.goto('/#/');
      // Once the icon has loaded as an image, nothing in it ran or loaded. (An <object> is refused by
      // the CSP's object-src 'none'; an <img> loads no subresource and runs no script.)
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('.tile[data-icon="github"] > img');
        return img !== null && img.complete && img.naturalWidth > 0;
      });
      expect(requested).toContain('/icons/github.svg');
      expect(requested.filter((path) => path.startsWith('/pwned'))).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await expectTiles(page, { GitHub: 'icon:github' });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
