/**
 * The web app served as static files from another origin (SECURITY.md: the app's code need not come
 * from the keychain server): the built `dist` copied to a plain static server on `localhost`, its
 * `<meta name="tessera-server">` pointing at the keychain API on `127.0.0.1` (another origin and
 * site), which allows that origin by CORS and serves no web app. Two browsers sign up, join by
 * approval and see the synced entry; a page on an origin the server does not list is refused.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type RunningServer } from '@tessera/server';
import { launchChromium } from '../scripts/chromium.mjs';
import { addTyped, createKeychain, ensureBuilt, signInFromFirstRun, WEB_ROOT } from './harness.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A plain static file server (no API, no SPA logic beyond index.html) on `host`. */
async function staticServer(root: string, host: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path === '/' ? 'index.html' : path);
    readFile(file.startsWith(root) ? file : join(root, 'index.html')).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, server };
}

const EMAIL = 'static@example.com';
const PASSWORD = 'correct horse battery staple';
const ENTRY = { issuer: 'Forge', account: 'static-origin', secret: 'JBSWY3DPEHPK3PXP' };

let root: string;
let dataDir: string;
let app: { origin: string; server: Server };
let stranger: { origin: string; server: Server };
let api: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'tessera-static-'));
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-static-api-'));
  cpSync(WEB_ROOT, root, { recursive: true });
  app = await staticServer(root, 'localhost');
  stranger = await staticServer(root, 'localhost');
  api = await startServer({
    host: '127.0.0.1',
    dataDir,
    corsOrigins: [app.origin],
    logger: false,
  });
  // What a self-hoster does to the built files: name the keychain server in both pages.
  for (const page of ['index.html', 'share.html']) {
    const file = join(root, page);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<meta name="tessera-server" content="" />');
    writeFileSync(
      file,
      html.replace(
        '<meta name="tessera-server" content="" />',
        `<meta name="tessera-server" content="${api.url}" />`,
      ),
    );
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await api?.close();
  app?.server.close();
  stranger?.server.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

async function device(origin: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1000, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { page, errors };
}

/** Calls the API from the page, as the app does; "TypeError" when the browser refuses (CORS). */
const callApi = (page: Page, url: string) =>
  page.evaluate(
    (target) =>
      fetch(`${target}/v1/meta`, { headers: { 'Tessera-Client': 'tessera-web/0.2.0' } }).then(
        (res) => `HTTP ${res.status}`,
        (err: Error) => err.name,
      ),
    url,
  );

describe('the web app from another origin', { timeout: 120_000 }, () => {
  it('the keychain server serves no web app; the app on its own origin signs up, a second browser joins and sees the entry', async () => {
    expect(new URL(app.origin).host).not.toBe(new URL(api.url).host);
    expect((await fetch(`${api.url}/`)).headers.get('content-type')).not.toMatch(/html/);

    const a = await device(app.origin);
    await a.page.goto('/');
    await a.page.getByRole('button', { name: /Use on this device only/ }).click();
    await addTyped(a.page, ENTRY);
    await a.page.goto('/#/backup');
    // The form names the server the page points at, not the origin that served it.
    await a.page.getByText(new URL(api.url).host).first().waitFor({ state: 'attached' });
    await createKeychain(a.page, { email: EMAIL, password: PASSWORD });
    await a.page.goto('/#/backup');
    await a.page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 30_000 });

    const b = await device(app.origin);
    await signInFromFirstRun(b.page, { email: EMAIL, password: PASSWORD });
    const code = (await b.page.getByTestId('verification-code').textContent())!.trim();
    // A hears of B over the change feed (server-sent events across origins) and approves.
    await a.page.getByRole('heading', { name: 'Approve a new device' }).waitFor({ timeout: 30_000 });
    await a.page.getByLabel('Verification code').fill(code);
    await a.page.getByRole('button', { name: 'Approve' }).click();
    await b.page.locator('.row').first().waitFor({ timeout: 30_000 });
    const rows = await b.page
      .locator('.row')
      .evaluateAll((els) =>
        els.map(
          (row) =>
            `${row.querySelector('.issuer')?.textContent?.trim()}|${row.querySelector('.account')?.textContent?.trim()}`,
        ),
      );
    expect(rows).toEqual([`${ENTRY.issuer}|${ENTRY.account}`]);

    // A code link opens share.html on the app's origin, which fetches the sealed codes from the API.
    await a.page.goto('/#/');
    await a.page.getByRole('button', { name: `Edit ${ENTRY.issuer}` }).click();
    await a.page.getByRole('button', { name: 'Share codes for 10 minutes' }).click();
    const link = (await a.page.getByTestId('share-link').inputValue()).trim();
    expect(link.startsWith(`${app.origin}/share.html#`)).toBe(true);
    const friend = await device(app.origin);
    await friend.page.goto(link);
    await friend.page.getByRole('heading', { name: ENTRY.issuer }).waitFor({ timeout: 20_000 });
    await friend.page.getByTestId('shared-code').waitFor();
    expect([...a.errors, ...b.errors, ...friend.errors]).toEqual([]);
  });

  it('refuses, by CORS, a page on an origin the server does not list', async () => {
    const allowed = await device(app.origin);
    await allowed.page.goto('/');
    expect(await callApi(allowed.page, api.url)).toBe('HTTP 200');
    const other = await device(stranger.origin);
    await other.page.goto('/');
    expect(await callApi(other.page, api.url)).toBe('TypeError');
    // The app there cannot sign in: the browser keeps the server's answers from it.
    await other.page.getByRole('button', { name: /Turn on keychain backup/ }).click();
    await other.page.getByRole('button', { name: 'I have an account' }).click();
    await other.page.getByLabel('Email').fill(EMAIL);
    await other.page.getByLabel('Account password').fill(PASSWORD);
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page
      .getByRole('alert')
      .filter({ hasText: /Cannot reach the keychain server/ })
      .waitFor();
  });
});
