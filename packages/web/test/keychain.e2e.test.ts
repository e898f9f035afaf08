/**
 * The keychain stories in real browsers against the real server: backup, a new device approved with
 * the verification code, edits flowing both ways, the PIN and recovery-key paths, removing a
 * device, and offline edits that sync when the connection is back.
 */
import { describe, expect, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { generateCode, normalizeEntry } from '@tessera/otp';
import { findLeaks, readTree } from '../../server/test/leaks.js';
import {
  addTyped,
  rowLabels as labels,
  signInFromFirstRun,
  startDeviceOnly,
  useHarness,
  type Device,
} from './harness.js';

const EMAIL = 'story@example.com';
const PASSWORD = 'correct horse battery staple';
const PIN = '493817';
const ENTRIES = [
  { issuer: 'GitHub', account: 'alice', secret: 'JBSWY3DPEHPK3PXP' },
  { issuer: 'Bank', account: 'alice@example.com', secret: 'GEZDGNBVGY3TQOJQ' },
  { issuer: 'Mail', account: 'alice@mail.example', secret: 'KRSXG5CTMVRXEZLU' },
];

const harness = useHarness();
let a: Device;
let recoveryKey = '';

/** `issuer|account|code` of every row, sorted. */
const shownCodes = (page: Page) => labels(page, { code: true });

/**
 * Both browsers show the same codes, and they are the RFC 6238 codes of the secrets at this moment
 * (computed here by the OTP engine the CLI uses). Polled, so a 30-second boundary between the reads
 * only means one more look.
 */
async function expectSameCodes(one: Page, other: Page): Promise<void> {
  const truth = () =>
    ENTRIES.map(
      (e) =>
        `${e.issuer}|${e.account}|${generateCode({ entry: normalizeEntry({ type: 'totp', ...e }), time: Date.now() / 1000 })}`,
    ).sort();
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([shownCodes(one), shownCodes(other)]);
      return { a, b, truth: truth() };
    })
    .toSatisfy(
      ({ a, b, truth }: { a: string[]; b: string[]; truth: string[] }) =>
        JSON.stringify(a) === JSON.stringify(truth) && JSON.stringify(b) === JSON.stringify(truth),
    );
}

async function waitForLabels(page: Page, expected: string[]): Promise<void> {
  await expect.poll(() => labels(page), { timeout: 20_000 }).toEqual([...expected].sort());
}

/** A new browser signs in to the keychain and lands on the join screen. */
async function signIn(): Promise<Device> {
  const device = await harness.device();
  await signInFromFirstRun(device.page, { email: EMAIL, password: PASSWORD });
  // OPAQUE with Argon2id in the page: on a busy 2-core machine it has taken over 30 s.
  await device.page
    .getByRole('heading', { name: 'Bring your codes to this device' })
    .waitFor({ timeout: 90_000 });
  return device;
}

/** No serious or critical axe-core violations on the page as it is. */
async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

const expectedLabels = ENTRIES.map((e) => `${e.issuer}|${e.account}`);

// Generous timeout: CI runs every package's tests at once on two cores.
describe('keychain backup and restore in the browser', { timeout: 180_000 }, () => {
  it('A backs up three entries; B signs in, A approves with the code B shows, B gets the codes; an edit on B reaches A', async () => {
    a = await harness.device();
    await startDeviceOnly(a.page);
    for (const entry of ENTRIES) await addTyped(a.page, entry);

    await a.page.goto('/#/backup');
    await a.page.getByLabel('Email').fill(EMAIL);
    await a.page.getByLabel('Account password').fill(PASSWORD);
    await a.page.getByLabel('Password again').fill(PASSWORD);
    await a.page.getByLabel('Keychain PIN (optional)').fill(PIN);
    await a.page.getByRole('button', { name: 'Create keychain' }).click();
    recoveryKey = (await a.page.getByTestId('recovery-key').textContent())!.trim();
    expect(recoveryKey).toMatch(/^([A-Z2-7]{4}-){8}[A-Z2-7]{4}$/);
    await a.page.getByRole('button', { name: 'I wrote it down' }).click();
    await a.page
      .getByLabel('Type the recovery key to confirm')
      .fill('not the key at all, not even close 1234');
    expect(await a.page.getByRole('button', { name: 'Done' }).isDisabled()).toBe(true);
    await a.page
      .getByLabel('Type the recovery key to confirm')
      .fill(recoveryKey.toLowerCase().replace(/-/g, ' '));
    await a.page.getByRole('button', { name: 'Done' }).click();
    await a.page.locator('.row').first().waitFor();
    await a.page.goto('/#/backup');
    await a.page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 20_000 });

    // The device keys are WebCrypto keys kept by IndexedDB, and their private halves cannot be read.
    const keys = await a.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open('tessera');
        request.onsuccess = () => resolve(request.result);
      });
      const pairs = await new Promise<Record<string, CryptoKeyPair>>((resolve) => {
        const request = db.transaction('keys').objectStore('keys').get('device-keys');
        request.onsuccess = () => resolve(request.result);
      });
      return Object.values(pairs).map((p) => [p.privateKey.algorithm.name, p.privateKey.extractable]);
    });
    expect(keys).toEqual([
      ['X25519', false],
      ['Ed25519', false],
    ]);

    const b = await signIn();
    const code = (await b.page.getByTestId('verification-code').textContent())!.trim();
    expect(code).toMatch(/^\d{4}-\d{4}$/);

    await a.page
      .getByRole('link', { name: /^Backup\W+1 device waiting for approval$/ })
      .waitFor({ timeout: 20_000 });
    await a.page.getByRole('heading', { name: 'Approve a new device' }).waitFor({ timeout: 20_000 });
    await expectAccessible(a.page);
    await expectAccessible(b.page);
    await a.page.getByLabel('Verification code').fill(code);
    await a.page.getByRole('button', { name: 'Approve' }).click();
    await a.page
      .getByRole('status')
      .filter({ hasText: 'can now see your codes' })
      .waitFor({ timeout: 20_000 });

    await b.page.locator('.row').first().waitFor({ timeout: 20_000 });
    await waitForLabels(b.page, expectedLabels);
    // The join request was acted on: it leaves the active notices for the history, with why.
    await a.page.getByRole('button', { name: /^Show older \(\d+\)$/ }).click();
    await a.page
      .getByTestId('older-notices')
      .locator('li', { hasText: 'asked to join' })
      .filter({ hasText: 'done: joined' })
      .waitFor({ timeout: 20_000 });
    expect(
      await a.page.getByTestId('active-notices').locator('li', { hasText: 'asked to join' }).count(),
    ).toBe(0);
    await a.page.goto('/#/');
    await expectSameCodes(a.page, b.page);

    await b.page.getByRole('button', { name: 'Edit Bank' }).click();
    await b.page.getByLabel('Issuer').fill('Savings Bank');
    await b.page.getByRole('button', { name: 'Save' }).click();
    await a.page.goto('/#/');
    await waitForLabels(a.page, [
      'GitHub|alice',
      'Savings Bank|alice@example.com',
      'Mail|alice@mail.example',
    ]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await b.context.close();

    // What the web app uploaded holds none of it: secrets, labels (old and new), PIN, password,
    // recovery key. B showed every entry, so these labels did travel through the server.
    const leaks = findLeaks(readTree(harness.dataDir), {
      secrets: ENTRIES.map((e) => e.secret),
      // Labels of 6 characters or more: shorter ones ("Mail") occur by chance, e.g. in column names.
      texts: [
        ...ENTRIES.flatMap((e) => [e.issuer, e.account]),
        'Savings Bank',
        PIN,
        PASSWORD,
        recoveryKey,
      ].filter((t) => t.length >= 6),
    });
    expect(leaks).toEqual([]);
    expect(readTree(harness.dataDir).includes(Buffer.from(EMAIL))).toBe(true);
  });

  it('a new device restores with the PIN, showing the attempts left after a wrong one; the open app hears of each try live', async () => {
    // A stays open on its Backup page: no reload, no navigation while C guesses.
    await a.page.goto('/#/backup');
    const aNotices = a.page.getByRole('region', { name: 'Security notices' });
    await aNotices.waitFor();
    const wrongPinNotices = aNotices.getByTestId('active-notices').locator('li', {
      hasText: 'A wrong keychain PIN was tried',
    });
    expect(await wrongPinNotices.count()).toBe(0);
    const c = await signIn();
    await c.page.getByRole('button', { name: 'Keychain PIN' }).click();
    // Realms answer only guesses: no count is shown before the first one.
    await c.page.getByLabel('Keychain PIN').waitFor();
    expect(await c.page.getByTestId('attempts-left').count()).toBe(0);
    for (const left of [9, 8]) {
      await c.page.getByLabel('Keychain PIN').fill('000000');
      await c.page.getByRole('button', { name: 'Use PIN' }).click();
      await c.page
        .getByRole('alert')
        .filter({ hasText: `Wrong keychain PIN; ${left} attempts left` })
        .waitFor({ timeout: 20_000 });
      await c.page
        .getByTestId('attempts-left')
        .filter({ hasText: `${left} attempts left` })
        .waitFor();
      // The open app shows the notice through the live feed, with the count the server gave C.
      await wrongPinNotices.filter({ hasText: `(${left} attempts left)` }).waitFor({ timeout: 20_000 });
    }
    // The newer try overtook the older notice: one active notice, with the count the server holds now.
    expect(await wrongPinNotices.allTextContents()).toEqual([
      expect.stringContaining('A wrong keychain PIN was tried (8 attempts left).'),
    ]);
    await c.page.getByLabel('Keychain PIN').fill(PIN);
    await c.page.getByRole('button', { name: 'Use PIN' }).click();
    await c.page.locator('.row').first().waitFor({ timeout: 20_000 });
    await waitForLabels(c.page, [
      'GitHub|alice',
      'Savings Bank|alice@example.com',
      'Mail|alice@mail.example',
    ]);
    expect(c.errors).toEqual([]);
    await c.context.close();
  });

  it('a new device restores with the recovery key; A then removes it after confirming', async () => {
    const d = await signIn();
    await d.page.getByRole('button', { name: 'Recovery key' }).click();
    await d.page.getByLabel('Recovery key').fill('AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII');
    await d.page.getByRole('button', { name: 'Use recovery key' }).click();
    await d.page.getByRole('alert').waitFor();
    await d.page.getByLabel('Recovery key').fill(recoveryKey);
    await d.page.getByRole('button', { name: 'Use recovery key' }).click();
    await d.page.locator('.row').first().waitFor({ timeout: 20_000 });
    await waitForLabels(d.page, [
      'GitHub|alice',
      'Savings Bank|alice@example.com',
      'Mail|alice@mail.example',
    ]);

    await a.page.goto('/#/backup');
    const notices = a.page.getByRole('region', { name: 'Security notices' });
    await notices
      .getByText(/recovery key/i)
      .first()
      .waitFor({ timeout: 20_000 });
    const devices = a.page.getByRole('region', { name: 'Devices' });
    await expect
      .poll(() => devices.getByRole('button', { name: 'Remove' }).count(), { timeout: 20_000 })
      .toBe(3);
    const row = devices.getByRole('listitem').filter({ hasNotText: 'this device' }).last();
    await row.getByRole('button', { name: 'Remove' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await devices.getByRole('button', { name: 'Remove' }).count()).toBe(3);
    await row.getByRole('button', { name: 'Remove' }).click();
    // The removal replaces the recovery key and the PIN escrow: the PIN is typed again to keep it.
    await a.page.getByRole('dialog').getByLabel('Keychain PIN (to keep it)').fill(PIN);
    await a.page.getByRole('dialog').getByRole('button', { name: 'Remove device' }).click();
    await a.page
      .getByRole('heading', { name: 'Write down your new recovery key' })
      .waitFor({ timeout: 20_000 });
    const oldKey = recoveryKey;
    recoveryKey = (await a.page.getByTestId('recovery-key').textContent())!.trim();
    expect(recoveryKey).toMatch(/^([A-Z2-7]{4}-){8}[A-Z2-7]{4}$/);
    expect(recoveryKey).not.toBe(oldKey);
    await a.page.getByRole('button', { name: 'I wrote it down' }).click();
    await a.page.getByLabel('Type the recovery key to confirm').fill(recoveryKey);
    await a.page.getByRole('button', { name: 'Done' }).click();
    await a.page.getByRole('heading', { name: 'Backup', exact: true, level: 1 }).waitFor({ timeout: 20_000 });
    await expect
      .poll(() => devices.getByRole('button', { name: 'Remove' }).count(), { timeout: 20_000 })
      .toBe(2);
    await d.page
      .getByRole('alert')
      .filter({ hasText: 'removed from your keychain, or signed out' })
      .waitFor({ timeout: 20_000 });
    // The removed device's Backup page tells one state: no longer signed in, nothing of a member's.
    await d.page.goto('/#/backup');
    await d.page.getByText('This device is no longer signed in').first().waitFor({ timeout: 20_000 });
    expect(await d.page.getByText('Signed in as').count()).toBe(0);
    expect(await d.page.getByText('Everything is backed up').count()).toBe(0);
    expect(await d.page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(d.errors).toEqual([]);
    await d.context.close();

    // The replaced recovery key is refused with its date; the kept PIN still restores.
    const late = await signIn();
    await late.page.getByRole('button', { name: 'Recovery key' }).click();
    await late.page.getByLabel('Recovery key').fill(oldKey);
    await late.page.getByRole('button', { name: 'Use recovery key' }).click();
    await late.page
      .getByRole('alert')
      .filter({ hasText: /This recovery key was replaced on \d{4}-\d{2}-\d{2}/ })
      .waitFor({ timeout: 20_000 });
    await late.page.getByRole('button', { name: 'Keychain PIN' }).click();
    await late.page.getByLabel('Keychain PIN').fill(PIN);
    await late.page.getByRole('button', { name: 'Use PIN' }).click();
    await late.page.locator('.row').first().waitFor({ timeout: 20_000 });
    expect(late.errors).toEqual([]);
    await late.context.close();
  });

  it('works offline: codes show after an offline reload, an offline edit syncs when the connection is back', async () => {
    const page = a.page;
    await page.goto('/#/');
    // The offline copy: the service worker has installed and precached the app shell.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await a.context.setOffline(true);
    await page.reload();
    await page.locator('.row').first().waitFor();
    await page.getByText(/^Offline\./).waitFor();
    await addTyped(page, { issuer: 'Offline Shop', account: 'o@example.com', secret: 'MFRGGZDFMZTWQ2LK' });
    await page.goto('/#/backup');
    await page
      .getByTestId('backup-state')
      .filter({ hasText: '1 change will be backed up when the connection is back' })
      .waitFor();

    const e = await signIn();
    await e.page.getByRole('button', { name: 'Recovery key' }).click();
    await e.page.getByLabel('Recovery key').fill(recoveryKey);
    await e.page.getByRole('button', { name: 'Use recovery key' }).click();
    await e.page.locator('.row').first().waitFor({ timeout: 20_000 });
    expect(await labels(e.page)).not.toContain('Offline Shop|o@example.com');

    await a.context.setOffline(false);
    await page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 20_000 });
    await waitForLabels(e.page, [
      'GitHub|alice',
      'Savings Bank|alice@example.com',
      'Mail|alice@mail.example',
      'Offline Shop|o@example.com',
    ]);
    expect(e.errors).toEqual([]);
  });
  it('a wrong code ends the attempt on both browsers; a request that is not mine is removed; a password change signs the other browser out until it signs in again', async () => {
    await a.page.goto('/#/backup');
    const w = await signIn();
    const code = (await w.page.getByTestId('verification-code').textContent())!.trim();
    const wrong = code === '1234-5678' ? '8765-4321' : '1234-5678';
    await a.page.getByRole('heading', { name: 'Approve a new device' }).waitFor({ timeout: 20_000 });
    await a.page.getByLabel('Verification code').fill(wrong);
    await a.page.getByRole('button', { name: 'Approve' }).click();
    await a.page
      .getByRole('alert')
      .filter({ hasText: 'The code did not match. Start again on the new device' })
      .waitFor({ timeout: 20_000 });
    await w.page
      .getByRole('alert')
      .filter({ hasText: 'The code did not match. Start again on the new device' })
      .waitFor({ timeout: 20_000 });
    await w.page.getByRole('button', { name: 'Sign in again for a new code' }).waitFor();
    await w.context.close();

    // A request to join that is not the user's: removed from A; that browser is told.
    const stranger = await signIn();
    const notMine = a.page.getByRole('button', { name: /^Remove .*, not my device$/ });
    await expect.poll(() => notMine.count(), { timeout: 20_000 }).toBe(2);
    for (let left = 2; left > 0; left--) {
      await notMine.first().click();
      await expect.poll(() => notMine.count(), { timeout: 20_000 }).toBe(left - 1);
    }
    await a.page.getByRole('status').filter({ hasText: 'was removed; it can no longer reach' }).waitFor();
    await stranger.page
      .getByRole('alert')
      .filter({ hasText: 'This request to join was removed by one of your trusted devices' })
      .waitFor({ timeout: 20_000 });
    await stranger.context.close();

    // Another trusted browser, then A changes the password: that browser is signed out.
    const other = await signIn();
    await other.page.getByRole('button', { name: 'Keychain PIN' }).click();
    await other.page.getByLabel('Keychain PIN').fill(PIN);
    await other.page.getByRole('button', { name: 'Use PIN' }).click();
    await other.page.locator('.row').first().waitFor({ timeout: 20_000 });
    const NEW_PASSWORD = 'a brand new passphrase 42';
    await a.page.getByLabel('Current password').fill('not the password at all');
    await a.page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await a.page.getByLabel('New password again').fill(NEW_PASSWORD);
    await a.page.getByRole('button', { name: 'Change password' }).click();
    await a.page
      .getByRole('alert')
      .filter({ hasText: 'The current password is wrong; the password was not changed.' })
      .waitFor({ timeout: 20_000 });
    await a.page.getByLabel('Current password').fill(PASSWORD);
    await a.page.getByRole('button', { name: 'Change password' }).click();
    await a.page
      .getByRole('status')
      .filter({ hasText: 'The password is changed.' })
      .waitFor({ timeout: 20_000 });

    await other.page.goto('/#/backup');
    await other.page.getByRole('heading', { name: 'Sign in again' }).waitFor({ timeout: 20_000 });
    const again = other.page.getByRole('region', { name: 'Sign in again' });
    await again.getByLabel('Account password').fill(PASSWORD);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.page
      .getByRole('alert')
      .filter({ hasText: 'Wrong email or password' })
      .waitFor({ timeout: 20_000 });
    await again.getByLabel('Account password').fill(NEW_PASSWORD);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.page
      .getByRole('heading', { name: 'Sign in again' })
      .waitFor({ state: 'detached', timeout: 20_000 });
    await other.page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 20_000 });
    // Back in sync: an edit on the other browser reaches A.
    await other.page.goto('/#/');
    await other.page.getByRole('button', { name: 'Edit GitHub' }).click();
    await other.page.getByLabel('Issuer').fill('GitHub Enterprise');
    await other.page.getByRole('button', { name: 'Save' }).click();
    await a.page.goto('/#/');
    await expect.poll(() => labels(a.page), { timeout: 20_000 }).toContain('GitHub Enterprise|alice');
    expect(other.errors).toEqual([]);
    await other.context.close();

    // The kill switch: A locks the account; it keeps its codes and signs in again with the password.
    await a.page.goto('/#/backup');
    await a.page.getByRole('button', { name: 'Lock the account' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Lock now' }).click();
    const locked = a.page.getByRole('region', { name: 'Sign in again' });
    await locked.waitFor({ timeout: 20_000 });
    await locked.getByLabel('Account password').fill(NEW_PASSWORD);
    await locked.getByRole('button', { name: 'Sign in', exact: true }).click();
    await locked.waitFor({ state: 'detached', timeout: 20_000 });
    await a.page
      .getByTestId('backup-state')
      .filter({ hasText: 'Everything is backed up' })
      .waitFor({ timeout: 20_000 });
    await a.page
      .getByRole('region', { name: 'Security notices' })
      .getByText('The account was locked')
      .first()
      .waitFor();
    expect(a.errors).toEqual([]);
  });
  it('server down: every screen says so with what waits; the last known devices and PIN stay; it catches up when the server is back', async () => {
    await a.page.goto('/#/backup');
    const state = a.page.getByTestId('backup-state');
    await state.filter({ hasText: 'Everything is backed up' }).waitFor({ timeout: 20_000 });
    const list = a.page.getByRole('region', { name: 'Devices' }).getByRole('listitem');
    // Without "last seen", which moves on with the clock (a minute may pass during the test).
    const devices = {
      allTextContents: async () =>
        (await list.allTextContents()).map((t) =>
          t.replace(/Last seen (just now|\d+ \w+ ago|never|unknown)/, ''),
        ),
    };
    const known = await devices.allTextContents();
    expect(known.length).toBeGreaterThan(1);

    await harness.stopServer();
    await state.filter({ hasText: "Can't reach the keychain server since" }).waitFor({ timeout: 30_000 });
    await addTyped(a.page, { issuer: 'While Away', account: 'w@example.com', secret: 'MFRGGZDFMZTWQ2LK' });
    await a.page.goto('/#/');
    await a.page
      .getByTestId('unreachable-banner')
      .filter({ hasText: '1 change waiting to be backed up' })
      .waitFor({ timeout: 20_000 });
    // Reloaded while the server is away (the app comes from its offline copy): still the last known.
    await a.page.reload();
    await a.page.goto('/#/backup');
    await state.filter({ hasText: "Can't reach the keychain server since" }).waitFor({ timeout: 30_000 });
    await expect.poll(() => devices.allTextContents()).toEqual(known);
    await a.page.getByText('A PIN is set.').waitFor();
    await a.page
      .getByTestId('pin-protection')
      .filter({ hasText: "Held by 1 realm, run by this server's operator." })
      .waitFor();
    await a.page.getByRole('button', { name: 'Back up now' }).click();
    await a.page
      .getByRole('alert')
      .filter({ hasText: 'The keychain server does not answer. 1 change is kept on this device' })
      .waitFor({ timeout: 30_000 });

    await harness.startServerAgain();
    await a.page.getByRole('button', { name: 'Back up now' }).click();
    await state.filter({ hasText: 'Everything is backed up' }).waitFor({ timeout: 30_000 });
    await a.page.getByTestId('unreachable-banner').waitFor({ state: 'detached' });
    expect(a.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });
});
