/**
 * The windowed code list with more entries than a screen holds: its first screen is drawn before the
 * list measures itself (rows placed by CSS, no overscan), then the rows below and above come as the
 * page scrolls or the keyboard moves, each with its own current code.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { totp } from '@tessera/otp';
import { startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

const COUNT = 60;
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const secretOf = (n: number) =>
  `JBSWY3DPEHPK${[3, 2, 1, 0].map((i) => alphabet[Math.floor(n / 32 ** i) % 32]).join('')}`;

async function importMany(page: Page): Promise<void> {
  const list = Array.from(
    { length: COUNT },
    (_, n) =>
      `otpauth://totp/Service%20${n}:user${n}%40example.com?secret=${secretOf(n)}&issuer=Service%20${n}`,
  ).join('\n');
  await page.goto('/#/files');
  await page
    .getByLabel(/^Export file/)
    .setInputFiles({ name: 'codes.txt', mimeType: 'text/plain', buffer: Buffer.from(list) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Imported ${COUNT} codes` })
    .waitFor();
}

/** The row of "Service n". */
/**
 * Goes back to the codes (`#/`) and counts the rows in view in the first frame that shows them;
 * with `scrollFirst`, the page is scrolled to its bottom in the same task, just before.
 */
function rowsInFirstCodesFrame(page: Page, { scrollFirst }: { scrollFirst: boolean }): Promise<number> {
  return page.evaluate(
    (scroll) =>
      new Promise<number>((resolve) => {
        const frame = () => {
          if (!document.querySelector('.codes')) return requestAnimationFrame(frame);
          const inView = [...document.querySelectorAll('.row')].filter((row) => {
            const box = row.getBoundingClientRect();
            return box.bottom > 0 && box.top < window.innerHeight;
          });
          resolve(inView.length);
        };
        requestAnimationFrame(frame);
        if (scroll) window.scrollTo(0, document.documentElement.scrollHeight);
        location.hash = '#/';
      }),
    scrollFirst,
  );
}

const row = (page: Page, n: number) =>
  page.locator('.row', { has: page.getByText(`Service ${n}`, { exact: true }) });

/** Checks that "Service n"'s row shows its code of the page's current time step (or of the step read next to it). */
async function expectOwnCode(page: Page, n: number): Promise<void> {
  const before = await page.evaluate(() => Date.now());
  const shown = ((await row(page, n).locator('.code').textContent()) ?? '').replace(/\s/g, '');
  const after = await page.evaluate(() => Date.now());
  const secret = secretOf(n);
  expect([
    totp({ secret, time: Math.floor(before / 1000) }),
    totp({ secret, time: Math.floor(after / 1000) }),
  ]).toContain(shown);
}

/**
 * An init script: when the codes-visible mark is set (after the codes' first paint), records the
 * rows in the DOM at that moment, before anything the list adds after, with their place and text.
 */
function recordRowsAtMark(): void {
  const original = performance.mark.bind(performance);
  performance.mark = ((name: string, options?: PerformanceMarkOptions) => {
    if (name === 'tessera:codes-visible') {
      const list = document.querySelector('.codes')!.getBoundingClientRect();
      (window as unknown as { rowsAtMark: unknown }).rowsAtMark = {
        listTop: list.top,
        height: window.innerHeight,
        rows: [...document.querySelectorAll('.row')].map((row) => ({
          issuer: row.querySelector('.issuer')!.textContent!.trim(),
          code: row.querySelector('.code')!.textContent!.replace(/\s/g, ''),
          top: row.getBoundingClientRect().top - list.top,
          at: Date.now(),
        })),
      };
    }
    return original(name, options);
  }) as typeof performance.mark;
}

interface RowsAtMark {
  listTop: number;
  height: number;
  rows: { issuer: string; code: string; top: number; at: number }[];
}

/** Reloads and returns the rows at the mark, after checking each has its code and place (`stride` px apart). */
async function firstScreen(page: Page, stride: number): Promise<RowsAtMark> {
  await page.reload();
  await page.waitForFunction(() => performance.getEntriesByName('tessera:codes-visible').length > 0);
  const shown = (await page.evaluate(
    () => (window as unknown as { rowsAtMark: unknown }).rowsAtMark,
  )) as RowsAtMark;
  // Every row a screen shows from the list's top is there at the first paint, placed and with its code.
  const onScreen = Math.ceil((shown.height - shown.listTop) / stride);
  expect(shown.rows.length).toBeGreaterThanOrEqual(onScreen);
  for (const [n, r] of shown.rows.entries()) {
    expect(r.issuer).toBe(`Service ${n}`);
    expect(r.top).toBe(n * stride);
    // Drawn a moment before the mark: the code of the mark's time step, or of the second before.
    const at = (ms: number) => totp({ secret: secretOf(n), time: Math.floor(ms / 1000) });
    expect([at(r.at), at(r.at - 1000)]).toContain(r.code);
  }
  return shown;
}

/** A device with COUNT entries, reloaded on its codes, its first screen checked (`firstScreen`). */
async function deviceWithMany(viewport: { width: number; height: number }, stride: number) {
  const device = await harness.device({ viewport });
  await device.page.addInitScript(recordRowsAtMark);
  await startDeviceOnly(device.page);
  await importMany(device.page);
  await device.page.goto('/#/');
  await firstScreen(device.page, stride);
  return device;
}

/** The vertical distance between the rows of "Service a" and "Service b", in px. */
async function distance(page: Page, a: number, b: number): Promise<number> {
  const [boxA, boxB] = [await row(page, a).boundingBox(), await row(page, b).boundingBox()];
  return boxB!.y - boxA!.y;
}

describe('the code list with more entries than a screen', { timeout: 120_000 }, () => {
  it('draws the first screen, then rows scrolled or moved into view, each with its code', async () => {
    // Rows sit a row's height (76 px here) and the 8 px gap apart, from the first one.
    const { page, errors } = await deviceWithMany({ width: 1000, height: 800 }, 84);
    expect(await distance(page, 0, 1)).toBe(84);
    expect(await distance(page, 0, 5)).toBe(5 * 84);
    // Once painted, the list adds the rows just below the screen (its overscan) ...
    await expect.poll(() => row(page, 12).count()).toBe(1);
    await expectOwnCode(page, 12);
    // ... and the rows of wherever the page scrolls to.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await row(page, COUNT - 1).waitFor();
    await expectOwnCode(page, COUNT - 1);
    expect(await row(page, 0).count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await row(page, 0).waitFor();

    // The keyboard: End goes to the last row, Home back to the first, the arrow keys one by one.
    const focused = () =>
      page.evaluate(() =>
        document.activeElement?.closest('.row')?.querySelector('.issuer')?.textContent?.trim(),
      );
    await row(page, 0).locator('button.copy').focus();
    await page.keyboard.press('End');
    await expect.poll(focused).toBe(`Service ${COUNT - 1}`);
    await expectOwnCode(page, COUNT - 1);
    await page.keyboard.press('Home');
    await expect.poll(focused).toBe('Service 0');
    for (let n = 1; n <= 20; n++) {
      await page.keyboard.press('ArrowDown');
      await expect.poll(focused).toBe(`Service ${n}`);
    }
    await expectOwnCode(page, 20);
    expect(errors).toEqual([]);
  });

  it('places rows by the narrow screen’s shorter row, and fills a tall screen from the first frame', async () => {
    // 72 px rows at this width (styles.css), 8 px apart.
    const { page, errors } = await deviceWithMany({ width: 360, height: 1400 }, 80);
    expect(await distance(page, 0, 1)).toBe(80);

    // Back to the codes from a screen scrolled down: the list's first frame shows rows in view.
    await page.setViewportSize({ width: 360, height: 500 });
    await page.goto('/#/settings');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    expect(await rowsInFirstCodesFrame(page, { scrollFirst: false })).toBeGreaterThan(0);

    // The same when the scroll and the way back come in one task, before the frame that dispatches
    // the scroll's event (a script, or a key that scrolls and navigates at once).
    await page.goto('/#/settings');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    // At the top, its scroll event dispatched (two frames later).
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          window.scrollTo(0, 0);
          requestAnimationFrame(() => requestAnimationFrame(resolve));
        }),
    );
    expect(await rowsInFirstCodesFrame(page, { scrollFirst: true })).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
