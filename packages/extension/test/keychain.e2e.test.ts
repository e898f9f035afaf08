/**
 * The extension as a keychain device, against the real keychain server: an account made in the web
 * app, the extension joined by approval from the web app (the code the popup shows), and an entry
 * added with the CLI reaching the open popup through the live feed, with the notice of its sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTyped,
  createKeychain,
  signInFromFirstRun,
  startDeviceOnly,
  type Harness,
} from '../../web/test/harness.js';
import { PASSWORD, Workspace } from '../../cli/test/keychain-harness.js';
import {
  clickFillButton,
  confirmRecoveryKey,
  codeLabels as labels,
  popupTiles,
  REAL,
  signInFromPopup,
  type ExtensionBrowser,
} from './harness.js';
import { startKeychainSetup, type KeychainSetup } from './keychain-setup.js';
import { SYNC_ALARM, type SyncStatus } from '../src/sync-status.js';

const EMAIL = 'alice@example.com';
/** The account made in the web app; the CLI device signs in with it (`TESSERA_PASSWORD`). */
const ACCOUNT = { email: EMAIL, password: PASSWORD };
const PIN = '48213957';

let setup: KeychainSetup;
let harness: Harness;
let browser: ExtensionBrowser;
let site: KeychainSetup['site'];
let workspace: Workspace;
/** The CLI device of the first test, trusted by its recovery key. */
let cli: ReturnType<Workspace['device']>;

beforeAll(async () => {
  ({ harness, browser, site, workspace } = setup = await startKeychainSetup());
}, 240_000);

afterAll(() => setup?.close());

describe('the extension as a keychain device', { timeout: 180_000 }, () => {
  it('joins by approval from the web app, shows the codes, and follows an entry the CLI adds', async () => {
    const web = await harness.device();
    await startDeviceOnly(web.page);
    await addTyped(web.page, { issuer: 'Bank', account: 'alice', secret: 'JBSWY3DPEHPK3PXP' });
    const recoveryKey = await createKeychain(web.page, ACCOUNT);

    const tab = await browser.context.newPage();
    await tab.goto(`http://${REAL}:${site.port}/`);
    const popup = await browser.popup(tab);
    await signInFromPopup(popup, { server: harness.url, ...ACCOUNT });

    const code = (await popup.getByTestId('verification-code').textContent())!.trim();
    expect(code).toMatch(/^\d{4}-\d{4}$/);
    // Host access: the content script's match patterns, and the keychain server's origin alone.
    const origins = await browser.worker.evaluate(async () => (await chrome.permissions.getAll()).origins);
    expect(origins?.sort()).toEqual([`${harness.url}/*`, 'http://*/*', 'https://*/*'].sort());

    await web.page.goto('/#/backup');
    await web.page.getByRole('heading', { name: 'Approve a new device' }).waitFor();
    await web.page.getByLabel('Verification code').fill(code);
    await web.page.getByRole('button', { name: 'Approve' }).click();
    await web.page.getByRole('status').filter({ hasText: 'can now see your codes' }).waitFor();

    await popup.getByRole('list', { name: 'All codes' }).getByText('Bank').waitFor();
    await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor();

    cli = workspace.device();
    const keyFile = workspace.file('recovery-key.txt', recoveryKey);
    await cli.ok([
      'keychain',
      'recover',
      '--server',
      harness.url,
      '--email',
      EMAIL,
      '--recovery-key-file',
      keyFile,
      '--device-name',
      'Laptop CLI',
    ]);
    await cli.ok(['add', '--secret', 'GEZDGNBVGY3TQOJQ', '--issuer', 'Mail', '--account', 'alice']);

    // The popup stays open: the entry arrives through the feed, not a reload.
    await popup.getByRole('list', { name: 'All codes' }).getByText('Mail').waitFor();
    expect(await labels(popup)).toEqual(['Bank (alice)', 'Mail (alice)'].sort());
    // Notices reach it too: the CLI device's sign-in (its join request, its restore by recovery key).
    await popup.getByTestId('keychain-notice').filter({ hasText: 'Laptop CLI' }).waitFor();

    // A binding that arrives through the feed counts on a tab already open on its site, and its
    // deletion uncounts it, with no reload: the popup stores what the feed brings, and the
    // background recounts the open tabs' badges.
    const bank = await browser.context.newPage();
    await bank.goto(`http://${REAL}:${site.port}/2fa`);
    await bank.locator('#otp').click();
    await bank.locator('tessera-fill').waitFor();
    expect(await browser.badge(bank)).toBe('');
    await cli.ok([
      'add',
      '--secret',
      'MFRGGZDFMZTWQ2LK',
      '--issuer',
      'Forum',
      '--account',
      'alice',
      '--site',
      REAL,
    ]);
    await expect.poll(() => browser.badge(bank), { timeout: 20_000 }).toBe('1');
    await cli.ok(['rm', 'Forum', '--yes']);
    await expect.poll(() => browser.badge(bank), { timeout: 20_000 }).toBe('');
    await bank.close();

    // The icon the user picks in the web app (entry.icon, synced) is the one the popup shows.
    await expect
      .poll(() => popupTiles(popup))
      .toEqual({ 'Bank (alice)': 'letter:B', 'Mail (alice)': 'letter:M' });
    await web.page.goto('/#/');
    await web.page.getByRole('button', { name: 'Edit Bank', exact: true }).click();
    await web.page.getByRole('searchbox', { name: 'Search icons' }).fill('gitlab');
    await web.page.getByRole('button', { name: 'Use the GitLab icon' }).click();
    await web.page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => popupTiles(popup))
      .toEqual({ 'Bank (alice)': 'icon:gitlab', 'Mail (alice)': 'letter:M' });
  });

  it('manages devices from the popup: approves a web device by its code, sets the PIN, removes the device', async () => {
    // One popup at a time, as the toolbar's (it closes when the user turns elsewhere): the one left
    // open would hold the follow lock, and a second popup follows only once it has it.
    for (const page of browser.context.pages())
      if (page.url().startsWith('chrome-extension://')) await page.close();
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.id}/popup.html`);
    await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor();

    const b = await harness.device();
    await signInFromFirstRun(b.page, ACCOUNT);
    const code = (await b.page.getByTestId('verification-code').textContent())!.trim();

    // The popup opens its device section by itself when a device asks to join.
    const devices = popup.locator('details.devices');
    await devices.getByRole('heading', { name: 'Approve a new device' }).waitFor();
    await devices.getByLabel('Verification code').fill(code);
    await devices.getByRole('button', { name: 'Approve', exact: true }).click();
    const approved = devices.getByRole('status').filter({ hasText: 'can now see your codes' });
    const name = (await approved.textContent())!.replace(/ can now see your codes\.$/, '');
    await b.page.locator('.row').filter({ hasText: 'Bank' }).first().waitFor();
    await devices
      .locator('li', { hasText: name })
      .getByRole('button', { name: `Rename ${name}` })
      .waitFor();

    await devices.getByLabel('PIN', { exact: true }).fill(PIN);
    await devices.getByLabel('PIN again').fill(PIN);
    await devices.getByRole('button', { name: 'Set PIN' }).click();
    await devices.getByRole('status').filter({ hasText: 'The PIN is set.' }).waitFor({ timeout: 30_000 });

    await devices.locator('li', { hasText: name }).getByRole('button', { name: 'Remove' }).click();
    const dialog = popup.getByRole('dialog');
    await dialog.getByLabel('Keychain PIN (to keep it)').fill(PIN);
    await dialog.getByRole('button', { name: 'Remove device' }).click();
    const key = (await devices.getByTestId('recovery-key').textContent())!.trim();
    await confirmRecoveryKey(devices, key);
    await devices.getByRole('heading', { name: 'Devices' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => devices.locator('li', { hasText: name }).count()).toBe(0);
    await b.context.close();
  });

  it('syncs while the popup is closed: a CLI entry is stored, shown without the server, and filled on its site', async () => {
    for (const page of browser.context.pages())
      if (page.url().startsWith('chrome-extension://')) await page.close();
    // A tab already open on the site, its field reported: the round's entry counts there, no reload.
    // (At an address of its own: the toolbar button below finds its tab by its address.)
    const open = await browser.context.newPage();
    await open.goto(`http://${REAL}:${site.port}/2fa?step=2`);
    await open.locator('#otp').click();
    await open.locator('tessera-fill').waitFor();
    expect(await browser.badge(open)).toBe('');
    const secret = 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT';
    await cli.ok(['add', '--secret', secret, '--issuer', 'Shop', '--account', 'alice', '--site', REAL]);

    // The periodic round's alarm, moved to now (its period is a minute: the test does not wait for it).
    await browser.worker.evaluate(
      (name) => chrome.alarms.create(name, { when: Date.now(), periodInMinutes: 1 }),
      SYNC_ALARM,
    );
    const status = () =>
      browser.worker.evaluate(
        async () =>
          (await chrome.storage.session.get('backgroundSync')).backgroundSync as SyncStatus | undefined,
      );
    await expect.poll(async () => (await status())?.entries, { timeout: 90_000 }).toBe(3);
    expect((await status())?.error).toBeNull();
    await expect.poll(() => browser.badge(open), { timeout: 20_000 }).toBe('1');

    // From here on the keychain server is gone: what follows comes from the extension's own storage.
    await harness.stopServer();
    const tab = await browser.context.newPage();
    await tab.goto(`http://${REAL}:${site.port}/2fa`);
    await expect.poll(() => browser.badge(tab)).toBe('1');
    const before = Math.floor(Date.now() / 1000);
    await clickFillButton(tab);
    await expect.poll(() => tab.locator('#otp').inputValue()).toMatch(/^\d{6}$/);
    const after = Math.floor(Date.now() / 1000);
    const codes = await Promise.all(
      [before, after].map(async (t) =>
        (await cli.ok(['code', '--secret', secret, '--time', String(t)])).trim(),
      ),
    );
    expect(codes).toContain(await tab.locator('#otp').inputValue());

    const popup = await browser.popup(tab);
    await popup
      .getByRole('region', { name: `Codes for ${REAL}` })
      .getByText('Shop (alice)')
      .waitFor();
    expect(await labels(popup)).toEqual(['Bank (alice)', 'Mail (alice)', 'Shop (alice)']);
  });
});
