/**
 * The extension with escrow realms (PROTOCOL §11) at origins other than the keychain server's: the
 * PIN is set in the web app with three realms 2-of-3, and the extension restores with it. It asks
 * the browser for the realms' origins at that moment, from the click, and for no other host.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealm, type RunningRealm } from '@tessera/server';
import {
  addTyped,
  createKeychain,
  startDeviceOnly,
  startHarness,
  type Harness,
} from '../../web/test/harness.js';
import {
  launchWithExtension,
  recordPermissionRequests,
  signInFromPopup,
  type ExtensionBrowser,
} from './harness.js';

const ACCOUNT = { email: 'realms-ext@example.com', password: 'a long enough account password' };
const PIN = '48213957';

let harness: Harness;
let browser: ExtensionBrowser;
let realms: RunningRealm[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'tessera-ext-realms-'));

beforeAll(async () => {
  realms = await Promise.all(
    [1, 2, 3].map((i) => startRealm({ dataDir: join(scratch, `realm-${i}`), httpRateLimit: false })),
  );
  harness = await startHarness({
    server: { escrowRealms: { urls: realms.map((r) => r.url), threshold: 2 }, httpRateLimit: false },
  });
  // As after the user said yes to both prompts (a headless browser cannot show them); what the
  // extension asks for is recorded below.
  browser = await launchWithExtension({
    grantedOrigins: [harness.url, ...realms.map((r) => r.url)].map((url) => `${new URL(url).origin}/*`),
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await Promise.all(realms.map((r) => r.close()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('the extension with escrow realms', { timeout: 180_000 }, () => {
  it('restores with the PIN, asking for the realms’ origins only when the PIN is used', async () => {
    const web = await harness.device();
    await startDeviceOnly(web.page);
    await addTyped(web.page, { issuer: 'Realm Bank', account: 'alice', secret: 'JBSWY3DPEHPK3PXP' });
    await createKeychain(web.page, ACCOUNT);
    await web.page.goto('/#/backup');
    await web.page.getByLabel('PIN', { exact: true }).fill(PIN);
    await web.page.getByLabel('PIN again').fill(PIN);
    await web.page.getByRole('button', { name: 'Set PIN' }).click();
    await web.page.getByRole('status').filter({ hasText: 'The PIN is set.' }).waitFor({ timeout: 30_000 });

    // Every permission request the popup makes, in order (the real API still answers).
    const askedBy = await recordPermissionRequests(browser);
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.id}/popup.html`);
    const asked = () => askedBy(popup);
    await signInFromPopup(popup, { server: harness.url, ...ACCOUNT });
    await popup.getByTestId('verification-code').waitFor();
    expect(await asked()).toEqual([[`${harness.url}/*`]]);

    await popup.getByRole('button', { name: 'Keychain PIN' }).click();
    await popup.getByLabel('Keychain PIN').fill(PIN);
    await popup.getByRole('button', { name: 'Use PIN' }).click();
    await popup.getByRole('list', { name: 'All codes' }).getByText('Realm Bank').waitFor({ timeout: 30_000 });
    expect(await asked()).toEqual([[`${harness.url}/*`], realms.map((r) => `${r.url}/*`).sort()]);
  });
});
