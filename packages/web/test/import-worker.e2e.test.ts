/**
 * Imports run in a Web Worker with a time budget: a hostile file is refused with a clear message, and
 * a reader that never returns neither freezes the tab nor hangs the import.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

/** A Google Authenticator "database" whose `accounts` is a recursive view that never ends (a few KB). */
function endlessGoogleDatabase(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-hostile-'));
  const file = join(dir, 'databases');
  const db = new Database(file);
  db.exec(
    "CREATE VIEW accounts AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n AS _id, 'a' AS email, 'JBSWY3DPEHPK3PXP' AS secret, 0 AS counter, 0 AS type, n AS ranking FROM r WHERE n < 0",
  );
  db.close();
  const bytes = readFileSync(file);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

/**
 * A browser without the service worker, so a test route can replace the import worker's script
 * (a service worker would answer from its precache instead).
 */
async function device(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await harness.browser.newContext({ serviceWorkers: 'block', baseURL: harness.url });
  const page = await context.newPage();
  await startDeviceOnly(page);
  await page.goto('/#/files');
  return { context, page };
}

async function importFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.getByLabel(/^Export file/).setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
}

describe('imports in a worker', { timeout: 120_000 }, () => {
  it('refuses at once a Google Authenticator file whose accounts is a recursive view (it hung for ever)', async () => {
    const { context, page } = await device();
    await importFile(page, 'databases', endlessGoogleDatabase());
    // A view is no table: the file is not taken for the app's database, so no query ever runs on it.
    await page.getByRole('alert').filter({ hasText: 'databases: not a format Tessera recognises' }).waitFor();
    await context.close();
  });

  it('a reader that never returns leaves the tab responsive and ends with a clear message', async () => {
    const { context, page } = await device();
    // Stand-in for a reader stuck for ever: the worker receives the file and never answers.
    await context.route('**/assets/import-worker*.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: 'self.onmessage = () => { for (;;) {} };' }),
    );
    // The page's time is Playwright's fake clock: the 20-second budget passes when the test says so.
    await page.clock.install();
    await importFile(page, 'codes.txt', Buffer.from('otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP'));
    // While the worker spins, the page still renders frames and answers script: the tab is not frozen.
    const frames = await page.evaluate(
      () =>
        new Promise<number>((resolve) =>
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(2))),
        ),
    );
    expect(frames).toBe(2);
    const tooSlow = page
      .getByRole('alert')
      .filter({ hasText: 'This file took too long to read; it may be damaged or hostile.' });
    // Within the budget the import still waits; past it, it ends with the message.
    await page.clock.fastForward('00:19');
    expect(await tooSlow.count()).toBe(0);
    await page.clock.fastForward('00:02');
    await tooSlow.waitFor();
    await context.close();
  });
});
