import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { normalizeEntry } from '@tessera/otp';
import { detectFormat, FormatError, importFiles, migrationUris } from '../src/index.js';
import { decodeImage } from '../src/qr/image.js';
import { findQrText } from '../src/qr/scan.js';
import { core, GOOGLE_SAMPLE, source } from './helpers.js';
import { drawQr, jpegOf, png } from './qr-images.js';

const ALICE_URI = 'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example';
const ALICE = normalizeEntry({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Example', account: 'alice@example.com' });

async function failure(name: string, bytes: Uint8Array): Promise<FormatError> {
  const err = await importFiles({ sources: [source(name, bytes)] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

describe('QR code images', () => {
  it('reads a Google "Transfer accounts" export saved as PNG', async () => {
    const { uris } = migrationUris(GOOGLE_SAMPLE);
    expect(uris).toHaveLength(1);
    const file = source(
      'export.png',
      png(drawQr(uris[0]!, { width: 700, height: 700, x: 60, y: 60, scale: 6 })),
    );
    expect(detectFormat(file)).toBe('qr-image');
    const r = await importFiles({ sources: [file] });
    expect(r.format).toBe('google-migration');
    expect(r.entries.map(core)).toEqual(GOOGLE_SAMPLE.map(core));
  });

  it('finds an otpauth:// code anywhere in a JPEG phone screenshot', async () => {
    const shot = drawQr(ALICE_URI, { width: 1080, height: 2340, x: 610, y: 1530, scale: 5, seed: 7 });
    const r = await importFiles({ sources: [source('Screenshot_20250101.jpg', jpegOf(shot, 80))] });
    expect(r.entries.map(core)).toEqual([core(ALICE)]);
  });

  it('finds a code in a big screenshot (about 10 megapixels)', async () => {
    const shot = drawQr(ALICE_URI, { width: 2160, height: 4680, x: 300, y: 2900, scale: 14, seed: 3 });
    const r = await importFiles({ sources: [source('big.png', png(shot))] });
    expect(r.entries.map(core)).toEqual([core(ALICE)]);
  });

  it('reads a low-contrast, noisy photo of a code thanks to the contrast-stretched, binarised copy', async () => {
    const photo = drawQr(ALICE_URI, {
      width: 900,
      height: 900,
      x: 150,
      y: 200,
      scale: 6,
      dark: 120,
      light: 150,
      noise: 14,
      seed: 11,
    });
    const image = await decodeImage(jpegOf(photo, 70), 'jpeg');
    // jsQR alone, on the picture as it is, does not find it ...
    expect(jsQR(image.data, image.width, image.height)).toBeNull();
    // ... the scanner's later attempts do.
    expect(await findQrText(image)).toBe(ALICE_URI);
  });

  it('imports the QR images of a multi-part Google export together, and lists missing parts', async () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      normalizeEntry({
        secret: `JBSWY3DPEHPK3PXP${'A'.repeat(i % 8)}`.slice(0, 24),
        issuer: `Service ${i}`,
        account: `user${i}@example.com`,
      }),
    );
    const { uris } = migrationUris(many);
    expect(uris.length).toBeGreaterThanOrEqual(2);
    const images = uris.map((uri, i) =>
      source(
        `part-${i + 1}.png`,
        png(drawQr(uri, { width: 1000, height: 1000, x: 40, y: 40, scale: 5, seed: i })),
      ),
    );
    const all = await importFiles({ sources: images });
    expect(all.skipped).toEqual([]);
    expect(all.entries.map(core)).toEqual(many.map(core));
    const partial = await importFiles({ sources: images.slice(1) });
    expect(partial.entries.length).toBeLessThan(many.length);
    expect(partial.skipped).toEqual([
      expect.objectContaining({ label: expect.stringContaining(`1 of ${uris.length}`) }),
    ]);
  });

  it('says when a picture holds no QR code', async () => {
    const blank = drawQr('x', { width: 400, height: 300, x: 0, y: 0, scale: 0 });
    const err = await failure('holiday.png', png(blank));
    expect(err.code).toBe('damaged');
    expect(err.message).toContain('holiday.png: no QR code found');
  });

  it('says when the code is not an authenticator code, without echoing its text', async () => {
    const err = await failure(
      'wifi.png',
      png(drawQr('WIFI:S:home;T:WPA;P:hunter2;;', { width: 300, height: 300, x: 20, y: 20, scale: 5 })),
    );
    expect(err.code).toBe('unknown-format');
    expect(err.message).toMatch(/not an otpauth/);
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses, before decoding, an image whose header claims too many pixels, and a corrupt image', async () => {
    const header = png(drawQr('x', { width: 8, height: 8, x: 0, y: 0, scale: 0 }));
    const huge = header.slice();
    new DataView(huge.buffer).setUint32(16, 100_000);
    new DataView(huge.buffer).setUint32(20, 100_000);
    // 10^10 pixels could never be decoded here: the message shows the header check refused it first.
    const tooBig = await failure('huge.png', huge);
    expect(tooBig.message).toMatch(/megapixel limit/);
    const corrupt = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4, 5, 6, 7]);
    const err = await failure('corrupt.jpg', corrupt);
    expect(err.code).toBe('damaged');
    expect(err.message).toContain('corrupt.jpg');
  });
});
