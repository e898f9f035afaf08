// Screenshots of the main screens for docs/screenshots and the README: light and dark, 1280 and 360 px
// wide, against a real local server with sample entries (pinned, moved by hand, copied).
// Usage: npm run screenshots -w @tessera/web   (after `npm run build`; starts its own server)
/* global window -- used inside page.evaluate callbacks, which run in the browser */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const out = join(root, 'docs/screenshots');
const { startServer } = await import(join(root, 'packages/server/dist/index.js'));
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-shots-'));
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  webRoot: join(root, 'packages/web/dist'),
  logger: false,
});
const browser = await launchChromium(['--hide-scrollbars']);

const ENTRIES = [
  ['GitHub', 'octo-alice', 'JBSWY3DPEHPK3PXP', 'work'],
  ['Google', 'alice@example.com', 'GEZDGNBVGY3TQOJQ', 'personal'],
  ['AWS', 'alice-admin', 'KRSXG5CTMVRXEZLU', 'work'],
  ['Proton Mail', 'alice@proton.example', 'MFRGGZDFMZTWQ2LK', 'personal'],
  ['Savings Bank', '4312 •••• 9921', 'ONSWG4TFORXW4ZLS', 'money'],
  ['Mastodon', '@alice@social.example', 'NBSWY3DPO5XXE3DE', 'personal'],
  ['Cloudflare', 'alice@example.com', 'GAYTEMZUGU3DOOBZ', 'work'],
];
const list = ENTRIES.map(
  ([issuer, account, secret]) =>
    `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`,
).join('\n');

async function device({ colorScheme = 'light', width = 1280, height = 640 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    colorScheme,
    deviceScaleFactor: 1,
    baseURL: server.url,
  });
  return context.newPage();
}

async function seed(page) {
  await page.goto('/');
  await page.getByRole('button', { name: /Use on this device only/ }).click();
  await page.goto('/#/files');
  await page
    .getByLabel(/^Export file/)
    .setInputFiles({ name: 'codes.txt', mimeType: 'text/plain', buffer: Buffer.from(list) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported' }).waitFor();
  await page.goto('/#/');
  for (const [issuer, , , tag] of ENTRIES) {
    await page.getByRole('button', { name: `Edit ${issuer}` }).click();
    await page.getByLabel(/^Tags/).fill(tag);
    if (issuer === 'GitHub') await page.getByLabel('Pin to the top').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  }
  // A hand-made order: the bank moved up by keyboard, as a user would.
  await page.locator('.row button.copy', { hasText: 'Savings Bank' }).focus();
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Alt+ArrowUp');
    await page
      .getByTestId('move-status')
      .filter({ hasText: `to position ${4 - i} of` })
      .waitFor();
  }
  await page.locator('.toast').waitFor({ state: 'detached', timeout: 10_000 });
  await page.evaluate(() => window.document.activeElement?.blur());
}

/** Resolves once every issuer tile on screen is settled: an icon that has loaded, or a letter. */
function tilesSettled(page) {
  return page.waitForFunction(() =>
    [...window.document.querySelectorAll('.tile')].every((tile) => {
      const img = tile.querySelector('img');
      return tile.dataset.letter || (img && img.complete && img.naturalWidth > 0);
    }),
  );
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await tilesSettled(page);
  // Codes tick every second and rings animate: a settled frame, not a fixed wait.
  await page.evaluate(
    () => new Promise((done) => window.requestAnimationFrame(() => window.requestAnimationFrame(done))),
  );
  await page.screenshot({ path: join(out, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

try {
  const light = await device();
  await seed(light);
  await shot(light, 'codes-light');

  const dark = await device({ colorScheme: 'dark' });
  await seed(dark);
  await shot(dark, 'codes-dark');

  await dark.getByLabel('Sort').selectOption('name');
  await shot(dark, 'codes-by-name-dark');
  await dark.getByLabel('Sort').selectOption('manual');

  const narrow = await device({ width: 360, height: 740 });
  await seed(narrow);
  await shot(narrow, 'codes-narrow');
  const narrowDark = await device({ colorScheme: 'dark', width: 360, height: 740 });
  await seed(narrowDark);
  await shot(narrowDark, 'codes-narrow-dark');
  for (const [page, name] of [
    [narrow, 'add-narrow'],
    [narrowDark, 'add-narrow-dark'],
    [light, 'add-light'],
  ]) {
    await page.goto('/#/add');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await page
      .getByLabel(/^Setup link/)
      .fill('otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example');
    await page.getByLabel(/^Tags for what you add/).fill('work');
    // The form's options sit above its button, both clear of the bottom bar.
    await shot(page, name);
  }

  // Keychain: A backs up, B signs in and shows its verification code, A sees the request.
  await light.goto('/#/backup');
  await light.getByLabel('Email').fill('alice@example.com');
  await light.getByLabel('Account password').fill('correct horse battery staple');
  await light.getByLabel('Password again').fill('correct horse battery staple');
  await light.getByRole('button', { name: 'Create keychain' }).click();
  await light.getByTestId('recovery-key').waitFor();
  await shot(light, 'recovery-key-light');
  const key = await light.getByTestId('recovery-key').textContent();
  await light.getByRole('button', { name: 'I wrote it down' }).click();
  await light.getByLabel('Type the recovery key to confirm').fill(key);
  await light.getByRole('button', { name: 'Done' }).click();
  await light.locator('.row').first().waitFor();

  const b = await device({ colorScheme: 'dark', width: 360, height: 740 });
  await b.goto('/');
  await b.getByRole('button', { name: /Turn on keychain backup/ }).click();
  await b.getByRole('button', { name: 'I have an account' }).click();
  await b.getByLabel('Email').fill('alice@example.com');
  await b.getByLabel('Account password').fill('correct horse battery staple');
  await b.getByRole('button', { name: 'Sign in' }).click();
  await b
    .getByTestId('verification-code')
    .filter({ hasText: /\d{4}-\d{4}/ })
    .waitFor();
  await shot(b, 'new-device-dark-narrow');

  await light.goto('/#/backup');
  await light.getByRole('heading', { name: 'Approve a new device' }).waitFor({ timeout: 20_000 });
  await light
    .getByTestId('backup-state')
    .filter({ hasText: 'Everything is backed up' })
    .waitFor({ timeout: 20_000 });
  await light.setViewportSize({ width: 1280, height: 1100 });
  await light.locator('.toast').waitFor({ state: 'detached', timeout: 10_000 });
  await shot(light, 'backup-light');
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
