/**
 * The extension restores at once from its sign-in form (the web app's `KeychainStart`) with the
 * recovery key: the form offers approval and the recovery key, not the PIN (a PIN's realms must be
 * asked for from the click, before the sign-in names them: the PIN is on the join screen, and the
 * form says so). A new extension profile signs in with the recovery key and shows every code,
 * having asked the browser for the keychain server's origin alone, the join's wraps folded into the
 * sign-in's answer (the extension is given the address of the tampering proxy of
 * packages/vault/test/keychain, in front of the real server, which counts its requests). A mistyped
 * key is told on the form with nothing sent or stored, the extension still signed out; a
 * well-formed key the keychain does not take leaves it signed in on the join screen with the error,
 * as in the web app, and the right key there restores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formatRecoveryKey, newRecoveryKey } from '@tessera/vault/keychain';
import type { TamperingProxy } from '../../vault/test/keychain/tampering-proxy.js';
import type { Harness } from '../../web/test/harness.js';
import {
  codeLabels,
  fillSignInForm,
  launchWithExtension,
  recordPermissionRequests,
  restoreWith,
  storedText,
  type ExtensionBrowser,
} from './harness.js';
import { startProxiedAccount } from './keychain-setup.js';
import { FOLLOW_LOCK } from '../src/sync-status.js';

const ACCOUNT = { email: 'restore-ext@example.com', password: 'a long enough account password' };
const ENTRIES = ['Alpha', 'Beta', 'Gamma'].map((issuer) => ({ issuer, account: 'alice' }));

let harness: Harness;
/** In front of the server: the address the extension is given, so it sees each of its requests. */
let proxy: TamperingProxy;
let recoveryKey: string;
const browsers: ExtensionBrowser[] = [];

beforeAll(async () => {
  ({ harness, proxy, recoveryKey } = await startProxiedAccount(ACCOUNT, ENTRIES));
}, 240_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close().catch(() => undefined);
  await proxy?.close();
  await harness?.close();
});

/**
 * A new extension profile, the server's origin granted as after the user said yes to the prompt (a
 * headless browser cannot show it), its popup open on the sign-in form, filled up to the way. Every
 * permission request the popup makes is recorded (`asked`; the real API still answers).
 */
async function openSignInForm(): Promise<{
  browser: ExtensionBrowser;
  popup: Page;
  asked(): Promise<string[][]>;
}> {
  const browser = await launchWithExtension({ grantedOrigins: [`${proxy.url}/*`] });
  browsers.push(browser);
  const askedBy = await recordPermissionRequests(browser);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.id}/popup.html`);
  await fillSignInForm(popup, { server: proxy.url, ...ACCOUNT });
  return { browser, popup, asked: () => askedBy(popup) };
}

const everyCode = ENTRIES.map((e) => `${e.issuer} (${e.account})`).sort();

/** The API requests the proxy saw from `from` on, as `METHOD /path?query`. */
const sentSince = (from: number) =>
  proxy.requests
    .slice(from)
    .filter((r) => r.path.startsWith('/v1/'))
    .map((r) => `${r.method} ${r.path}`);

describe('the extension restores by recovery key from its sign-in form', { timeout: 180_000 }, () => {
  it('a new profile signs in with the recovery key and shows every code, asking for the server alone', async () => {
    const { browser, popup, asked } = await openSignInForm();
    // The ways it can take at once; the PIN is on the next screen, and the form says so.
    const ways = popup.getByRole('group', { name: 'How this device gets your codes' });
    expect(
      await ways
        .getByRole('radio')
        .evaluateAll((inputs) => inputs.map((i) => i.closest('label')!.textContent!.trim())),
    ).toEqual(['Approve it on another device', 'With the recovery key']);
    await ways.getByText('the next screen offers the PIN').waitFor();

    const start = proxy.requests.length;
    await restoreWith(popup, recoveryKey);
    await expect.poll(() => codeLabels(popup), { timeout: 60_000 }).toEqual(everyCode);
    // The web app's restore: the recovery wraps asked for with the sign-in and come with its answer,
    // none asked for apart; no approval run (no share posted to the relay); the device linked.
    const finish = proxy.requests.slice(start).find((r) => r.path === '/v1/sessions/finish');
    expect(finish?.body?.include).toEqual({ circle: true, wraps: 'recovery' });
    const sent = sentSince(start);
    expect(sent.filter((r) => r.startsWith('GET /v1/keys'))).toEqual([]);
    expect(sent.filter((r) => r.startsWith('POST /v1/join'))).toEqual([]);
    expect(sent).toContain('POST /v1/circle');
    await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor();
    // Joined by itself: no approval code was shown, no join screen opened.
    expect(await popup.getByTestId('verification-code').count()).toBe(0);
    expect(await popup.getByRole('heading', { name: 'Bring your codes to this device' }).count()).toBe(0);
    expect(await asked()).toEqual([[`${proxy.url}/*`]]);
    // The open popup follows the feed, so the background's periodic round stands aside.
    expect(
      await popup.evaluate(
        async (name) => (await navigator.locks.query()).held?.some((l) => l.name === name),
        FOLLOW_LOCK,
      ),
    ).toBe(true);

    // Trusted, not a screen's state: a popup opened afresh shows the codes, synced.
    await popup.close();
    const again = await browser.context.newPage();
    await again.goto(`chrome-extension://${browser.id}/popup.html`);
    await again.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor();
    expect(await codeLabels(again)).toEqual(everyCode);
    // Its feed through the proxy would be counted in the next test's window.
    await browser.close();
  });

  it('a mistyped recovery key is told on the form with nothing stored; a key the keychain does not take opens the join screen, where the right one restores', async () => {
    const { browser, popup } = await openSignInForm();
    await popup.getByLabel('With the recovery key').check();
    const before = await storedText(popup);
    const start = proxy.requests.length;

    await restoreWith(popup, recoveryKey.slice(0, -2));
    await popup.locator('.error-text').filter({ hasText: 'recovery key' }).waitFor();
    // Still the sign-in form, to try again; nothing was sent (no sign-in begun), nothing stored (the
    // device's keys, its state).
    expect(sentSince(start)).toEqual([]);
    expect(await popup.getByRole('button', { name: 'Sign in and restore' }).isEnabled()).toBe(true);
    expect(await storedText(popup)).toEqual(before);
    // Signed out: a popup opened afresh offers the sign-in again.
    const fresh = await browser.context.newPage();
    await fresh.goto(`chrome-extension://${browser.id}/popup.html`);
    await fresh.getByText('Turn on keychain backup').waitFor();
    expect(await fresh.getByTestId('keychain-state').count()).toBe(0);
    await fresh.close();

    // Well formed but not this keychain's: the sign-in succeeded, the join did not. As in the web
    // app, the device waits on the join screen, open on the recovery key with the error.
    await restoreWith(popup, formatRecoveryKey(newRecoveryKey()));
    await popup
      .locator('.error-text')
      .filter({ hasText: 'not the current recovery key' })
      .waitFor({ timeout: 60_000 });
    expect(
      await popup.getByRole('button', { name: 'Recovery key', exact: true }).getAttribute('aria-pressed'),
    ).toBe('true');
    expect(await popup.getByRole('list', { name: 'All codes' }).locator('.label').count()).toBe(0);

    await popup.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
    await popup.getByRole('button', { name: 'Use recovery key' }).click();
    await expect.poll(() => codeLabels(popup), { timeout: 60_000 }).toEqual(everyCode);
  });
});
