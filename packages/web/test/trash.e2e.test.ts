/**
 * The trash in the web app: a delete offers Undo in its toast; the Trash page (from Settings) lists
 * deleted entries and restores them; the restored entry shows the same RFC 6238 codes as before.
 */
import { describe, expect, it } from 'vitest';
import { generateCode, normalizeEntry } from '@tessera/otp';
import type { Page } from 'playwright-core';
import {
  addTyped,
  createKeychain,
  signInFromFirstRun,
  startDeviceOnly,
  useHarness,
  visibleCodes,
} from './harness.js';

const ENTRY = { issuer: 'GitHub', account: 'alice@example.com', secret: 'JBSWY3DPEHPK3PXP' };
const KEEP = { issuer: 'Other', account: 'o@example.com', secret: 'JBSWY3DPEHPK3PXQ' };
const PASSWORD = 'correct horse battery staple';

const harness = useHarness();

/** Opens the entry's Edit dialog and deletes it. */
async function deleteEntry(page: Page): Promise<void> {
  await page.goto('/#/');
  await page.getByRole('button', { name: `Edit ${ENTRY.issuer}`, exact: true }).click();
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
}

/** The codes list equals the RFC 6238 codes of `entries` now (polled across a 30-second boundary). */
async function expectCodes(page: Page, entries: (typeof ENTRY)[]): Promise<void> {
  const truth = () =>
    entries
      .map(
        (e) =>
          `${e.issuer}|${e.account}|${generateCode({ entry: normalizeEntry({ type: 'totp', ...e }), time: Date.now() / 1000 })}`,
      )
      .sort();
  await expect
    .poll(async () => ({ shown: await visibleCodes(page), truth: truth() }))
    .toSatisfy(
      ({ shown, truth }: { shown: string[]; truth: string[] }) =>
        JSON.stringify(shown) === JSON.stringify(truth),
    );
}

describe('trash', { timeout: 120_000 }, () => {
  it('deletes, undoes, deletes again, restores from the Trash page with the same codes', async () => {
    const { page, errors } = await harness.device({ viewport: { width: 360, height: 740 } });
    await startDeviceOnly(page);
    await addTyped(page, ENTRY);
    await addTyped(page, KEEP);
    await expectCodes(page, [ENTRY, KEEP]);

    await deleteEntry(page);
    const toast = page.locator('.toast');
    await toast.filter({ hasText: `Deleted ${ENTRY.issuer} (${ENTRY.account})` }).waitFor();
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    await toast.getByRole('button', { name: 'Undo' }).click();
    await toast.filter({ hasText: `Restored ${ENTRY.issuer} (${ENTRY.account})` }).waitFor();
    await expectCodes(page, [ENTRY, KEEP]);

    await deleteEntry(page);
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    await page.goto('/#/settings');
    await page.getByRole('link', { name: 'Open the trash (1)' }).click();
    // Settings has a "Trash" section heading too: wait for the Trash screen's own page heading.
    await page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
    const listed = page.getByTestId('trash-entry');
    await expect.poll(() => listed.count()).toBe(1);
    expect(await listed.textContent()).toContain(ENTRY.issuer);
    await listed.getByRole('button', { name: `Restore ${ENTRY.issuer}` }).click();
    await page.getByText('The trash is empty.').waitFor();
    await expectCodes(page, [ENTRY, KEEP]);

    // Empty trash wipes what is there; the page then says so.
    await deleteEntry(page);
    await page.goto('/#/trash');
    await page.getByRole('button', { name: 'Empty trash…' }).click();
    await page.getByRole('button', { name: 'Empty trash', exact: true }).click();
    await page.getByText('The trash is empty.').waitFor();
    await expectCodes(page, [KEEP]);
    expect(errors).toEqual([]);
  });
});

describe('trash across devices', { timeout: 240_000 }, () => {
  it('a delete on one browser shows in the other’s trash; a restore there brings it back on the first', async () => {
    const a = await harness.device();
    await startDeviceOnly(a.page);
    await addTyped(a.page, ENTRY);
    await addTyped(a.page, KEEP);
    const key = await createKeychain(a.page, { email: 'trash@example.com', password: PASSWORD });
    const b = await harness.device({ viewport: { width: 360, height: 740 } });
    await signInFromFirstRun(b.page, { email: 'trash@example.com', password: PASSWORD });
    await b.page.getByRole('button', { name: 'Recovery key' }).click({ timeout: 90_000 });
    await b.page.getByLabel('Recovery key').fill(key);
    await b.page.getByRole('button', { name: 'Use recovery key' }).click();
    await expectCodes(b.page, [ENTRY, KEEP]);

    // Both stay open: the delete and the restore travel through the live feed, not a reload.
    await deleteEntry(a.page);
    await b.page.goto('/#/trash');
    await b.page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
    const listed = b.page.getByTestId('trash-entry');
    await listed.filter({ hasText: ENTRY.issuer }).waitFor({ timeout: 20_000 });
    await listed.getByRole('button', { name: `Restore ${ENTRY.issuer}` }).click();
    await b.page.getByText('The trash is empty.').waitFor();
    await expectCodes(a.page, [ENTRY, KEEP]);
    await expectCodes(b.page, [ENTRY, KEEP]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
