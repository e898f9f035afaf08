/**
 * The web app's restore by recovery key or PIN chosen on the sign-in form (docs/PROTOCOL.md §5
 * "Sign-in answers folded", issue 14): the wraps its join opens come with the sign-in's answer, so
 * the app never asks for them apart, and every entry is restored. The new browser loads the app
 * through a tampering proxy in front of the real server (packages/vault/test/keychain), so each of
 * its requests passes the proxy and is counted there. A forged folded wrap is refused as the same
 * forged `GET /v1/keys` answer is, and the device links nothing.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { fromB64u, newVaultKey, wrapVaultKey, type CircleLink } from '@tessera/vault/keychain';
import { applyLinksOf, TamperingProxy, type Tamper } from '../../vault/test/keychain/tampering-proxy.js';
import {
  addTyped,
  createKeychain,
  startDeviceOnly,
  useHarness,
  visibleCodes,
  type Device,
} from './harness.js';

const EMAIL = 'fold@example.com';
const PASSWORD = 'a long enough account password';
const PIN = '493817';

const harness = useHarness();
let proxy: TamperingProxy;
let recoveryKey: string;
/** `issuer|account` of every entry of the first device, which signed up straight to the server. */
let entriesOfA: string[];

const labels = (rows: string[]) => rows.map((r) => r.split('|').slice(0, 2).join('|'));

beforeAll(async () => {
  proxy = new TamperingProxy(harness.url);
  await proxy.start();
  const a = await harness.device();
  await startDeviceOnly(a.page);
  for (const n of [1, 2, 3])
    await addTyped(a.page, { issuer: `Fold ${n}`, account: `f${n}@example.com`, secret: 'JBSWY3DPEHPK3PXP' });
  recoveryKey = await createKeychain(a.page, { email: EMAIL, password: PASSWORD, pin: PIN });
  entriesOfA = labels(await visibleCodes(a.page));
  expect(entriesOfA).toHaveLength(3);
  expect(a.errors).toEqual([]);
}, 120_000);

afterAll(async () => {
  // The browsers first, so that what the proxy still forwards for them (their feeds) ends as they go.
  for (const device of proxiedDevices) await device.context.close().catch(() => undefined);
  await proxy?.close();
});

const proxiedDevices: Device[] = [];

/** A new browser, its pages opened through the proxy (so is every request of the app). */
async function proxied(): Promise<Device> {
  const device = await harness.device({ baseURL: proxy.url });
  proxiedDevices.push(device);
  return device;
}

/** From the first-run screen: signs in, choosing to restore with `secret` (the PIN or the recovery key). */
async function signInToRestore(page: Page, way: 'pin' | 'recovery-key', secret: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: /Turn on keychain backup/ }).click();
  await page.getByRole('button', { name: 'I have an account' }).click();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Account password').fill(PASSWORD);
  await page.getByLabel(way === 'pin' ? 'With the keychain PIN' : 'With the recovery key').check();
  await page.getByLabel(way === 'pin' ? 'Keychain PIN' : 'Recovery key', { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Sign in and restore' }).click();
}

/**
 * The API requests the proxy saw from `from` on, as `METHOD /path?query`: those of the one device
 * the test opened through it (the first device talks to the server straight, and each test closes
 * its device at its end).
 */
const sentSince = (from: number) =>
  proxy.requests
    .slice(from)
    .filter((r) => r.path.startsWith('/v1/'))
    .map((r) => `${r.method} ${r.path}`);

const finishSince = (from: number) =>
  proxy.requests.slice(from).find((r) => r.method === 'POST' && r.path === '/v1/sessions/finish');

describe('the web app restores with the wraps folded into the sign-in', { timeout: 120_000 }, () => {
  for (const [way, recipient] of [
    ['recovery-key', 'recovery'],
    ['pin', 'escrow'],
  ] as const) {
    it(`by ${way}: the sign-in asks for the ${recipient} wraps, no request of their own follows, every entry is restored`, async () => {
      const b = await proxied();
      const start = proxy.requests.length;
      await signInToRestore(b.page, way, way === 'pin' ? PIN : recoveryKey);
      await b.page.locator('.row').first().waitFor({ timeout: 60_000 });
      expect(labels(await visibleCodes(b.page))).toEqual(entriesOfA);
      const sent = sentSince(start);
      // Joined: its add-device link went out, and its wraps came with the answer only.
      expect(sent).toContain('POST /v1/circle');
      expect(
        sent.filter((r) => r.startsWith('GET /v1/keys') && r.includes(`recipient=${recipient}`)),
      ).toEqual([]);
      // It asked for them with the sign-in.
      expect(finishSince(start)!.body!.include).toEqual({ circle: true, wraps: recipient });
      // Nor was a code shown, or a share posted, for an approval nobody will give.
      expect(sent.filter((r) => r.startsWith('POST /v1/join'))).toEqual([]);
      expect(b.errors).toEqual([]);
      // Its rounds through the proxy would be counted in the next test's window.
      await b.context.close();
    });
  }

  it('a mistyped recovery key is told on the sign-in form before anything is sent', async () => {
    const b = await proxied();
    const start = proxy.requests.length;
    await signInToRestore(b.page, 'recovery-key', recoveryKey.slice(0, -2));
    await b.page.locator('.error-text').waitFor();
    // The web app's form offers all three ways (the extension's, the PIN apart: its restore.e2e).
    const ways = b.page.getByRole('group', { name: 'How this device gets your codes' });
    expect(
      await ways
        .getByRole('radio')
        .evaluateAll((inputs) => inputs.map((i) => i.closest('label')!.textContent!.trim())),
    ).toEqual(['Approve it on another device', 'With the keychain PIN', 'With the recovery key']);
    expect(await ways.getByText('the next screen offers the PIN').count()).toBe(0);
    expect(await b.page.getByRole('button', { name: 'Sign in and restore' }).count()).toBe(1);
    expect(sentSince(start).filter((r) => r.startsWith('POST /v1/sessions'))).toEqual([]);
    expect(b.errors).toEqual([]);
    await b.context.close();
  });

  it('from a server that does not fold, the same restore asks for the wraps apart and restores', async () => {
    // The count above is the proxy's: here it sees the request the fold saves.
    proxy.fold = false;
    try {
      const b = await proxied();
      const start = proxy.requests.length;
      await signInToRestore(b.page, 'recovery-key', recoveryKey);
      await b.page.locator('.row').first().waitFor({ timeout: 60_000 });
      expect(labels(await visibleCodes(b.page))).toEqual(entriesOfA);
      expect(finishSince(start)!.body!.include).toBeUndefined();
      expect(sentSince(start)).toContain('GET /v1/keys?recipient=recovery');
      expect(b.errors).toEqual([]);
      await b.context.close();
    } finally {
      proxy.fold = true;
    }
  });

  it("a folded wrap of a vault key of the server's own is refused as the same GET /v1/keys answer is; the device links nothing and may try again", async () => {
    // Opens with the recovery key (its public key is public) but holds a key the circle does not
    // name: only the join's vault-key check against the verified circle stops it. The proxy hands
    // the folded wraps to the same function as a separate `GET /v1/keys` answer.
    const forge = (): Tamper => {
      let signedIn: { accountId: string; session: string } | null = null;
      let links: CircleLink[] | null = null;
      return (r, res) => {
        if (r.path === '/v1/sessions/finish') signedIn = { accountId: res.accountId, session: res.session };
        // Only the device signing in now (the proxy sees every device's rounds).
        if (!signedIn || r.session !== signedIn.session) return undefined;
        const { accountId } = signedIn;
        if (r.method === 'GET' && r.path.startsWith('/v1/circle')) links ??= res.links as CircleLink[];
        else if (r.method === 'GET' && r.path === '/v1/keys?recipient=recovery') {
          const recipientPub = fromB64u(applyLinksOf(links!).recoveryPub);
          return {
            wraps: res.wraps.map((w: { epoch: number }) => ({
              ...w,
              wrapped: wrapVaultKey({
                accountId,
                recipientId: 'recovery',
                epoch: w.epoch,
                vk: newVaultKey(),
                recipientPub,
              }),
            })),
          };
        }
        return undefined;
      };
    };
    const shown: string[] = [];
    for (const fold of [true, false]) {
      proxy.fold = fold;
      proxy.tamper = forge();
      try {
        const b = await proxied();
        const start = proxy.requests.length;
        await signInToRestore(b.page, 'recovery-key', recoveryKey);
        // Signed in but not joined: the join screen, open on the recovery key, says why.
        const error = b.page.locator('.error-text');
        await error.waitFor({ timeout: 60_000 });
        expect(
          await b.page
            .getByRole('button', { name: 'Recovery key', exact: true })
            .getAttribute('aria-pressed'),
        ).toBe('true');
        shown.push((await error.textContent())!);
        const sent = sentSince(start);
        expect(finishSince(start)!.body!.include).toEqual(
          fold ? { circle: true, wraps: 'recovery' } : undefined,
        );
        expect(sent.includes('GET /v1/keys?recipient=recovery')).toBe(!fold);
        expect(sent).not.toContain('POST /v1/circle');
        expect(await b.page.locator('.row').count()).toBe(0);
        if (!fold) {
          // No approval run was started for it: the other way says how to get a code, in the app's words.
          await b.page.getByRole('button', { name: 'Another device' }).click();
          await b.page
            .getByRole('alert')
            .filter({ hasText: 'Sign in again on this device for a new code.' })
            .waitFor();
          expect(await b.page.getByTestId('verification-code').count()).toBe(0);
        }
        if (fold) {
          // Tried again on the join screen without the forgery: the wraps are asked for now, and open.
          proxy.tamper = null;
          await b.page.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
          await b.page.getByRole('button', { name: 'Use recovery key' }).click();
          await b.page.locator('.row').first().waitFor({ timeout: 60_000 });
          expect(labels(await visibleCodes(b.page))).toEqual(entriesOfA);
        }
        expect(b.errors).toEqual([]);
        await b.context.close();
      } finally {
        proxy.tamper = null;
        proxy.fold = true;
      }
    }
    expect(shown[0]).toMatch(/vault key|circle/i);
    expect(shown[0]).toBe(shown[1]);
  });
});
