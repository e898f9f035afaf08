/**
 * Order and pins in real browsers against the real server (issue 18): two browser contexts of one
 * keychain account, A light at 1280 px and B dark at 360 px. A pin and manual moves (keyboard on A,
 * drag on B) made in one appear in the other; sort by name and by most used is a choice of each
 * device; at 360 px the main navigation is a bottom bar that works; after an add the stale error,
 * tags and link are gone.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  addTyped,
  createKeychain,
  signInFromFirstRun,
  startDeviceOnly,
  useHarness,
  type Device,
} from './harness.js';

const EMAIL = 'order@example.com';
const PASSWORD = 'correct horse battery staple';
const ENTRIES = [
  { issuer: 'Delta', account: 'd', secret: 'JBSWY3DPEHPK3PXP' },
  { issuer: 'alpha', account: 'a', secret: 'GEZDGNBVGY3TQOJQ' },
  { issuer: 'Charlie', account: 'c', secret: 'KRSXG5CTMVRXEZLU' },
  { issuer: 'bravo', account: 'b', secret: 'MFRGGZDFMZTWQ2LK' },
];

const harness = useHarness();
let a: Device;
let b: Device;

/** Issuers in the order shown (pinned ones marked `*`). */
async function order(page: Page): Promise<string[]> {
  return page.locator('.row').evaluateAll((rows) =>
    rows
      .map((row) => ({
        at: Number(row.getAttribute('aria-posinset')),
        name: `${row.querySelector('.pin') ? '*' : ''}${row.querySelector('.issuer')?.textContent?.replace('★', '').trim()}`,
      }))
      .sort((x, y) => x.at - y.at)
      .map((r) => r.name),
  );
}

async function expectOrder(page: Page, expected: string[]): Promise<void> {
  await expect.poll(() => order(page), { timeout: 20_000 }).toEqual(expected);
}

/** The row's copy button (the row itself, to screen readers). */
const rowButton = (page: Page, issuer: string) =>
  page
    .locator('.row')
    .filter({ has: page.locator('.issuer', { hasText: issuer }) })
    .locator('button.copy');

describe('order and pins across two browsers of one account', { timeout: 150_000 }, () => {
  it('a pin and moves (keyboard, drag) in one browser show in the other; sorts are per device', async () => {
    a = await harness.device({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await startDeviceOnly(a.page);
    for (const entry of ENTRIES) await addTyped(a.page, entry);
    const recoveryKey = await createKeychain(a.page, { email: EMAIL, password: PASSWORD });

    b = await harness.device({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    await signInFromFirstRun(b.page, { email: EMAIL, password: PASSWORD });
    await b.page.getByRole('heading', { name: 'Bring your codes to this device' }).waitFor();
    await b.page.getByRole('button', { name: 'Recovery key' }).click();
    await b.page.getByLabel('Recovery key').fill(recoveryKey);
    await b.page.getByRole('button', { name: 'Use recovery key' }).click();
    await expectOrder(b.page, ['Delta', 'alpha', 'Charlie', 'bravo']);

    // A pins Charlie; the dialog and the toast say the pin is for every device.
    await a.page.goto('/#/');
    await a.page.getByRole('button', { name: 'Edit Charlie', exact: true }).click();
    await a.page.getByText('Pinned codes show first, on all your devices.').waitFor();
    await a.page.getByLabel('Pin to the top').check();
    await a.page.getByRole('button', { name: 'Save' }).click();
    await a.page
      .locator('.toast')
      .filter({ hasText: 'Pinned Charlie (c): it shows first on all your devices.' })
      .waitFor();
    await expectOrder(a.page, ['*Charlie', 'Delta', 'alpha', 'bravo']);
    await expectOrder(b.page, ['*Charlie', 'Delta', 'alpha', 'bravo']);

    // A moves bravo up twice with Alt+ArrowUp: announced, the focus stays on bravo, and a third
    // press stops at the pinned group with a word on why.
    const status = a.page.getByTestId('move-status');
    await rowButton(a.page, 'bravo').focus();
    await a.page.keyboard.press('Alt+ArrowUp');
    await status.filter({ hasText: 'Moved bravo to position 3 of 4.' }).waitFor();
    await expectOrder(a.page, ['*Charlie', 'Delta', 'bravo', 'alpha']);
    await expect
      .poll(() => a.page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toMatch(/^bravo, b: /);
    await a.page.keyboard.press('Alt+ArrowUp');
    await status.filter({ hasText: 'Moved bravo to position 2 of 4.' }).waitFor();
    await expectOrder(a.page, ['*Charlie', 'bravo', 'Delta', 'alpha']);
    await a.page.keyboard.press('Alt+ArrowUp');
    await status.filter({ hasText: 'bravo is the first code after the pinned ones' }).waitFor();
    await expectOrder(b.page, ['*Charlie', 'bravo', 'Delta', 'alpha']);

    // B drags Delta by its handle above bravo.
    const from = (await b.page.getByRole('button', { name: 'Move Delta, d' }).boundingBox())!;
    const to = (await b.page.getByRole('button', { name: 'Move bravo, b' }).boundingBox())!;
    await b.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await b.page.mouse.down();
    await b.page.mouse.move(to.x + to.width / 2, to.y + to.height / 2 - 8, { steps: 8 });
    await b.page.mouse.up();
    await b.page.getByTestId('move-status').filter({ hasText: 'Moved Delta to position 2 of 4.' }).waitFor();
    await expectOrder(b.page, ['*Charlie', 'Delta', 'bravo', 'alpha']);
    await expectOrder(a.page, ['*Charlie', 'Delta', 'bravo', 'alpha']);

    // Sort by name on A: pinned still first; B keeps its own (manual) sort.
    await a.page.getByLabel('Sort').selectOption('name');
    await expectOrder(a.page, ['*Charlie', 'alpha', 'bravo', 'Delta']);
    expect(await a.page.getByRole('button', { name: /^Move / }).count()).toBe(0);
    await expectOrder(b.page, ['*Charlie', 'Delta', 'bravo', 'alpha']);

    // Most used on A: bravo copied twice, alpha once; counted on A only.
    for (const issuer of ['bravo', 'bravo', 'alpha']) {
      await rowButton(a.page, issuer).click();
      await a.page
        .locator('.toast')
        .filter({ hasText: `Copied the code for ${issuer}` })
        .waitFor();
    }
    await a.page.getByLabel('Sort').selectOption('used');
    await expect
      .poll(async () => {
        // "Most used" re-sorts when the screen opens, not under the finger: open it again.
        await a.page.goto('/#/settings');
        await a.page.goto('/#/');
        return order(a.page);
      })
      .toEqual(['*Charlie', 'bravo', 'alpha', 'Delta']);
    await b.page.getByLabel('Sort').selectOption('used');
    await expectOrder(b.page, ['*Charlie', 'alpha', 'bravo', 'Delta']);
    await b.page.getByLabel('Sort').selectOption('manual');

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('at 360 px the navigation is a bottom bar that works; at 1280 px it stays on top', async () => {
    const phone = await harness.device({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    const page = phone.page;
    await startDeviceOnly(page);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor();
    const box = (await nav.boundingBox())!;
    expect(box.y + box.height).toBeGreaterThan(740 - 2);
    expect(box.y).toBeGreaterThan(600);
    await nav.getByRole('link', { name: 'Add' }).click();
    await page.getByRole('heading', { name: 'Add a code' }).waitFor();
    // Still at the bottom on a page that scrolls.
    expect((await nav.boundingBox())!.y).toBeGreaterThan(600);
    await nav.getByRole('link', { name: /^Settings/ }).click();
    await expect.poll(() => page.url()).toMatch(/#\/settings$/);
    await nav.getByRole('link', { name: 'Codes' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/$/);

    const desk = await harness.device({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await startDeviceOnly(desk.page);
    const top = desk.page.getByRole('navigation', { name: 'Main' });
    await top.waitFor();
    expect((await top.boundingBox())!.y).toBeLessThan(100);
    expect(phone.errors).toEqual([]);
    expect(desk.errors).toEqual([]);
  });

  it('after an add the stale error, the tags and the link are cleared; options sit above the button', async () => {
    const page = b.page;
    await page.goto('/#/add');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    const link = page.getByLabel(/^Setup link/);
    const tags = page.getByLabel(/^Tags for what you add/);
    const add = page.getByRole('button', { name: 'Add', exact: true });
    expect((await tags.boundingBox())!.y).toBeLessThan((await add.boundingBox())!.y);

    await link.fill('otpauth://totp/Broken?secret=1');
    await add.click();
    await page.getByRole('alert').waitFor();
    await link.fill('');
    expect(await page.getByRole('alert').count()).toBe(0);
    await link.fill('otpauth://totp/Echo:e?secret=NBSWY3DPO5XXE3DE&issuer=Echo');
    await tags.fill('phone, work');
    await page.getByLabel('Keep on this device only (never backed up)').check();
    await add.click();
    await page.getByRole('status').filter({ hasText: 'Added Echo.' }).waitFor();
    expect(await link.inputValue()).toBe('');
    expect(await tags.inputValue()).toBe('');
    expect(await page.getByLabel('Keep on this device only (never backed up)').isChecked()).toBe(false);
    expect(await page.getByRole('alert').count()).toBe(0);

    // The typed form: its options also above its button, and an add leaves it empty.
    await page.getByRole('button', { name: 'Type it in' }).click();
    expect((await tags.boundingBox())!.y).toBeLessThan((await add.boundingBox())!.y);
    await page.getByLabel('Issuer', { exact: true }).fill('Foxtrot');
    await page.getByLabel('Secret key').fill('ONSWG4TFORXW4ZLS');
    await tags.fill('home');
    await add.click();
    await page.getByRole('status').filter({ hasText: 'Added Foxtrot.' }).waitFor();
    expect(await page.getByLabel('Issuer', { exact: true }).inputValue()).toBe('');
    expect(await tags.inputValue()).toBe('');
    await page.goto('/#/');
    await expectOrder(page, ['*Charlie', 'Delta', 'bravo', 'alpha', 'Echo', 'Foxtrot']);
    expect(b.errors).toEqual([]);
  });
});
