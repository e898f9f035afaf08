/**
 * Backup files in Chromium: a folder picked through the File System Access API receives a Tessera
 * backup after changes, at most hourly, keeping the newest N (other files untouched); the file imports
 * back with its password. Without a folder, a reminder shows once the last backup file is 30 days old.
 * The browser's folder dialog is the one part replaced: it returns a folder of the page's origin
 * private file system, which has the same handle API. Time is Playwright's fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { importFiles } from '@tessera/formats';
import { addTyped, startDeviceOnly, useHarness } from './harness.js';

const PASSWORD = 'backup files password 7';
const T0 = Date.parse('2026-12-05T10:00:00Z');
const ENTRY = (n: number) => ({
  issuer: `Service ${n}`,
  account: `user${n}@example.com`,
  secret: 'JBSWY3DPEHPK3PXP',
});

const harness = useHarness();

/** Names in the picked folder, sorted, and the newest backup's bytes (base64). */
async function folder(page: Page): Promise<{ names: string[]; newest: string | null }> {
  return page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
    const names: string[] = [];
    for await (const [name] of (dir as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries())
      names.push(name);
    names.sort();
    const backups = names.filter((n) => n.startsWith('tessera-backup-'));
    if (backups.length === 0) return { names, newest: null };
    const file = await (await dir.getFileHandle(backups.at(-1)!)).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return { names, newest: btoa(binary) };
  });
}

const backupsIn = (names: string[]) => names.filter((n) => /^tessera-backup-.*Z\.json$/.test(n));

describe('backup files', { timeout: 120_000 }, () => {
  it('on the first-run screen nothing is stored; the backup state starts once the user chooses', async () => {
    const { context, page, errors } = await harness.device();
    // Every IndexedDB transaction the page opens, as "<mode> <store>" per store it covers.
    await context.addInitScript(() => {
      const log: string[] = [];
      (window as unknown as { idbLog: string[] }).idbLog = log;
      const transaction = IDBDatabase.prototype.transaction;
      IDBDatabase.prototype.transaction = function (
        this: IDBDatabase,
        stores: string | string[],
        mode?: IDBTransactionMode,
        options?: IDBTransactionOptions,
      ) {
        for (const store of typeof stores === 'string' ? [stores] : stores)
          log.push(`${mode ?? 'readonly'} ${store}`);
        return transaction.call(this, stores, mode, options);
      } as typeof transaction;
    });
    const idbLog = () => page.evaluate(() => (window as unknown as { idbLog: string[] }).idbLog.slice());
    const storedVault = () =>
      page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open('tessera');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        const count = await new Promise<number>((resolve) => {
          const request = db.transaction('vault').objectStore('vault').count();
          request.onsuccess = () => resolve(request.result);
        });
        db.close();
        return count;
      });

    await page.goto('/');
    const deviceOnly = page.getByRole('button', { name: /Use on this device only/ });
    await deviceOnly.waitFor();
    // A person reads the first screen before choosing: nothing the app does on its own in that time
    // may store a vault (there is no event for "nothing happened", so this is the person's pause).
    await page.waitForTimeout(2_000);
    expect(await storedVault()).toBe(0);
    const beforeChoice = await idbLog();
    expect(beforeChoice.filter((t) => t === 'readwrite vault' || t.endsWith(' handles'))).toEqual([]);

    await deviceOnly.click();
    // Chosen: the backup machinery starts (it reads the folder handle) and keeps its state in the vault.
    await expect.poll(storedVault).toBe(1);
    const afterChoice = (await idbLog()).slice(beforeChoice.length);
    expect(afterChoice).toContain('readonly handles');
    expect(afterChoice).toContain('readwrite vault');
    await page.goto('/#/backup');
    await page.getByRole('region', { name: 'Backup files' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a picked folder gets a backup after changes, at most hourly, keeping the newest 3; the file restores', async () => {
    const { context, page, errors } = await harness.device();
    await context.addInitScript(() => {
      (window as unknown as { showDirectoryPicker: unknown }).showDirectoryPicker = async () =>
        (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
    });
    await page.clock.install({ time: T0 });
    await startDeviceOnly(page);
    await addTyped(page, ENTRY(1));
    await addTyped(page, ENTRY(2));

    await page.goto('/#/backup');
    const card = page.getByRole('region', { name: 'Backup files' });
    await card.getByLabel('Password for backup files').fill(PASSWORD);
    await card.getByLabel('Confirm the backup file password').fill(PASSWORD);
    await card.getByLabel('Backups to keep in the folder').fill('3');
    await card.getByRole('button', { name: 'Back up to a folder automatically…' }).click();
    await card
      .getByText(
        'Backing up to the folder “picked” after changes, at most once an hour, keeping the newest 3.',
      )
      .waitFor();
    await card.getByTestId('last-backup-file').filter({ hasText: 'tessera-backup-2026-12-05T10-' }).waitFor();
    expect(backupsIn((await folder(page)).names)).toHaveLength(1);
    // A file of the user's own in that folder is never touched.
    await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked');
      const w = await (await dir.getFileHandle('notes.txt', { create: true })).createWritable();
      await w.write('mine');
      await w.close();
    });

    // A change within the hour waits for the hour; then one more file, and the oldest go beyond 3.
    for (let n = 3; n <= 6; n++) {
      await addTyped(page, ENTRY(n));
      const before = backupsIn((await folder(page)).names);
      expect(before.length).toBe(Math.min(n - 2, 3));
      await page.clock.fastForward('01:00:00');
      // The new file is written before the oldest is deleted (never fewer than N on disk), so this
      // waits for both: a new newest, and no more than 3 once the oldest is gone.
      await expect
        .poll(async () => {
          const after = backupsIn((await folder(page)).names);
          return after.at(-1) !== before.at(-1) && after.length === Math.min(n - 1, 3);
        })
        .toBe(true);
    }
    const { names, newest } = await folder(page);
    expect(names).toContain('notes.txt');
    expect(backupsIn(names)).toHaveLength(3);
    // The newest file is a Tessera backup of all six entries, opened with its password.
    const restored = await importFiles({
      sources: [{ name: backupsIn(names).at(-1)!, bytes: Buffer.from(newest!, 'base64') }],
      password: PASSWORD,
    });
    expect(restored.entries.map((e) => e.issuer).sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `Service ${n}`),
    );
    expect(errors).toEqual([]);
    await context.close();
  });

  it('without a folder, a reminder shows once the last backup file is 30 days old; a download ends it', async () => {
    const { context, page, errors } = await harness.device();
    await context.addInitScript(() => {
      delete (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    });
    await page.clock.install({ time: T0 });
    await startDeviceOnly(page);
    await addTyped(page, ENTRY(1));
    await page.goto('/#/backup');
    const card = page.getByRole('region', { name: 'Backup files' });
    expect(await card.getByRole('button', { name: /folder/ }).count()).toBe(0);
    await card.getByLabel('Password for backup files').fill(PASSWORD);
    await card.getByLabel('Confirm the backup file password').fill(PASSWORD);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: 'Download a backup file' }).click(),
    ]);
    // The fake clock runs on from T0 while the page works.
    const name = download.suggestedFilename();
    expect(name).toMatch(/^tessera-backup-2026-12-05T10-0\d-\d{2}Z\.json$/);
    await card.getByTestId('last-backup-file').filter({ hasText: name }).waitFor();
    await page.close();

    // 29 days later: no reminder; 31 days later: the reminder, on the codes screen.
    for (const [days, shown] of [
      [29, false],
      [31, true],
    ] as const) {
      const later = await context.newPage();
      await later.clock.install({ time: T0 + days * 86_400_000 });
      await later.goto('/#/');
      await later.locator('.row').first().waitFor();
      const reminder = later.getByTestId('backup-reminder');
      if (shown) await reminder.filter({ hasText: 'Your last backup file is from' }).waitFor();
      else expect(await reminder.count()).toBe(0);
      if (!shown) {
        await later.close();
        continue;
      }
      await reminder.getByRole('link', { name: 'Download a backup file' }).click();
      const again = later.getByRole('region', { name: 'Backup files' });
      await again.getByLabel('Password for backup files').fill(PASSWORD);
      await again.getByLabel('Confirm the backup file password').fill(PASSWORD);
      await Promise.all([
        later.waitForEvent('download'),
        again.getByRole('button', { name: 'Download a backup file' }).click(),
      ]);
      await reminder.waitFor({ state: 'detached' });
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
