/**
 * The web app on one device without a keychain: first run, adding in every way, copying, search,
 * tags and pins, import and export, the app lock, the unsupported-browser page, accessibility.
 */
import { describe, expect, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import { exportEntries } from '@tessera/formats';
import { normalizeEntry, totp } from '@tessera/otp';
import initSqlJs from 'sql.js';
import { addTyped, startDeviceOnly, useHarness, visibleCodes } from './harness.js';

const harness = useHarness();

/** The current and previous TOTP codes of a secret: a row read at a step boundary shows one of them. */
function likelyCodes(secret: string): string[] {
  const now = Math.floor(Date.now() / 1000);
  return [totp({ secret, time: now }), totp({ secret, time: now - 30 })];
}

// Generous timeout: CI runs every package's tests at once on two cores.
describe('web app on this device only', { timeout: 90_000 }, () => {
  it('adds by typing (validated as you type) and by link, copies on Enter, searches, pins and keeps entries across reloads', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await page.getByRole('heading', { name: 'No codes yet' }).waitFor();

    await page.goto('/#/add');
    await page.getByRole('button', { name: 'Type it in' }).click();
    await page.getByLabel('Issuer', { exact: true }).fill('Bank');
    await page.getByLabel('Secret key').fill('not base32!');
    const secretError = page.locator('#f-secret-error');
    await secretError.waitFor();
    expect(await secretError.textContent()).toMatch(/^Secret key: /);
    expect(await page.getByRole('button', { name: 'Add', exact: true }).isDisabled()).toBe(true);
    await page.getByLabel('Secret key').fill('JBSWY3DPEHPK3PXP');
    await secretError.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Added Bank' }).waitFor();

    await page.getByRole('button', { name: 'Link' }).click();
    await page
      .getByLabel(/Setup link/)
      .fill('otpauth://totp/Forge:bob@example.com?secret=GEZDGNBVGY3TQOJQ&issuer=Forge&digits=8');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Added Forge' }).waitFor();

    await addTyped(page, { issuer: 'Mail', account: 'carol@example.com', secret: 'KRSXG5CTMVRXEZLU' });
    const rows = await visibleCodes(page);
    expect(rows.map((r) => r.split('|').slice(0, 2).join('|'))).toEqual([
      'Bank|',
      'Forge|bob@example.com',
      'Mail|carol@example.com',
    ]);
    const forge = rows.find((r) => r.startsWith('Forge'))!.split('|')[2]!;
    expect(forge).toHaveLength(8);
    const forgeExpected = [0, 30].map((back) =>
      totp({ secret: 'GEZDGNBVGY3TQOJQ', digits: 8, time: Math.floor(Date.now() / 1000) - back }),
    );
    expect(forgeExpected).toContain(forge);

    // Enter on a focused row copies its code and says so.
    const mailRow = page.getByRole('button', { name: /^Mail, carol@example.com: / });
    await mailRow.focus();
    await page.keyboard.press('Enter');
    await page.locator('.row', { hasText: 'Mail' }).getByText('Copied').waitFor();
    expect(likelyCodes('KRSXG5CTMVRXEZLU')).toContain(
      await page.evaluate(() => navigator.clipboard.readText()),
    );

    // Search narrows the list; tags and pins from the edit dialog.
    await page.getByLabel('Search codes').fill('forge');
    expect(await page.locator('.row').count()).toBe(1);
    await page.getByLabel('Search codes').fill('');
    await page.getByRole('button', { name: 'Edit Mail' }).click();
    await page.getByLabel(/^Tags/).fill('work, email');
    await page.getByLabel('Pin to the top').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.reload();
    await page.locator('.row').first().waitFor();
    expect(await page.locator('.row .issuer').first().textContent()).toContain('Mail');
    await page.getByRole('button', { name: 'work', exact: true }).click();
    expect(await page.locator('.row').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('puts Import and export within reach: in the menu, in Settings and on the Backup page', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    const filesPage = page.getByRole('heading', { level: 1, name: 'Import and export' });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import/export' }).click();
    await filesPage.waitFor();
    await page.goto('/#/settings');
    await page.getByRole('link', { name: 'Open Import and export' }).click();
    await filesPage.waitFor();
    await page.goto('/#/backup');
    await page.getByRole('link', { name: 'Import and export', exact: true }).click();
    await filesPage.waitFor();
    expect(errors).toEqual([]);
  });

  it('shows collapsible sections as collapsible: a chevron that turns when the section opens', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await page.goto('/#/files');
    const summary = page.locator('summary', { hasText: 'Supported apps and files' });
    const chevron = () =>
      summary.evaluate((el) => {
        const style = getComputedStyle(el, '::before');
        return { content: style.content, width: style.width, transform: style.transform };
      });
    const closed = await chevron();
    expect(closed.content).not.toBe('none');
    expect(parseFloat(closed.width)).toBeGreaterThan(0);
    await summary.click();
    await expect.poll(async () => (await chevron()).transform).not.toBe(closed.transform);
    expect(
      await page.locator('details', { has: summary }).evaluate((d) => (d as HTMLDetailsElement).open),
    ).toBe(true);
    expect(errors).toEqual([]);
  });

  it('imports a file, asks for the password of an encrypted one, and exports', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await page.goto('/#/files');
    const list =
      'otpauth://totp/Alpha:a@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Alpha\notpauth://hotp/Beta:b@example.com?secret=GEZDGNBVGY3TQOJQ&issuer=Beta&counter=5\n';
    await page
      .getByLabel(/^Export file/)
      .setInputFiles({ name: 'codes.txt', mimeType: 'text/plain', buffer: Buffer.from(list) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 2 codes' }).waitFor();

    const backup = await exportEntries({
      entries: [normalizeEntry({ issuer: 'Gamma', account: 'g@example.com', secret: 'KRSXG5CTMVRXEZLU' })],
      format: 'tessera',
      password: 'correct horse battery',
    });
    const file = backup.files[0]!;
    await page
      .getByLabel(/^Export file/)
      .setInputFiles({ name: file.name, mimeType: file.mime, buffer: Buffer.from(file.bytes) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByLabel(/^Password of the file/).fill('wrong password');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'does not open the file, or the file was altered' })
      .waitFor();
    await page.getByLabel(/^Password of the file/).fill('correct horse battery');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 1 code' }).waitFor();

    // A SQLite export (Google Authenticator's database) goes through sql.js's self-hosted WebAssembly.
    const SQL = await initSqlJs();
    const database = new SQL.Database();
    database.run(
      'CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0, issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL)',
    );
    database.run(
      "INSERT INTO accounts (email, secret, counter, type, issuer) VALUES ('Delta:d@example.com', 'MFRGGZDFMZTWQ2LK', 0, 0, 'Delta')",
    );
    const sqlite = Buffer.from(database.export());
    database.close();
    await page
      .getByLabel(/^Export file/)
      .setInputFiles({ name: 'databases', mimeType: 'application/octet-stream', buffer: sqlite });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Imported 1 code from Google Authenticator database (Android)' })
      .waitFor();

    // HOTP codes are made on demand; the counter advances.
    await page.goto('/#/');
    await page.getByRole('button', { name: /^Beta, b@example.com: counter code/ }).click();
    await page.locator('.row', { hasText: 'Beta' }).getByText('Copied').waitFor();
    const hotp = await page.evaluate(() => navigator.clipboard.readText());
    expect(hotp).toMatch(/^\d{6}$/);

    await page.goto('/#/files');
    await page.getByLabel('Format', { exact: true }).selectOption('otpauth');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Export 4 codes/ }).click(),
    ]);
    const text = await (await download.createReadStream()).toArray();
    const exported = Buffer.concat(text).toString('utf8');
    expect(exported).toMatch(/otpauth:\/\/totp\/Alpha:a(@|%40)example.com\?/);
    expect(exported).toContain('issuer=Gamma');
    expect(exported).toContain('issuer=Delta');
    expect(exported).toMatch(/otpauth:\/\/hotp\/Beta:b(@|%40)example.com\?[^\n]*counter=6/);
    expect(errors).toEqual([]);
  });

  it('exports to every format, and reads its encrypted Aegis and Google QR exports back', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Round', account: 'trip@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await page.goto('/#/files');
    const exported = new Map<string, { name: string; bytes: Buffer }[]>();
    for (const choice of ['tessera', 'aegis-encrypted', 'aegis', 'otpauth', 'google-qr', 'html']) {
      await page.getByLabel('Format', { exact: true }).selectOption(choice);
      if (await page.getByLabel('Password for the file').isVisible()) {
        await page.getByLabel('Password for the file').fill('export password');
        await page.getByLabel('Same password again').fill('export password');
      }
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: /^Export 1 code/ }).click(),
      ]);
      const bytes = Buffer.concat(await (await download.createReadStream()).toArray());
      exported.set(choice, [{ name: download.suggestedFilename(), bytes }]);
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    }
    expect(exported.get('html')![0]!.bytes.toString('utf8')).toContain('Round');
    expect(exported.get('aegis-encrypted')![0]!.bytes.toString('utf8')).not.toContain('JBSWY3DPEHPK3PXP');
    expect(exported.get('google-qr')![0]!.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');

    for (const choice of ['aegis-encrypted', 'google-qr']) {
      const { page: fresh } = await harness.device();
      await startDeviceOnly(fresh);
      await fresh.goto('/#/files');
      const file = exported.get(choice)![0]!;
      await fresh
        .getByLabel(/^Export file/)
        .setInputFiles({ name: file.name, mimeType: 'application/octet-stream', buffer: file.bytes });
      await fresh.getByRole('button', { name: 'Import', exact: true }).click();
      if (choice === 'aegis-encrypted') {
        await fresh.getByLabel(/^Password of the file/).fill('export password');
        await fresh.getByRole('button', { name: 'Import', exact: true }).click();
      }
      await fresh.getByRole('status').filter({ hasText: 'Imported 1 code' }).waitFor();
      await fresh.goto('/#/');
      await fresh.locator('.row', { hasText: 'Round' }).waitFor();
    }
    expect(errors).toEqual([]);
  });

  it('locks with a passphrase, refuses a wrong one, and opens with the right one', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Locked', account: 'l@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await page.goto('/#/settings');
    await page.getByLabel('Passphrase', { exact: true }).fill('a long passphrase');
    await page.getByLabel('Passphrase again').fill('a long passphrase');
    await page.getByRole('button', { name: 'Turn on app lock' }).click();
    await page.getByRole('status').filter({ hasText: 'The app lock is on.' }).waitFor();

    await page.goto('/');
    await page.reload();
    await page.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
    expect(await page.locator('.row').count()).toBe(0);
    await page.getByLabel('Passphrase').fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not open' }).waitFor();
    await page.getByLabel('Passphrase').fill('a long passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('.row', { hasText: 'Locked' }).waitFor();

    // Nothing readable stays in IndexedDB: the vault bytes hold no issuer, and no browser-held key.
    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('tessera');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const get = (store: string, key: string) =>
        new Promise<unknown>((resolve) => {
          const request = db.transaction(store).objectStore(store).get(key);
          request.onsuccess = () => resolve(request.result);
        });
      const vault = (await get('vault', 'main')) as Uint8Array;
      return { text: new TextDecoder().decode(vault), browserKey: (await get('keys', 'vault-key')) ?? null };
    });
    expect(stored.text).toContain('"custody":"passphrase"');
    expect(stored.text).not.toContain('Locked');
    expect(stored.browserKey).toBeNull();
    expect(errors).toEqual([]);
  });

  it('keeps two tabs of the same browser in step', async () => {
    const { context, page, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'First', account: 'one@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    const other = await context.newPage();
    await other.goto('/');
    await other.locator('.row', { hasText: 'First' }).waitFor();
    await addTyped(page, { issuer: 'Second', account: 'two@example.com', secret: 'GEZDGNBVGY3TQOJQ' });
    await other.locator('.row', { hasText: 'Second' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('stores entries in a browser without the Web Locks API', async () => {
    const { context, page, errors } = await harness.device();
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
    });
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Lockless', account: 'l@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    await addTyped(page, { issuer: 'Lockless Two', account: 'l2@example.com', secret: 'GEZDGNBVGY3TQOJQ' });
    await page.goto('/#/');
    await page.reload();
    await page.locator('.row', { hasText: 'Lockless Two' }).waitFor();
    expect(await page.evaluate(() => navigator.locks)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('explains in plain words when the browser lacks what Tessera needs', async () => {
    const { context, page } = await harness.device();
    await context.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
    });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Tessera can’t run in this browser' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('storage for sites (IndexedDB)');
  });

  it('has no serious or critical accessibility violations on the main screens, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await harness.device({ colorScheme, viewport: { width: 360, height: 740 } });
      await startDeviceOnly(page);
      await addTyped(page, { issuer: 'Example', account: 'a11y@example.com', secret: 'JBSWY3DPEHPK3PXP' });
      for (const route of ['/#/', '/#/add', '/#/files', '/#/backup', '/#/settings']) {
        await page.goto(route);
        await page.locator('main h1, main h2').first().waitFor();
        const result = await new AxeBuilder({ page }).analyze();
        const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(
          serious.map(
            (v) => `${colorScheme} ${route}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          ),
        ).toEqual([]);
      }
    }
  }, 240_000); // ten axe scans; a busy 2-core machine needs far more than the file's 90 s
});
