/**
 * Pictures with QR codes for the QR import tests: the code is rendered with `qrcode` and drawn into a
 * larger picture (a noisy "screenshot" or a low-contrast "photo of a screen"), then encoded as PNG
 * (pngjs) or JPEG (jpeg-js). A seeded generator keeps every run the same.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

export interface Picture {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Mulberry32: a tiny seeded PRNG so the noise is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DrawOptions {
  width: number;
  height: number;
  /** Top-left corner of the code (quiet zone included). */
  x: number;
  y: number;
  /** Pixels per module. */
  scale: number;
  /** Grey levels of dark modules and of the light background, and the ± noise amplitude. */
  dark?: number;
  light?: number;
  noise?: number;
  seed?: number;
}

/** A picture of `text` as a QR code at (x, y), on a busy background of noise and grey blocks. */
export function drawQr(text: string, o: DrawOptions): Picture {
  const { dark = 20, light = 235, noise = 12, seed = 1 } = o;
  const rand = random(seed);
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const data = new Uint8Array(o.width * o.height * 4);
  // Background: mid-grey noise with darker "UI" blocks, so the code is not alone on white.
  for (let i = 0; i < o.width * o.height; i++) {
    const px = i % o.width;
    const py = Math.floor(i / o.width);
    const block = (Math.floor(px / 97) + Math.floor(py / 131)) % 3 === 0 ? 90 : 200;
    const v = block + (rand() - 0.5) * 60;
    data.set([v, v * 0.95, v * 1.05, 255], i * 4);
  }
  const quiet = 4;
  const side = (size + 2 * quiet) * o.scale;
  for (let dy = 0; dy < side; dy++) {
    for (let dx = 0; dx < side; dx++) {
      const mx = Math.floor(dx / o.scale) - quiet;
      const my = Math.floor(dy / o.scale) - quiet;
      const on = mx >= 0 && my >= 0 && mx < size && my < size && qr.modules.get(my, mx);
      const v = (on ? dark : light) + (rand() - 0.5) * 2 * noise;
      const i = ((o.y + dy) * o.width + (o.x + dx)) * 4;
      data.set([v, v, v, 255], i);
    }
  }
  return { width: o.width, height: o.height, data };
}

export function png(picture: Picture): Uint8Array {
  const image = new PNG({ width: picture.width, height: picture.height });
  image.data = Buffer.from(picture.data);
  return new Uint8Array(PNG.sync.write(image));
}

export function jpegOf(picture: Picture, quality = 85): Uint8Array {
  return new Uint8Array(
    jpeg.encode({ data: Buffer.from(picture.data), width: picture.width, height: picture.height }, quality)
      .data,
  );
}
