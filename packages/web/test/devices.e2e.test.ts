/**
 * What the web app asks of the device itself: QR codes from a picture and from the camera, passkey
 * unlock (WebAuthn PRF, on Chromium's virtual authenticator), clock correction and its warning, and the
 * Content Security Policy it runs under.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { startServer } from '@tessera/server';
import { totp } from '@tessera/otp';
import { addTyped, startDeviceOnly, useHarness, visibleCodes, WEB_ROOT } from './harness.js';
import { launchChromium } from '../scripts/chromium.mjs';

const harness = useHarness();
const scratch = mkdtempSync(join(tmpdir(), 'tessera-web-devices-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * A Y4M video (what Chromium's fake camera plays) showing a QR code: the luma plane is the QR
 * picture, chroma is neutral grey.
 */
async function qrVideo(text: string): Promise<string> {
  const png = PNG.sync.read(await QRCode.toBuffer(text, { scale: 6, margin: 4 }));
  const width = png.width - (png.width % 2);
  const height = png.height - (png.height % 2);
  const luma = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) luma[y * width + x] = png.data[(y * png.width + x) * 4]!;
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  const path = join(scratch, 'qr.y4m');
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`),
      ...Array(10).fill(frame),
    ]),
  );
  return path;
}

// Generous timeout: CI runs every package's tests at once on two cores.
describe('web app and the device', { timeout: 90_000 }, () => {
  it('serves the app under a CSP without inline scripts, and the page has none', async () => {
    const { page, errors } = await harness.device();
    const response = await page.goto('/');
    const csp = response!.headers()['content-security-policy']!;
    const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src'))!;
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    await page.getByRole('button', { name: /Use on this device only/ }).waitFor();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    const manifest = await (await page.request.get('/manifest.webmanifest')).json();
    expect(manifest).toMatchObject({ name: 'Tessera', display: 'standalone', start_url: '/' });
    expect(errors).toEqual([]);
  });

  it('adds from a picture of a QR code', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await page.goto('/#/add');
    await page.getByRole('button', { name: 'Picture' }).click();
    const picture = await QRCode.toBuffer(
      'otpauth://totp/Pictured:pic@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Pictured',
      { scale: 8 },
    );
    await page
      .getByLabel('Open a screenshot or photo of the QR code')
      .setInputFiles({ name: 'shot.png', mimeType: 'image/png', buffer: picture });
    await page.getByRole('status').filter({ hasText: 'Added Pictured' }).waitFor();
    await page.getByLabel('Open a screenshot or photo of the QR code').setInputFiles({
      name: 'blank.png',
      mimeType: 'image/png',
      buffer: PNG.sync.write(new PNG({ width: 50, height: 50, fill: true })),
    });
    await page.getByRole('alert').filter({ hasText: 'No QR code was found' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('adds by scanning with the camera', async () => {
    const video = await qrVideo(
      'otpauth://totp/Scanned:cam@example.com?secret=GEZDGNBVGY3TQOJQ&issuer=Scanned',
    );
    const browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
    try {
      const context = await browser.newContext({ baseURL: harness.url, permissions: ['camera'] });
      const page = await context.newPage();
      await startDeviceOnly(page);
      await page.goto('/#/add');
      await page.getByRole('button', { name: 'Scan' }).click();
      await page.getByRole('status').filter({ hasText: 'Added Scanned' }).waitFor({ timeout: 20_000 });
    } finally {
      await browser.close();
    }
  });

  it('unlocks with a passkey through the WebAuthn PRF extension', async () => {
    const { context, page, errors } = await harness.device();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        hasPrf: true,
      },
    });
    // WebAuthn refuses IP addresses as relying parties; localhost is a secure context too.
    const origin = harness.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: /Use on this device only/ }).click();
    await page.goto(`${origin}/#/add`);
    await page.getByRole('button', { name: 'Type it in' }).click();
    await page.getByLabel('Issuer', { exact: true }).fill('Passkeyed');
    await page.getByLabel('Secret key').fill('JBSWY3DPEHPK3PXP');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.goto(`${origin}/#/settings`);
    await page.getByLabel('Passphrase', { exact: true }).fill('a long passphrase');
    await page.getByLabel('Passphrase again').fill('a long passphrase');
    await page.getByRole('button', { name: 'Turn on app lock' }).click();
    await page.getByRole('status').filter({ hasText: 'The app lock is on.' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'Passkey unlock is on.' }).waitFor();

    await page.goto(`${origin}/`);
    await page.reload();
    await page.getByRole('heading', { name: 'Tessera is locked' }).waitFor();
    await page.getByRole('button', { name: 'Unlock with passkey' }).click();
    await page.locator('.row', { hasText: 'Passkeyed' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('tells the user when the server needs a newer app', async () => {
    const dataDir = mkdtempSync(join(scratch, 'server-'));
    const strict = await startServer({ port: 0, dataDir, webRoot: WEB_ROOT, minClientVersion: '99.0.0' });
    try {
      const { page } = await harness.device();
      await page.goto(strict.url);
      await page.getByRole('button', { name: /Turn on keychain backup/ }).click();
      await page.getByLabel('Email').fill('old@example.com');
      await page.getByLabel('Account password').fill('correct horse battery');
      await page.getByLabel('Password again').fill('correct horse battery');
      await page.getByRole('button', { name: 'Create keychain' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /Update required.*99\.0\.0/ })
        .waitFor({ timeout: 20_000 });
    } finally {
      await strict.close();
    }
  });

  it('corrects codes with the server time when the device clock is off, and says so', async () => {
    const { context, page, errors } = await harness.device();
    // The device runs 3 min 20 s behind; the server on loopback keeps the true time.
    await context.addInitScript(() => {
      const real = Date.now.bind(Date);
      Date.now = () => real() - 200_000;
    });
    // A person reads the first screen for longer than the 1.5 s after which the app first checks
    // the clock: the check must still run once they choose (it was skipped for good before).
    await page.goto('/');
    const deviceOnly = page.getByRole('button', { name: /Use on this device only/ });
    await deviceOnly.waitFor();
    await page.waitForTimeout(2_000);
    await deviceOnly.click();
    await addTyped(page, { issuer: 'Clocked', account: 'c@example.com', secret: 'JBSWY3DPEHPK3PXP' });
    const warning = page.getByTestId('clock-warning');
    await warning.waitFor();
    expect(await warning.textContent()).toContain(
      'Your device clock is 3 min 20 s behind; codes use the corrected time.',
    );

    // The code on screen and the one copied are those of the true time (read between two true
    // readings, so a step boundary in between is allowed), never those of the device's clock.
    const trueCodes = (from: number, to: number) => {
      const codes: string[] = [];
      for (let step = Math.floor(from / 30_000); step <= Math.floor(to / 30_000); step++)
        codes.push(totp({ secret: 'JBSWY3DPEHPK3PXP', time: step * 30 }));
      return codes;
    };
    const before = Date.now();
    const [shown] = await visibleCodes(page).then((rows) => rows.map((r) => r.split('|')[2]!));
    await page.getByRole('button', { name: /^Clocked, c@example.com: / }).click();
    await page.locator('.row', { hasText: 'Clocked' }).getByText('Copied').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const after = Date.now();
    const expected = trueCodes(before, after);
    expect(expected).toContain(shown);
    expect(expected).toContain(copied);
    expect(trueCodes(before - 200_000, after - 200_000)).not.toContain(shown);

    // The countdown ring runs on the corrected time too: its start offset is the seconds into the
    // true period, as of the last once-a-second tick (so up to one tick before `from`).
    const from = Date.now();
    const delay = await page
      .locator('.row', { hasText: 'Clocked' })
      .locator('.ring .left')
      .evaluate((el) => Number.parseFloat((el as SVGElement).style.animationDelay));
    const to = Date.now();
    const ringAt = Math.floor(from / 30_000) * 30_000 - delay * 1000;
    const atStep = (ms: number) => [ms, ms - 30_000, ms + 30_000];
    expect(atStep(ringAt).some((t) => t >= from - 1_100 && t <= to)).toBe(true);
    expect(errors).toEqual([]);
  });
});
