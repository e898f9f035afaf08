/**
 * The web app with escrow realms (issue 12, PROTOCOL §11): a keychain server naming three realms
 * 2-of-3; the browser sets the PIN (talking to the realms directly, allowed by the CSP), the Backup
 * page says what holds it, and a new browser restores every code with the PIN while one realm is down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealm, type RunningRealm } from '@tessera/server';
import { addTyped, createKeychain, signInFromFirstRun, useHarness, visibleCodes } from './harness.js';

const EMAIL = 'realms-web@example.com';
const PASSWORD = 'a long enough account password';
const PIN = '48213957';

let realms: RunningRealm[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'tessera-web-realms-'));

// Registered before the harness, so the realms start before the server that names them and close
// after it.
beforeAll(async () => {
  realms = await Promise.all(
    [1, 2, 3].map((i) => startRealm({ dataDir: join(scratch, `realm-${i}`), httpRateLimit: false })),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(realms.map((r) => r.close()));
  rmSync(scratch, { recursive: true, force: true });
});
const harness = useHarness({
  server: () => ({ escrowRealms: { urls: realms.map((r) => r.url), threshold: 2 }, httpRateLimit: false }),
});

describe('web app with escrow realms', { timeout: 120_000 }, () => {
  it('sets the PIN at 2 of 3 realms, says so, restores with one realm down; a device renamed shows everywhere', async () => {
    const a = await harness.device();
    await a.page.goto('/');
    await a.page.getByRole('button', { name: /Use on this device only/ }).click();
    await addTyped(a.page, { issuer: 'Realm Bank', account: 'r@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await addTyped(a.page, { issuer: 'Realm Mail', account: 'm@example.com', secret: 'MFRGGZDFMZTWQ2LK' });
    await createKeychain(a.page, { email: EMAIL, password: PASSWORD });
    await a.page.goto('/#/backup');
    await a.page.getByLabel('PIN', { exact: true }).fill(PIN);
    await a.page.getByLabel('PIN again').fill(PIN);
    await a.page.getByRole('button', { name: 'Set PIN' }).click();
    await a.page.getByRole('status').filter({ hasText: 'The PIN is set.' }).waitFor({ timeout: 30_000 });
    const hosts = realms.map((r) => new URL(r.url).host).join(', ');
    await a.page
      .getByTestId('pin-protection')
      .filter({ hasText: `Held by 2 of 3 realms: ${hosts}.` })
      .waitFor();
    // Rows as issuer|account (codes move on with the clock between the two reads).
    const labels = async (page: typeof a.page) =>
      (await visibleCodes(page)).map((r) => r.split('|').slice(0, 2).join('|'));
    const rows = await labels(a.page);
    expect(rows).toHaveLength(2);

    await realms[1]!.close();
    const b = await harness.device();
    await signInFromFirstRun(b.page, { email: EMAIL, password: PASSWORD });
    await b.page.getByRole('heading', { name: 'Bring your codes to this device' }).waitFor();
    await b.page.getByRole('button', { name: 'Keychain PIN' }).click();
    await b.page.getByLabel('Keychain PIN').fill(PIN);
    await b.page.getByRole('button', { name: 'Use PIN' }).click();
    await b.page.locator('.row').first().waitFor({ timeout: 30_000 });
    expect(await labels(b.page)).toEqual(rows);

    // Two browsers of one kind get names apart (a short suffix); renamed from the first browser, the
    // second shows its new name (a signed circle link).
    await b.page.goto('/#/backup');
    const bName = (await b.page.locator('li', { hasText: 'this device' }).locator('strong').textContent())!;
    await a.page.goto('/#/backup');
    await a.page.getByRole('button', { name: `Rename ${bName}` }).click();
    await a.page.getByLabel('New name').fill('Kitchen tablet');
    await a.page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await a.page.getByRole('button', { name: 'Rename Kitchen tablet' }).waitFor();
    await b.page.reload();
    await b.page.locator('li', { hasText: 'this device' }).filter({ hasText: 'Kitchen tablet' }).waitFor();
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
