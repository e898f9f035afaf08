// Screenshots of the extension for its README and the main README: the popup (light, dark) and a
// fill on a bank's sign-in page (the button offered, then the field filled), with the built extension loaded in Debian's Chromium.
// Usage: npm run screenshots -w @tessera/extension   (after the extension's build)
/* global document -- used inside page.evaluate callbacks, which run in the browser */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../web/scripts/chromium.mjs';
import { grantActiveTab, TOOLBAR_BUTTON_ARG } from './toolbar.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const extension = join(root, 'packages/extension/dist/chromium');
const out = join(root, 'docs/screenshots');
const BANK = 'bank.example';

const ENTRIES = [
  ['Savings Bank', 'alice', 'JBSWY3DPEHPK3PXP'],
  ['GitHub', 'octo-alice', 'GEZDGNBVGY3TQOJQ'],
  ['Google', 'alice@example.com', 'KRSXG5CTMVRXEZLU'],
  ['Proton Mail', 'alice@proton.example', 'MFRGGZDFMZTWQ2LK'],
  ['Mastodon', '@alice@social.example', 'NBSWY3DPO5XXE3DE'],
  ['Cloudflare', 'alice@example.com', 'GAYTEMZUGU3DOOBZ'],
];
const link = ([issuer, account, secret]) =>
  `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`;

// The bank's sign-in step, on loopback under its own name (--host-resolver-rules).
const site = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><head><title>Savings Bank: verify</title><style>
    body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f6fb; color: #1c2330; }
    main { max-width: 360px; margin: 48px auto; background: #fff; padding: 24px 28px 40px; border-radius: 12px; box-shadow: 0 2px 12px #0002; }
    h1 { font-size: 20px; margin: 0 0 8px; } label { display: block; margin: 16px 0 4px; }
    input { font: 20px ui-monospace, monospace; letter-spacing: 4px; width: 10ch; padding: 6px 8px; }
    button { display: block; margin-top: 48px; font: inherit; padding: 6px 16px; }
  </style></head><body><main><h1>Savings Bank</h1><p>Enter the code from your authenticator app.</p>
  <form><label for="otp">Code</label><input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="6"><button>Verify</button></form></main></body></html>`);
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const port = site.address().port;

async function launch(colorScheme) {
  const profile = mkdtempSync(join(tmpdir(), 'tessera-ext-shots-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    colorScheme,
    viewport: { width: 380, height: 380 },
    args: [
      ...CHROMIUM_ARGS,
      '--hide-scrollbars',
      `--disable-extensions-except=${extension}`,
      `--load-extension=${extension}`,
      `--host-resolver-rules=MAP ${BANK} 127.0.0.1`,
      TOOLBAR_BUTTON_ARG,
    ],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const id = new URL(worker.url()).host;
  const bank = await context.newPage();
  await bank.setViewportSize({ width: 640, height: 420 });
  await bank.goto(`http://${BANK}:${port}/`);
  // The toolbar button pressed on the bank's tab grants `activeTab` for it, as a person's click does.
  const tabId = await grantActiveTab(context, id, bank);
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${id}/popup.html?tab=${tabId}`);
  return { context, profile, bank, popup, tabId, id };
}

/** Adds the entries: the bank's bound to its site, the others to none. */
async function seed(popup) {
  const add = async (text, bind) => {
    await popup.getByText('Add a code').click();
    await popup.getByLabel('Link (otpauth://) or secret').fill(text);
    const box = popup.getByLabel(`Fill it on ${BANK}`);
    if ((await box.isChecked()) !== bind) await box.click();
    await popup.getByRole('button', { name: 'Add', exact: true }).click();
    await popup.getByRole('status').filter({ hasText: 'Added' }).waitFor();
    await popup.getByText('Add a code').click();
  };
  await add(link(ENTRIES[0]), true);
  await add(ENTRIES.slice(1).map(link).join('\n'), false);
}

for (const colorScheme of ['light', 'dark']) {
  const run = await launch(colorScheme);
  await seed(run.popup);
  await run.popup.reload();
  await run.popup.getByRole('list', { name: 'All codes' }).getByText('Cloudflare').waitFor();
  await run.popup.evaluate(() => document.querySelector('[role=status]')?.remove());
  // Issuer icons settled: each tile shows its loaded icon or its letter.
  await run.popup.waitForFunction(() =>
    [...document.querySelectorAll('.tile')].every((tile) => {
      const img = tile.querySelector('img');
      return tile.dataset.letter || (img && img.complete && img.naturalWidth > 0);
    }),
  );
  await run.popup.screenshot({ path: join(out, `extension-popup-${colorScheme}.png`), fullPage: true });
  if (colorScheme === 'light') {
    await run.bank.reload();
    await run.bank.bringToFront();
    const field = run.bank.locator('#otp');
    await field.click();
    const box = await field.boundingBox();
    // The button under the focused field, then the field filled by a click on it.
    await run.bank.waitForFunction(() => document.querySelector('tessera-fill')?.style.display === 'block');
    await run.bank.screenshot({ path: join(out, 'extension-fill-offer.png') });
    await run.bank.mouse.click(box.x + 24, box.y + box.height + 4 + 10);
    await run.bank.waitForFunction(() => /^\d{6}$/.test(document.querySelector('#otp').value));
    await field.focus();
    await run.bank.screenshot({ path: join(out, 'extension-fill.png') });
  }
  await run.context.close();
  rmSync(run.profile, { recursive: true, force: true });
}
site.close();
console.log('screenshots written: docs/screenshots/extension-{popup-light,popup-dark,fill-offer,fill}.png');
