/**
 * Adding a code from the QR code shown on the current page, as a person does it: the toolbar
 * button pressed on the page (the browser then grants `activeTab` for that tab and opens the popup),
 * "Scan QR code on this page" in that popup: a capture of the visible tab, read by the web app's QR
 * reader. The code added matches `tessera code` for the secret in the QR code, and is bound to
 * the page's site. Without the toolbar button's grant the capture is refused.
 */
import { createServer, type Server } from 'node:http';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchWithExtension,
  pressToolbarButton,
  REAL,
  tesseraCode,
  type ExtensionBrowser,
} from './harness.js';

const SECRET = 'KRSXG5CTMVRXEZLU';
const LINK = `otpauth://totp/Bank:qr-alice?secret=${SECRET}&issuer=Bank`;

/** What the popup shows once the scan is done: its note, and the code it shows for the new entry. */
interface Scanned {
  note: string;
  code: string | null;
  site: string | null;
  before: number;
  after: number;
}

/**
 * In the popup: open "Add a code", press "Scan QR code on this page", wait for the outcome (the
 * note, or the form's alert), and read the new entry's code and the site section's row.
 */
const SCAN = `async () => {
  const until = async (find) => {
    for (;;) {
      const found = find();
      if (found) return found;
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  };
  const details = await until(() => document.querySelector('details.add'));
  details.open = true;
  const button = [...details.querySelectorAll('button')].find((b) => b.textContent === 'Scan QR code on this page');
  const before = Math.floor(Date.now() / 1000);
  button.click();
  const outcome = await until(() =>
    [...document.querySelectorAll('[role=status], [role=alert]')].find((e) => /Added|QR|refused|permission|Error/i.test(e.textContent)),
  );
  const label = 'Code for Bank (qr-alice)';
  const code = outcome.getAttribute('role') === 'status'
    ? await until(() => document.querySelector('ul.codes [aria-label="' + label + '"]'))
    : null;
  const bound = document.querySelector('section.this-site [aria-label="' + label + '"]');
  return {
    note: outcome.textContent,
    code: code && code.textContent.replace(/\\s/g, ''),
    site: bound && document.querySelector('section.this-site').getAttribute('aria-label'),
    before,
    after: Math.floor(Date.now() / 1000),
  };
}`;

describe('adding from the QR code on the page', { timeout: 120_000 }, () => {
  let ext: ExtensionBrowser;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const qr = await QRCode.toDataURL(LINK, { width: 320, margin: 4 });
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>Set up two-step sign-in</title><body style="margin:24px;background:#fff">` +
          `<p>Scan this with your authenticator:</p><img alt="QR code" src="${qr}" width="320" height="320"></body>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    ext = await launchWithExtension();
  }, 120_000);

  afterAll(async () => {
    await ext?.close();
    server?.close();
  });

  it('is refused without the toolbar button’s grant (the popup opened some other way), and the tab’s address is hidden', async () => {
    const page = await ext.context.newPage();
    await page.goto(`http://${REAL}:${port}/setup`);
    // The popup as a page of its own, acting on that tab: no toolbar button pressed, no activeTab.
    const popup = await ext.popupWithoutGrant(page);
    await popup.getByText('Add a code').click();
    await popup.getByRole('button', { name: 'Scan QR code on this page' }).click();
    await popup.getByRole('alert').waitFor();
    expect(await popup.getByRole('alert').textContent()).toContain('activeTab');
    // The tab was found (the capture was tried on it), yet its address is not the popup's to read:
    // no site, so no codes offered for it and nothing to bind a new entry to.
    expect(await popup.locator('header .site').textContent()).toBe('not a web site');
    expect(await popup.locator('section.this-site').count()).toBe(0);
    // Nor does the background fill that tab for it: the site comes from the tab's address, and there is none.
    const tabId = Number(new URL(popup.url()).searchParams.get('tab'));
    const reply = await popup.evaluate(
      (tabId) => chrome.runtime.sendMessage({ type: 'fill-tab', tabId, entryId: 'any', bind: true }),
      tabId,
    );
    expect(reply).toEqual({ ok: false, error: 'This page is not a web site, so no code is filled here.' });
    await popup.close();
    await page.close();
  });

  it('reads the QR code of the page the toolbar button was pressed on, and adds its code for that site', async () => {
    const page = await ext.context.newPage();
    await page.goto(`http://${REAL}:${port}/setup`);
    await page.getByAltText('QR code').evaluate((img: HTMLImageElement) => img.decode());
    const popup = await pressToolbarButton(ext, page);
    const scanned = await popup.run<Scanned>(SCAN);
    expect(scanned.note).toBe(`Added Bank (qr-alice) for ${REAL}.`);
    expect(scanned.site).toBe(`Codes for ${REAL}`);
    const expected = new Set([tesseraCode(SECRET, scanned.before), tesseraCode(SECRET, scanned.after)]);
    expect(expected).toContain(scanned.code);
    await popup.close();
    await page.close();
  });
});
