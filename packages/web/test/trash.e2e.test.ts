/**
 * The trash in the web app: a delete offers Undo in its toast; the Trash page (from Settings) lists
 * deleted entries and restores them; the restored entry shows the same RFC 6238 codes as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCode, normalizeEntry } from '@tessera/otp';
import type { Page } from 'playwright-core';
import { addTyped, startDeviceOnly, startHarness, visibleCodes, type Harness } from './harness.js';

const ENTRY = { issuer: 'GitHub', account: 'alice@example.com', secret: 'JBSWY3DPEHPK3PXP' };
const KEEP = { issuer: 'Other', account: 'o@example.com', secret: 'JBSWY3DPEHPK3PXQ' };

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
}, 120_000);
afterAll(async () => {
  await harness?.close();
});

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
