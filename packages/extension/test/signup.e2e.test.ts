/**
 * Creating a keychain from the popup, with the form the web app uses (`KeychainStart`): the same
 * checks, the recovery key shown once (and on a printable sheet), a popup closed while the key
 * was shown finds the same key again, and the key then restores the popup's codes on a CLI device,
 * with the site a first fill bound (synced with the entry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness } from '../../web/test/harness.js';
import { PASSWORD, Workspace } from '../../cli/test/keychain-harness.js';
import { confirmRecoveryKey, SHOP, type ExtensionBrowser } from './harness.js';
import { startKeychainSetup, type KeychainSetup } from './keychain-setup.js';

const EMAIL = 'popup-signup@example.com';
const PIN = '48213957';

let setup: KeychainSetup;
let harness: Harness;
let browser: ExtensionBrowser;
let workspace: Workspace;
let site: KeychainSetup['site'];

beforeAll(async () => {
  ({ harness, browser, site, workspace } = setup = await startKeychainSetup());
}, 400_000);

afterAll(() => setup?.close());

describe('creating a keychain from the popup', { timeout: 180_000 }, () => {
  it('checks the form as the web app does, shows the recovery key once, keeps it across a closed popup, and the key restores the codes', async () => {
    const popupUrl = `chrome-extension://${browser.id}/popup.html`;
    let popup = await browser.context.newPage();
    await popup.goto(popupUrl);
    await popup.getByText('Add a code').click();
    await popup.getByLabel('Link (otpauth://) or secret').fill('JBSWY3DPEHPK3PXP');
    await popup.getByLabel('Issuer').fill('Popup Bank');
    await popup.getByLabel('Account', { exact: true }).fill('alice');
    await popup.getByRole('button', { name: 'Add', exact: true }).click();
    await popup.getByRole('status').filter({ hasText: 'Added Popup Bank (alice)' }).waitFor();

    await popup.getByText('Turn on keychain backup').click();
    await popup.getByRole('heading', { name: 'Create your keychain' }).waitFor();
    const create = popup.getByRole('button', { name: 'Create keychain' });
    const server = popup.getByLabel('Keychain server');
    await server.fill('ftp://keys.example.org');
    await popup.getByText('The server address must start with https:// (got ftp:).').waitFor();
    await server.fill(harness.url);
    await popup.getByLabel('Email').fill(EMAIL);
    await popup.getByLabel('Account password').fill('short');
    await popup.getByText('Use at least 10 characters.').waitFor();
    await popup.getByLabel('Account password').fill(PASSWORD);
    await popup.getByLabel('Password again').fill(`${PASSWORD}!`);
    await popup.getByText('The two passwords differ.').waitFor();
    expect(await create.isDisabled()).toBe(true);
    await popup.getByLabel('Password again').fill(PASSWORD);
    await popup.getByLabel('Keychain PIN (optional)').fill(PIN);
    await create.click();

    const key = (await popup.getByTestId('recovery-key').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    // The printable sheet carries the key and its QR code (printing is enabled once it is drawn).
    await expect.poll(() => popup.getByRole('button', { name: 'Print key sheet' }).isEnabled()).toBe(true);
    expect(await popup.getByTestId('print-sheet').textContent()).toContain(key);
    expect(await popup.getByTestId('print-sheet').locator('img').count()).toBe(1);

    // A popup closes as soon as it loses focus: the sign-up waits with the same key.
    await popup.close();
    popup = await browser.context.newPage();
    await popup.goto(popupUrl);
    await popup.getByRole('heading', { name: 'Finish creating your keychain' }).waitFor();
    await popup.getByLabel('Account password').fill(PASSWORD);
    await popup.getByLabel('Repeat the password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Continue' }).click();
    expect((await popup.getByTestId('recovery-key').textContent())!.trim()).toBe(key);
    await confirmRecoveryKey(popup, key);
    await popup.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor({ timeout: 60_000 });
    expect(await popup.getByTestId('keychain-state').textContent()).toContain(EMAIL);

    // The key written down in the popup brings its codes to a new device.
    const cli = workspace.device();
    await cli.ok([
      'keychain',
      'recover',
      '--server',
      harness.url,
      '--email',
      EMAIL,
      '--recovery-key-file',
      workspace.file('recovery-key.txt', key),
      '--device-name',
      'Laptop CLI',
    ]);
    // Then a first fill on another site binds the entry to it. The background makes that edit; the
    // open popup pushes it at once (nothing else happens on the keychain to start a round).
    const shop = await browser.context.newPage();
    await shop.goto(`http://${SHOP}:${site.port}/2fa`);
    const onShop = await browser.popup(shop);
    // This popup's own first round is over: it is following the feed.
    await onShop.getByTestId('keychain-state').filter({ hasText: 'Synced' }).waitFor({ timeout: 60_000 });
    await onShop.getByRole('button', { name: 'Use Popup Bank (alice) here' }).click();
    await onShop
      .getByRole('status')
      .filter({ hasText: `Filled Popup Bank (alice) on ${SHOP}` })
      .waitFor();

    const sitesOf = async () => {
      await cli.ok(['sync']);
      const entries = JSON.parse(await cli.ok(['list', '--json'])) as { issuer: string; sites: string[] }[];
      return entries.map((e) => `${e.issuer}: ${e.sites.join(' ')}`);
    };
    await expect.poll(sitesOf, { timeout: 30_000 }).toEqual([`Popup Bank: ${SHOP}`]);
  });
});
