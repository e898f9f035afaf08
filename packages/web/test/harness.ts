/**
 * Shared setup of the browser tests: the built web app served by the real keychain server on
 * loopback, and Debian's Chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '../scripts/chromium.mjs';
import { startServer, type ServerOptions } from '@tessera/server';

export const WEB_ROOT = fileURLToPath(new URL('../dist', import.meta.url));
const WEB_PACKAGE = fileURLToPath(new URL('..', import.meta.url));

export { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.mjs';

/**
 * Builds the web app when dist is missing or older than its sources, its own or those of the
 * workspace packages it bundles (`npm test` builds it first). Test files run in parallel processes,
 * so the check and the build happen under one lock.
 */
export function ensureBuilt(): void {
  const sources =
    'src index.html vite.config.ts public ../vault/src ../protocol/src ../iso/src ../otp/src ../formats/src';
  const stale =
    `if [ ! -f dist/index.html ] || [ -n "$(find ${sources} -newer dist/index.html -print -quit)" ]; ` +
    'then npx vite build --logLevel error; fi';
  execFileSync('flock', [join(tmpdir(), 'tessera-web-build.lock'), 'sh', '-c', stale], {
    cwd: WEB_PACKAGE,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test, which would make Vite build the development variant.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

export interface Harness {
  url: string;
  browser: Browser;
  /**
   * A fresh browser profile (its own IndexedDB): one "device". `baseURL`: where its pages open (the
   * server's by default; a proxy in front of it, say).
   */
  device(options?: {
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
    baseURL?: string;
  }): Promise<Device>;
  stopServer(): Promise<void>;
  /** The server's data directory: its SQLite database and journals, secrets and escrow store. */
  dataDir: string;
  startServerAgain(): Promise<void>;
  close(): Promise<void>;
}

export interface Device {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged (CSP violations included); tests assert it stays empty. */
  errors: string[];
}

/** Starts the server on a free loopback port with a fresh SQLite database, and the browser. */
export async function startHarness(options: { server?: Partial<ServerOptions> } = {}): Promise<Harness> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-web-'));
  const serve = (port = 0) =>
    startServer({
      ...options.server,
      port,
      host: '127.0.0.1',
      database: `sqlite:${join(dataDir, 'tessera.sqlite')}`,
      dataDir,
      webRoot: WEB_ROOT,
      logger: false,
    });
  let server = await serve();
  const url = server.url.replace(/\/$/, '');
  const port = Number(new URL(url).port);
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    url,
    dataDir,
    browser,
    async device(options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1000, height: 800 },
        colorScheme: options.colorScheme ?? 'light',
        permissions: ['clipboard-read', 'clipboard-write'],
        baseURL: options.baseURL ?? url,
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (
          message.type() === 'error' &&
          !/Failed to load resource|ERR_INTERNET_DISCONNECTED|net::ERR/.test(message.text())
        ) {
          errors.push(`console: ${message.text()}`);
        }
      });
      return { context, page, errors };
    },
    async stopServer() {
      await server.close();
    },
    async startServerAgain() {
      server = await serve(port);
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await server.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The set-up of a browser test file: starts a harness before the file's tests (`beforeAll`) and
 * closes it after them (`afterAll`). Returns the harness, usable in the tests and in any hook
 * registered after this call (hooks run in the order they are registered, `afterAll` in reverse).
 * `server` is passed to the server, or made by a function called at start, so that it can name
 * what an earlier `beforeAll` started (the realms of realms.e2e). The bound covers a first file
 * that builds the web app (`ensureBuilt`) on a loaded machine.
 */
export function useHarness(
  options: { server?: Partial<ServerOptions> | (() => Partial<ServerOptions>) } = {},
): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    const server = typeof options.server === 'function' ? options.server() : options.server;
    started = await startHarness(server ? { server } : {});
  }, 300_000);
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as Harness, {
    get(_, key) {
      if (!started) throw new Error(`harness.${String(key)} used before the harness started (beforeAll)`);
      return Reflect.get(started, key);
    },
  });
}

/**
 * Opens the app and picks "Use on this device only", and waits for the codes screen: it shows once
 * the choice is saved. A caller that reloaded at once could unload the page before that write
 * committed, and the app would open on the first-run screen again (start-read.e2e's "link followed
 * while the app starts" waited 30 s for its Settings heading so, once, on a loaded machine).
 */
export async function startDeviceOnly(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: /Use on this device only/ }).click();
  await page.getByRole('heading', { name: 'No codes yet' }).waitFor();
}

/**
 * A new browser signs in to an existing account from the first-run screen ("Turn on keychain
 * backup", "I have an account"); what the device is then asked (approval, PIN, recovery key) is the
 * caller's. `url` is where the app is opened (another origin's, say); the context's own by default.
 */
export async function signInFromFirstRun(
  page: Page,
  options: { email: string; password: string; url?: string },
): Promise<void> {
  await page.goto(options.url ?? '/');
  await page.getByRole('button', { name: /Turn on keychain backup/ }).click();
  await page.getByRole('button', { name: 'I have an account' }).click();
  await page.getByLabel('Email').fill(options.email);
  await page.getByLabel('Account password').fill(options.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Adds an entry through the typed form. */
export async function addTyped(
  page: Page,
  entry: { issuer: string; account: string; secret: string },
): Promise<void> {
  await page.goto('/#/add');
  await page.getByRole('button', { name: 'Type it in' }).click();
  await page.getByLabel('Issuer', { exact: true }).fill(entry.issuer);
  await page.getByLabel('Account', { exact: true }).fill(entry.account);
  await page.getByLabel('Secret key').fill(entry.secret);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Added' }).first().waitFor();
}

/**
 * From the Backup page: creates a keychain (with `pin`, a keychain PIN too) and confirms the recovery
 * key; returns it.
 */
export async function createKeychain(
  page: Page,
  account: { email: string; password: string; pin?: string },
): Promise<string> {
  await page.goto('/#/backup');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Account password').fill(account.password);
  await page.getByLabel('Password again').fill(account.password);
  if (account.pin) await page.getByLabel('Keychain PIN (optional)').fill(account.pin);
  await page.getByRole('button', { name: 'Create keychain' }).click();
  const key = (await page.getByTestId('recovery-key').textContent())!.trim();
  await page.getByRole('button', { name: 'I wrote it down' }).click();
  await page.getByLabel('Type the recovery key to confirm').fill(key);
  await page.getByRole('button', { name: 'Done' }).click();
  await page.locator('.row').first().waitFor();
  return key;
}

/** The rows of the codes list as text: `issuer|account|code`. */
export async function visibleCodes(page: Page): Promise<string[]> {
  await page.goto('/#/');
  await page.locator('.row').first().waitFor();
  return page.locator('.row').evaluateAll((rows) =>
    rows
      .map((row) => {
        const text = (selector: string) => row.querySelector(selector)?.textContent?.trim() ?? '';
        return `${text('.issuer').replace('★', '')}|${text('.account')}|${text('.code').replace(/\s/g, '')}`;
      })
      .sort(),
  );
}

/**
 * `issuer|account` of every row of the codes list as it is, sorted; with `code`, `issuer|account|code`
 * (the code without its grouping space).
 */
export async function rowLabels(page: Page, options: { code?: boolean } = {}): Promise<string[]> {
  const rows = await page.locator('.row').evaluateAll((rows) =>
    rows.map((row) => ({
      label: `${row.querySelector('.issuer')?.textContent?.replace('★', '').trim()}|${row.querySelector('.account')?.textContent?.trim() ?? ''}`,
      code: row.querySelector('.code')?.textContent?.replace(/\s/g, ''),
    })),
  );
  return rows.map((row) => (options.code ? `${row.label}|${row.code}` : row.label)).sort();
}
