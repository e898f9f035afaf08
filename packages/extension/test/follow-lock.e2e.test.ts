/**
 * A popup opened while the background's periodic round runs (which holds FOLLOW_LOCK for it) shows
 * its state at once but follows only once that round has ended: both write the whole keychain state
 * to the same vault storage, and two writers beside each other lose each other's writes. The
 * extension is given the address of the tampering proxy of packages/vault/test/keychain, in front
 * of the real server: it holds the background round's notices request, so the round stays open
 * while the popup opens, and counts every request. The popup sends nothing until the round ended;
 * then its first round starts from the state the background left (the notice it kept is not asked
 * for again, and shows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { upstreamAnswer, type TamperingProxy } from '../../vault/test/keychain/tampering-proxy.js';
import type { Harness } from '../../web/test/harness.js';
import { PASSWORD, Workspace } from '../../cli/test/keychain-harness.js';
import {
  codeLabels,
  fillSignInForm,
  launchWithExtension,
  restoreWith,
  type ExtensionBrowser,
} from './harness.js';
import { startProxiedAccount } from './keychain-setup.js';
import { FOLLOW_LOCK, SYNC_ALARM, type SyncStatus } from '../src/sync-status.js';

/** The CLI device signs in with it too (`TESSERA_PASSWORD`). */
const ACCOUNT = { email: 'follow-lock@example.com', password: PASSWORD };
const ENTRIES = ['Alpha', 'Beta'].map((issuer) => ({ issuer, account: 'alice' }));
const everyCode = ENTRIES.map((e) => `${e.issuer} (${e.account})`).sort();

let harness: Harness;
/** In front of the server: the address the extension is given, so it sees each of its requests. */
let proxy: TamperingProxy;
let recoveryKey: string;
let browser: ExtensionBrowser;
/** The CLI devices share the account with browsers: they stretch the password as browsers do. */
const workspace = new Workspace({ withBrowsers: true });

beforeAll(async () => {
  ({ harness, proxy, recoveryKey } = await startProxiedAccount(ACCOUNT, ENTRIES));

  // The extension, restored by the recovery key from its popup, then the popup closed.
  browser = await launchWithExtension({ grantedOrigins: [`${proxy.url}/*`] });
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.id}/popup.html`);
  await fillSignInForm(popup, { server: proxy.url, ...ACCOUNT });
  await restoreWith(popup, recoveryKey);
  await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor({ timeout: 60_000 });
  expect(await codeLabels(popup)).toEqual(everyCode);
  await popup.close();
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await proxy?.close();
  await harness?.close();
  workspace.remove();
});

/** FOLLOW_LOCK as `page` (or the background) sees it: held by some context, asked for by some. */
const followLock = (page: Page | ExtensionBrowser['worker']) => {
  const query = async (name: string) => {
    const { held = [], pending = [] } = await navigator.locks.query();
    return { held: held.some((l) => l.name === name), pending: pending.some((l) => l.name === name) };
  };
  return 'mainFrame' in page ? page.evaluate(query, FOLLOW_LOCK) : page.evaluate(query, FOLLOW_LOCK);
};

const status = () =>
  browser.worker.evaluate(
    async () => (await chrome.storage.session.get('backgroundSync')).backgroundSync as SyncStatus | undefined,
  );

/** The `since` of each notices request from `from` on. */
const noticesSince = (from: number) =>
  proxy.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/notices'))
    .map((r) => Number(new URL(r.path, proxy.url).searchParams.get('since')));

describe('the popup and the background round', { timeout: 180_000 }, () => {
  it('a popup opened during the background round shows its state at once and follows only after the round, from its result', async () => {
    // The popup closed, the lock is free: the background's round will run.
    await expect.poll(async () => (await followLock(browser.worker)).held, { timeout: 20_000 }).toBe(false);
    // A device restored by the recovery key meanwhile (straight at the server): a notice for the round.
    await workspace
      .device()
      .ok([
        'keychain',
        'recover',
        '--server',
        harness.url,
        '--email',
        ACCOUNT.email,
        '--recovery-key-file',
        workspace.file('recovery-key.txt', recoveryKey),
        '--device-name',
        'Held-round CLI',
      ]);

    // The background round's notices request is held at the proxy until released.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const roundAsked = new Promise<void>((resolve) => (asked = resolve));
    const start = proxy.requests.length;
    let holding = true;
    proxy.intercept = (request) => {
      if (!holding || request.method !== 'GET' || !request.path.startsWith('/v1/notices')) return null;
      holding = false;
      asked();
      return released.then(() => upstreamAnswer(proxy, request));
    };
    const before = (await status())?.at ?? 0;
    await browser.worker.evaluate(
      (name) => chrome.alarms.create(name, { when: Date.now(), periodInMinutes: 1 }),
      SYNC_ALARM,
    );
    await roundAsked;
    const [roundSince] = noticesSince(start);
    expect(await followLock(browser.worker)).toMatchObject({ held: true });

    // The popup opens during the round: its codes and keychain state show at once; it asks for the lock.
    const opened = proxy.requests.length;
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.id}/popup.html`);
    await popup.getByTestId('keychain-state').waitFor();
    expect(await codeLabels(popup)).toEqual(everyCode);
    await expect.poll(async () => (await followLock(popup)).pending, { timeout: 20_000 }).toBe(true);
    // A request of the popup's page itself, after its state showed: one the popup's session sent
    // before it (its feed, its PIN state refresh, a round) would be seen before this one.
    await popup.evaluate((url) => fetch(`${url}/after-first-paint`).then((r) => r.status), proxy.url);
    // Nothing from the popup's session: what came in meanwhile is the held round's own first step.
    const meanwhile = proxy.requests.slice(opened).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(meanwhile.at(-1)).toBe('GET /after-first-paint');
    for (const request of meanwhile.slice(0, -1)) expect(request).toMatch(/^GET \/v1\/(items|circle|time)$/);

    // The round ends; only then does the popup follow: the feed, a round, synced.
    const released_at = proxy.requests.length;
    release();
    await expect.poll(async () => (await status())?.at ?? 0, { timeout: 60_000 }).toBeGreaterThan(before);
    expect((await status())?.error).toBeNull();
    await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor({ timeout: 60_000 });
    const after = proxy.requests.slice(released_at).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(after).toContain('GET /v1/feed');
    expect(await followLock(popup)).toMatchObject({ held: true });

    // Its first round started from the background's result: the notice the round kept is not asked
    // for again (the cursor the background moved is the popup's), and the popup tells it.
    const popupSince = noticesSince(released_at);
    expect(popupSince.length).toBeGreaterThan(0);
    expect(popupSince[0]).toBeGreaterThan(roundSince!);
    await popup.getByTestId('keychain-notice').filter({ hasText: 'Held-round CLI' }).waitFor();
    proxy.intercept = null;
  });
});
