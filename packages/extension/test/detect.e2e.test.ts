import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../web/scripts/chromium.mjs';

/**
 * The content script's field detection in a real page: the one CSS query that lets a page without
 * a code field cost almost nothing (`CANDIDATES`) must find every field the full check
 * (`isCodeField` on every input) accepts, and the same ones.
 */

const DETECT = fileURLToPath(new URL('../src/detect.ts', import.meta.url));

/** detect.ts as a classic script defining its functions on the page (it imports nothing). */
function detectScript(): string {
  const source = readFileSync(DETECT, 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  return `${js.replace(/^export /gm, '')}\nObject.assign(window, { isCodeField, findCodeFields, CANDIDATES });`;
}

/** Inputs of every shape sites use, code fields or not; `data-code` marks the code fields. */
const FIELDS = [
  '<input data-code autocomplete="one-time-code">',
  '<input data-code autocomplete="section-2fa one-time-code">',
  // Each word of the query alone makes one of these a candidate.
  '<input data-code name="otp">',
  '<input data-code name="TOTP" maxlength="6">',
  '<input data-code name="2fa" type="tel">',
  '<input data-code id="mfa" inputmode="numeric">',
  '<input data-code name="onetime">',
  '<input data-code aria-label="One-time">',
  '<input data-code name="one_time">',
  '<input data-code placeholder="Your one time pass">',
  '<input data-code name="token" maxlength="6">',
  '<input data-code aria-label="Security code" type="number">',
  '<input data-code placeholder="Enter your one time passcode" maxlength="8">',
  '<input data-code name="verification_code" maxlength="6">',
  '<input data-code name="authCode" inputmode="numeric">',
  '<input name="code" maxlength="20">',
  '<input name="promo-code">',
  '<input name="barcode" maxlength="6">',
  '<input name="zipcode" maxlength="6">',
  '<input name="otp" type="hidden">',
  '<input name="otp" disabled>',
  '<input name="otp" readonly>',
  '<input name="totp" type="password">',
  '<input name="q" type="search">',
  '<input name="email" type="email">',
  '<input name="qty" type="number">',
  '<input type="checkbox" name="remember-2fa">',
  '<input>',
];

describe('code field detection in a page', { timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setContent(`<!doctype html><form>${FIELDS.join('\n')}</form><p>No field here.</p>`);
    await page.addScriptTag({ content: detectScript() });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('finds exactly the fields the full check accepts, in document order, with one query', async () => {
    const found = await page.evaluate(() => {
      const w = window as unknown as {
        isCodeField(i: HTMLInputElement): boolean;
        findCodeFields(root: ParentNode): HTMLInputElement[];
      };
      const html = (i: HTMLInputElement) => i.outerHTML;
      return {
        full: [...document.querySelectorAll('input')].filter(w.isCodeField).map(html),
        fast: w.findCodeFields(document).map(html),
        marked: [...document.querySelectorAll<HTMLInputElement>('input[data-code]')].map(html),
      };
    });
    expect(found.marked.length).toBe(15);
    expect(found.full).toEqual(found.marked);
    expect(found.fast).toEqual(found.full);
  });

  it('finds nothing on a page without a code field', async () => {
    const none = await page.evaluate(() => {
      document.querySelector('form')!.innerHTML =
        '<input name="q" type="search"><input name="qty1" type="number"><input name="email">';
      return (window as unknown as { findCodeFields(root: ParentNode): unknown[] }).findCodeFields(document)
        .length;
    });
    expect(none).toBe(0);
  });
});
