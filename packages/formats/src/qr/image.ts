/**
 * Image bytes (PNG, JPEG) to RGBA pixels, behind a small interface because the best decoder depends
 * on where Tessera runs:
 * - browsers decode natively (createImageBitmap + OffscreenCanvas), used when present;
 * - elsewhere (Node: the CLI, tests) JPEG goes through jpeg-js (pure JavaScript) and PNG through
 *   pngjs, which needs Node's zlib and streams and so is loaded only there (see node-png.ts);
 * - an app may install its own decoder with setImageDecoder().
 * Pixel counts are capped before decoding where the header tells the size (PNG, JPEG).
 */

export type ImageKind = 'png' | 'jpeg';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row. */
  data: Uint8ClampedArray;
}

export type ImageDecoder = (bytes: Uint8Array, kind: ImageKind) => Promise<RgbaImage>;

/** Largest image decoded: 50 megapixels (phone photos are 12–50 MP, screenshots 2–4 MP). */
export const MAX_IMAGE_PIXELS = 50_000_000;

export class ImageProblem extends Error {
  override readonly name = 'ImageProblem';
}

let custom: ImageDecoder | null = null;

/** Installs the decoder used for QR images (null restores the built-in choice). */
export function setImageDecoder(decoder: ImageDecoder | null): void {
  custom = decoder;
}

export function imageKind(bytes: Uint8Array): ImageKind | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Width and height from the image header without decoding: PNG's IHDR (PNG spec §11.2.2), or a JPEG
 * start-of-frame marker (ITU T.81 §B.2.2). Null when the header cannot be found.
 */
export function imageSize(bytes: Uint8Array, kind: ImageKind): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'png')
    return bytes.length >= 24 ? { width: view.getUint32(16), height: view.getUint32(20) } : null;
  let pos = 2;
  while (pos + 9 < bytes.length) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = view.getUint16(pos + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(pos + 5), width: view.getUint16(pos + 7) };
    }
    pos += 2 + length;
  }
  return null;
}

async function decodeWithCanvas(bytes: Uint8Array, kind: ImageKind): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: `image/${kind}` }));
  try {
    if (bitmap.width * bitmap.height > MAX_IMAGE_PIXELS)
      throw new ImageProblem('the image has too many pixels');
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new ImageProblem('no 2D canvas available to decode the image');
    context.drawImage(bitmap, 0, 0);
    const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width, height };
  } finally {
    bitmap.close();
  }
}

interface JpegJs {
  decode(
    bytes: Uint8Array,
    opts: { useTArray: true; formatAsRGBA: true; maxResolutionInMP: number; maxMemoryUsageInMB: number },
  ): { width: number; height: number; data: Uint8Array };
}

async function decodeJpeg(bytes: Uint8Array): Promise<RgbaImage> {
  const mod = (await import('jpeg-js')) as unknown as JpegJs & { default?: JpegJs };
  const jpeg = mod.default ?? mod;
  const out = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: 1024,
  });
  return {
    width: out.width,
    height: out.height,
    data: new Uint8ClampedArray(out.data.buffer, out.data.byteOffset, out.data.length),
  };
}

function hasCanvas(): boolean {
  return (
    typeof globalThis.createImageBitmap === 'function' && typeof globalThis.OffscreenCanvas === 'function'
  );
}

/** Decodes an image to RGBA; ImageProblem when it is too large or not decodable. */
export async function decodeImage(bytes: Uint8Array, kind: ImageKind): Promise<RgbaImage> {
  const size = imageSize(bytes, kind);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new ImageProblem(
      `${size.width}×${size.height} pixels is more than the ${MAX_IMAGE_PIXELS / 1e6} megapixel limit`,
    );
  }
  try {
    if (custom) return await custom(bytes, kind);
    if (hasCanvas()) return await decodeWithCanvas(bytes, kind);
    if (kind === 'jpeg') return await decodeJpeg(bytes);
    const { decodePngWithPngjs } = await import('./node-png.js');
    return await decodePngWithPngjs(bytes);
  } catch (err) {
    if (err instanceof ImageProblem) throw err;
    throw new ImageProblem(`cannot decode the ${kind.toUpperCase()} image (${(err as Error).message})`);
  }
}
