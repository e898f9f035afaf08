/**
 * Browser tests of the extension: Debian's Chromium with the built extension loaded
 * (`--load-extension`, persistent profile), and a small test site on loopback reachable under
 * two names, the real site and a look-alike (`--host-resolver-rules`).
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page, type Worker } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { rowTiles } from '../../web/test/tiles.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../web/scripts/chromium.mjs';
import {
  grantActiveTab,
  pressToolbarButton as pressButton,
  TOOLBAR_BUTTON_ARG,
  type ActionPopup,
} from '../scripts/toolbar.mjs';

export type { ActionPopup };

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
export const EXTENSION = join(PACKAGE, 'dist', 'chromium');
const CLI = fileURLToPath(new URL('../../cli/bin/tessera.js', import.meta.url));

/** Host names of the test site: the real one and a look-alike a phisher would register. */
export const REAL = 'bank.test';
export const LOOKALIKE = 'bank-secure-login.test';
/** A second real site, whose code is bound on its first fill. */
export const SHOP = 'shop.test';

/** Builds the extension when dist is missing or older than the sources it bundles. */
export function ensureBuilt(): void {
  const sources =
    'src scripts popup.html ../vault/src ../iso/src ../protocol/src ../otp/src ../formats/src ../web/src ../web/scripts';
  const stale =
    `if [ ! -f dist/chromium/manifest.json ] || [ -n "$(find ${sources} -newer dist/chromium/manifest.json -print -quit)" ]; ` +
    'then node scripts/build.mjs; fi';
  execFileSync('flock', [join(tmpdir(), 'tessera-extension-build.lock'), 'sh', '-c', stale], {
    cwd: PACKAGE,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/**
 * The test site: a sign-in step with a one-time-code field, and a page with none. `/hold` answers
 * only when `/release` is asked for: a page that fetches it synchronously is busy until then (its
 * content script, on the same thread, cannot answer the extension meanwhile).
 */
export function startSite(): Promise<{ port: number; server: Server }> {
  const held: ServerResponse[] = [];
  const page = (body: string) =>
    `<!doctype html><html><head><title>Bank</title></head><body>${body}</body></html>`;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (req.url === '/hold') held.push(res);
    else if (req.url === '/release') {
      for (const waiting of held.splice(0)) waiting.end('released');
      res.end('released');
    } else if (req.url?.startsWith('/2fa')) {
      res.end(
        page(
          '<form><label>Code from your app <input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="6"></label><button>Verify</button></form>',
        ),
      );
    } else res.end(page('<p>Welcome. No code field here.</p><input name="search">'));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, server }),
    ),
  );
}

export interface ExtensionBrowser {
  context: BrowserContext;
  worker: Worker;
  id: string;
  /**
   * The popup as a person opens it for `tab` (the page under test): the toolbar button pressed on
   * that tab, which grants `activeTab` for it; then, so Playwright can drive it, the popup as a page
   * of its own acting on that tab (`popup.html?tab=ID`) with the grant the button gave.
   */
  popup(tab: Page): Promise<Page>;
  /** The popup as a page of its own acting on `tab` with no toolbar button pressed: no `activeTab` grant. */
  popupWithoutGrant(tab: Page): Promise<Page>;
  /** The toolbar badge text of the tab showing `tab` (brought to the front), or of the tab with this id. */
  badge(tab: Page | number): Promise<string>;
  /** The id of the tab showing `tab`, brought to the front (a tab's id needs no permission). */
  tabId(tab: Page): Promise<number>;
  close(): Promise<void>;
}

/**
 * The id Chromium gives an unpacked extension: the first 128 bits of the SHA-256 of its path, in
 * the letters a–p.
 */
function unpackedExtensionId(path: string): string {
  const hex = createHash('sha256').update(path).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

/**
 * Chromium with the extension, in a fresh profile. `grantedOrigins` are optional host permissions
 * the user already granted (the profile's preferences say so), as after answering the browser's
 * prompt: a headless browser cannot show that prompt.
 */
export async function launchWithExtension(
  options: {
    grantedOrigins?: string[];
  } = {},
): Promise<ExtensionBrowser> {
  ensureBuilt();
  const profile = mkdtempSync(join(tmpdir(), 'tessera-ext-profile-'));
  if (options.grantedOrigins) {
    const granted = {
      explicit_host: options.grantedOrigins,
      api: [],
      manifest_permissions: [],
      scriptable_host: [],
    };
    const settings = {
      granted_permissions: granted,
      active_permissions: granted,
      runtime_granted_permissions: granted,
    };
    mkdirSync(join(profile, 'Default'));
    writeFileSync(
      join(profile, 'Default', 'Preferences'),
      JSON.stringify({ extensions: { settings: { [unpackedExtensionId(EXTENSION)]: settings } } }),
    );
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    args: [
      ...CHROMIUM_ARGS,
      `--disable-extensions-except=${EXTENSION}`,
      `--load-extension=${EXTENSION}`,
      `--host-resolver-rules=MAP ${REAL} 127.0.0.1, MAP ${LOOKALIKE} 127.0.0.1, MAP ${SHOP} 127.0.0.1`,
      // The toolbar button, pressable by the tests (`pressToolbarButton`): the one way they get `activeTab`.
      TOOLBAR_BUTTON_ARG,
    ],
  });
  // Fail a wait with its locator's name well before the test's own time runs out.
  context.setDefaultTimeout(20_000);
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const id = new URL(worker.url()).host;
  if (options.grantedOrigins && id !== unpackedExtensionId(EXTENSION))
    throw new Error(
      `the extension's id is ${id}, not ${unpackedExtensionId(EXTENSION)} as the profile expected`,
    );
  // The tab showing `tab`, found as a person's would be: brought to the front, it is the active tab
  // of the focused window (a tab's id needs no permission; its address would need `tabs`).
  const tabIdOf = async (tab: Page): Promise<number> => {
    await tab.bringToFront();
    const found = await worker.evaluate(async () =>
      (await chrome.tabs.query({ active: true, lastFocusedWindow: true })).map((t) => t.id),
    );
    if (found.length !== 1 || found[0] === undefined)
      throw new Error(`expected one active tab for ${tab.url()}, found ${found.length}`);
    return found[0];
  };
  const popupPage = async (tabId: number): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${id}/popup.html?tab=${tabId}`);
    return page;
  };
  return {
    context,
    worker,
    id,
    async popup(tab) {
      return popupPage(await grantActiveTab(context, id, tab));
    },
    async popupWithoutGrant(tab) {
      return popupPage(await tabIdOf(tab));
    },
    async badge(tab) {
      const tabId = typeof tab === 'number' ? tab : await tabIdOf(tab);
      return worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId);
    },
    tabId: tabIdOf,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The fill shortcut (Alt+Shift+Y) pressed on `page`'s tab: a key event the DevTools protocol sends
 * through the browser's input path, as the keyboard's would, so the browser's own shortcut handling
 * sees it and dispatches the extension's `fill-code` command (Playwright's `keyboard.press` goes
 * to the page only). The page must be the active tab.
 */
export async function pressFillShortcut(page: Page): Promise<void> {
  await page.bringToFront();
  const cdp = await page.context().newCDPSession(page);
  const key = {
    modifiers: 1 | 8,
    key: 'Y',
    code: 'KeyY',
    windowsVirtualKeyCode: 89,
    nativeVirtualKeyCode: 89,
  };
  await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...key });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
  await cdp.detach();
}

/**
 * Presses the extension's toolbar button on `page`'s tab, as the user's click would
 * (scripts/toolbar.mjs): the browser grants the extension `activeTab` for that tab and opens the
 * popup over it, driven over its own DevTools session.
 */
export function pressToolbarButton(ext: ExtensionBrowser, page: Page): Promise<ActionPopup> {
  return pressButton(ext.context, ext.id, page);
}

/**
 * A real (trusted) click on the fill button shown under the focused code field. The button lives in
 * a closed shadow root, so neither the page nor a test locator can reach it: the test clicks where a
 * person would.
 */
export async function clickFillButton(page: Page): Promise<void> {
  const field = page.locator('#otp');
  await field.click();
  const box = (await field.boundingBox())!;
  await page.mouse.click(box.x + 24, box.y + box.height + 4 + 10);
}

/**
 * Adds a code in the popup ("Add a code": the secret, issuer and account, then "Add") and waits for
 * the popup to say so (`Added Issuer (account)`, with the site it was bound to if any).
 */
export async function addCodeInPopup(
  popup: Page,
  code: { secret: string; issuer: string; account: string },
): Promise<void> {
  await popup.getByText('Add a code').click();
  await popup.getByLabel('Link (otpauth://) or secret').fill(code.secret);
  await popup.getByLabel('Issuer').fill(code.issuer);
  await popup.getByLabel('Account').fill(code.account);
  await popup.getByRole('button', { name: 'Add', exact: true }).click();
  await popup
    .getByRole('status')
    .filter({ hasText: `Added ${code.issuer} (${code.account})` })
    .waitFor();
}

/** What each row of the popup's code list shows, by label (the web app's `rowTiles`). */
export function popupTiles(popup: Page): Promise<Record<string, string>> {
  return rowTiles(popup.getByRole('list', { name: 'All codes' }).locator('.row'), '.label');
}

/** `tessera code` for `secret` at `unixSeconds`: the reference every code the extension shows or fills must match. */
export function tesseraCode(secret: string, unixSeconds: number): string {
  return execFileSync(process.execPath, [CLI, 'code', '--secret', secret, '--time', String(unixSeconds)], {
    encoding: 'utf8',
  }).trim();
}

/**
 * The recovery key step the popup shares with the web app (`RecoveryKeyStep`), inside `scope`:
 * "I wrote it down", the key typed back, "Done".
 */
export async function confirmRecoveryKey(scope: Page | Locator, key: string): Promise<void> {
  await scope.getByRole('button', { name: 'I wrote it down' }).click();
  await scope.getByLabel('Type the recovery key to confirm').fill(key);
  await scope.getByRole('button', { name: 'Done' }).click();
}

/**
 * The extension in a fresh browser and the test site, for the `describe` block this is called in
 * (its `beforeAll` and `afterAll`): `env.ext`, `env.site`, and `env.url(host, path)` on the site.
 */
export function withExtensionAndSite(options: Parameters<typeof launchWithExtension>[0] = {}): {
  readonly ext: ExtensionBrowser;
  readonly site: { port: number; server: Server };
  url(host: string, path: string): string;
} {
  let ext: ExtensionBrowser | undefined;
  let site: { port: number; server: Server } | undefined;
  beforeAll(async () => {
    site = await startSite();
    ext = await launchWithExtension(options);
  }, 120_000);
  afterAll(async () => {
    await ext?.close();
    site?.server.close();
  });
  return {
    get ext() {
      return ext!;
    },
    get site() {
      return site!;
    },
    url: (host, path) => `http://${host}:${site!.port}${path}`,
  };
}

/**
 * Everything the extension keeps in `chrome.storage` (local and session) and in its IndexedDB, as
 * text (bytes read as Latin-1), read from one of its own pages: what a copy of the profile, or a
 * look at the browser's memory store, would find. `firstScreen`: whether the popup's sealed first
 * screen (src/first-screen.ts) is among it.
 */
export async function storedText(
  page: Page,
): Promise<{ storage: string; indexedDb: string; firstScreen: boolean }> {
  return page.evaluate(async () => {
    const latin1 = (bytes: Uint8Array): string => {
      let out = '';
      for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode(...bytes.subarray(i, i + 4096));
      return out;
    };
    const text = (value: unknown): string =>
      JSON.stringify(value, (_key, v: unknown) =>
        v instanceof Uint8Array ? latin1(v) : v instanceof ArrayBuffer ? latin1(new Uint8Array(v)) : v,
      );
    const storage = text([await chrome.storage.local.get(null), await chrome.storage.session.get(null)]);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tessera');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const read = <T>(name: string, get: (store: IDBObjectStore) => IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        const request = get(db.transaction(name).objectStore(name));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const values: unknown[] = [];
    for (const name of db.objectStoreNames) values.push(...(await read(name, (store) => store.getAll())));
    const firstScreen = (await read('vault', (store) => store.count('popup-first-screen'))) === 1;
    db.close();
    return { storage, indexedDb: text(values), firstScreen };
  });
}

/** Whether the popup's sealed first screen is stored. */
export async function hasFirstScreen(page: Page): Promise<boolean> {
  return (await storedText(page)).firstScreen;
}

/**
 * Fills the popup's sign-in form, the one it shares with the web app ("Turn on keychain backup",
 * then "I have an account"), naming the server as the extension must; how the device gets the codes
 * and the submit are the caller's.
 */
export async function fillSignInForm(
  popup: Page,
  account: { server: string; email: string; password: string },
): Promise<void> {
  await popup.getByText('Turn on keychain backup').click();
  await popup.getByRole('button', { name: 'I have an account' }).click();
  await popup.getByLabel('Keychain server').fill(account.server);
  await popup.getByLabel('Email').fill(account.email);
  await popup.getByLabel('Account password').fill(account.password);
}

/** The recovery key chosen on the popup's filled sign-in form, `key` typed, "Sign in and restore". */
export async function restoreWith(popup: Page, key: string): Promise<void> {
  await popup.getByLabel('With the recovery key').check();
  await popup.getByLabel('Recovery key', { exact: true }).fill(key);
  await popup.getByRole('button', { name: 'Sign in and restore' }).click();
}

/** Signs the popup in to a keychain (`fillSignInForm`, then "Sign in": approval's way). */
export async function signInFromPopup(
  popup: Page,
  account: { server: string; email: string; password: string },
): Promise<void> {
  await fillSignInForm(popup, account);
  await popup.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Records every permission request the extension's pages in `browser` make from now on, in order
 * (the real API still answers). Resolves to what reads a page's record: each request's origins,
 * sorted.
 */
export async function recordPermissionRequests(
  browser: ExtensionBrowser,
): Promise<(page: Page) => Promise<string[][]>> {
  await browser.context.addInitScript(() => {
    const permissions = (globalThis as { chrome?: typeof chrome }).chrome?.permissions;
    if (!permissions?.request) return;
    const request = permissions.request.bind(permissions);
    const asked: string[][] = ((globalThis as unknown as { asked: string[][] }).asked = []);
    permissions.request = ((p: chrome.permissions.Permissions) => {
      asked.push([...(p.origins ?? [])].sort());
      return request(p);
    }) as typeof permissions.request;
  });
  return (page) => page.evaluate(() => (globalThis as unknown as { asked: string[][] }).asked);
}

/** The labels in the popup's list of all codes, sorted. */
export function codeLabels(popup: Page): Promise<string[]> {
  return popup
    .getByRole('list', { name: 'All codes' })
    .locator('.label')
    .evaluateAll((spans) => spans.map((s) => s.textContent ?? '').sort());
}
