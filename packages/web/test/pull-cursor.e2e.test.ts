/**
 * What the web app pulls is saved with the cursor that covers it (the vault host passes the pull's
 * meta to the vault's `applyRemote`, one write): entries made on another device reach the open
 * page, and after a reload the page's first pull continues from there instead of asking again for
 * what it already holds. The other device is the vault library in Node, on the same account.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { normalizeEntry } from '@tessera/otp';
import { syncRound } from '@tessera/vault/keychain';
import { rowLabels as labels, useHarness } from './harness.js';
import { NODE_ACCOUNT_PASSWORD, nodeDevice } from './node-account.js';

const EMAIL = 'cursor@example.com';
const harness = useHarness();
// The browser stretches the password as a real client does: the Node device must too, or the account
// it registers does not open in the browser (the suite's cheap stretching is Node-only, opaque.ts).
beforeAll(() => vi.stubEnv('TESSERA_TEST_WEAK_KEY_STRETCHING', ''));
afterAll(() => vi.unstubAllEnvs());

describe('the web app keeps its pull cursor', { timeout: 300_000 }, () => {
  it('entries from another device are pulled, and after a reload the first pull starts where the last one ended', async () => {
    // The other device: a Node vault signed up on the account, keeping its recovery key for the browser.
    let recoveryKey = '';
    const { keychain: laptop, vault } = await nodeDevice(harness.url, EMAIL, 'Laptop', {
      keepRecoveryKey: async (key) => {
        recoveryKey = key;
      },
    });
    const addOnLaptop = async (issuer: string, secret: string) => {
      await vault.add(normalizeEntry({ type: 'totp', issuer, account: 'carol', secret }));
      await syncRound(laptop);
    };
    await addOnLaptop('GitHub', 'JBSWY3DPEHPK3PXP');
    await addOnLaptop('Bank', 'GEZDGNBVGY3TQOJQ');

    // The browser restores with the recovery key and shows what the laptop pushed.
    const web = await harness.device();
    await web.page.goto('/');
    await web.page.getByRole('button', { name: /Turn on keychain backup/ }).click();
    await web.page.getByRole('button', { name: 'I have an account' }).click();
    await web.page.getByLabel('Email').fill(EMAIL);
    await web.page.getByLabel('Account password').fill(NODE_ACCOUNT_PASSWORD);
    await web.page.getByLabel('With the recovery key').check();
    await web.page.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
    await web.page.getByRole('button', { name: 'Sign in and restore' }).click();
    await expect.poll(() => labels(web.page), { timeout: 60_000 }).toEqual(['Bank|carol', 'GitHub|carol']);

    // A live edit from the laptop reaches the open page through a sync round.
    await addOnLaptop('Mail', 'KRSXG5CTMVRXEZLU');
    const head = laptop.requireState().highestSeen;
    await expect.poll(() => labels(web.page), { timeout: 60_000 }).toContain('Mail|carol');
    // "Back up now" resolves when a round that starts after the running one has ended: every pull
    // before it has been written (or, without the fix, has not, and never will be).
    await web.page.goto('/#/backup');
    const backUp = web.page.getByRole('button', { name: 'Back up now' });
    await expect.poll(() => backUp.isEnabled(), { timeout: 60_000 }).toBe(true);
    const pulled = web.page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/items', {
      timeout: 60_000,
    });
    await backUp.click();
    // Its round's pull has been answered: the button says "Backing up…" until that round has ended.
    await pulled;
    await expect.poll(() => backUp.isEnabled(), { timeout: 60_000 }).toBe(true);
    await web.page.getByTestId('backup-state').filter({ hasText: 'Everything is backed up' }).waitFor();

    const since: number[] = [];
    web.page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/v1/items' && request.method() === 'GET')
        since.push(Number(url.searchParams.get('since')));
    });
    await web.page.goto('/#/');
    await web.page.reload();
    await expect.poll(() => since.length, { timeout: 60_000 }).toBeGreaterThan(0);
    // Before the fix the pulls' cursor was never written: the reloaded page asked from the join's.
    expect(since[0]).toBeGreaterThanOrEqual(head);
    await expect
      .poll(() => labels(web.page), { timeout: 60_000 })
      .toEqual(['Bank|carol', 'GitHub|carol', 'Mail|carol']);
    expect(web.errors).toEqual([]);
  });
});
