import type { RgbaImage } from './image.js';

/**
 * Finds a QR code anywhere in a picture with jsQR. jsQR works best when a module is a few pixels
 * wide and the contrast is clean, so besides the picture itself it tries smaller copies (a code in a
 * big screenshot) and a contrast-stretched, binarised copy (photos of screens, JPEG artefacts).
 * Every copy is grey-scale RGBA, which is what jsQR reads.
 */

/**
 * Longest side of the downscaled copies, in the order tried. A module of a code in an export or a
 * screenshot is usually 4+ pixels wide; shrinking a big picture brings it near jsQR's sweet spot,
 * and shrinking by an integer factor keeps edges sharp.
 */
const TARGET_SIDES = [800, 1200, 500, 1600];
/**
 * Pictures up to this size are tried whole, first. jsQR's time grows with pixels and, on busy or
 * noisy pictures, with the candidate finder patterns it meets: a noisy 10-megapixel picture takes
 * jsQR about 10 s, so bigger pictures are only read through their smaller copies.
 */
const MAX_FULL_PIXELS = 2_500_000;

type Inversion = 'dontInvert' | 'attemptBoth';
type JsQr = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: { inversionAttempts?: Inversion },
) => { data: string } | null;

/** Luminance (ITU-R BT.601 weights, in integers) of pixel i of an RGBA buffer. */
function luma(data: Uint8ClampedArray, i: number): number {
  return (data[i]! * 299 + data[i + 1]! * 587 + data[i + 2]! * 114) / 1000;
}

function greyImage(width: number, height: number, grey: Uint8ClampedArray): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < grey.length; p++) {
    data[4 * p] = data[4 * p + 1] = data[4 * p + 2] = grey[p]!;
    data[4 * p + 3] = 255;
  }
  return { width, height, data };
}

/** A copy whose longest side is about `side` pixels, each pixel the mean of a square block. */
export function downscale(image: RgbaImage, side: number): RgbaImage {
  const factor = Math.ceil(Math.max(image.width, image.height) / side);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const grey = new Uint8ClampedArray(width * height);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        let i = ((y * factor + dy) * image.width + x * factor) * 4;
        for (let dx = 0; dx < factor; dx++, i += 4) sum += luma(image.data, i);
      }
      grey[y * width + x] = sum / area;
    }
  }
  return greyImage(width, height, grey);
}

/**
 * Stretches the 2nd–98th percentile of brightness to full range, then thresholds at Otsu's level
 * (the split that maximises between-class variance), giving pure black and white.
 */
export function binarise(image: RgbaImage): RgbaImage {
  const count = image.width * image.height;
  const grey = new Uint8ClampedArray(count);
  const histogram = new Array<number>(256).fill(0);
  for (let p = 0; p < count; p++) {
    const v = Math.round(luma(image.data, 4 * p));
    grey[p] = v;
    histogram[v]!++;
  }
  const percentile = (q: number): number => {
    let seen = 0;
    for (let v = 0; v < 256; v++) if ((seen += histogram[v]!) >= q * count) return v;
    return 255;
  };
  const low = percentile(0.02);
  const high = Math.max(percentile(0.98), low + 1);
  const stretched = new Array<number>(256).fill(0);
  for (let p = 0; p < count; p++) {
    const v = Math.min(255, Math.max(0, Math.round(((grey[p]! - low) * 255) / (high - low))));
    grey[p] = v;
    stretched[v]!++;
  }
  let total = 0;
  for (let v = 0; v < 256; v++) total += v * stretched[v]!;
  let below = 0;
  let belowSum = 0;
  let best = 0;
  let threshold = 128;
  for (let t = 0; t < 256; t++) {
    below += stretched[t]!;
    if (below === 0 || below === count) continue;
    belowSum += t * stretched[t]!;
    const meanBelow = belowSum / below;
    const meanAbove = (total - belowSum) / (count - below);
    const between = below * (count - below) * (meanBelow - meanAbove) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  for (let p = 0; p < count; p++) grey[p] = grey[p]! > threshold ? 255 : 0;
  return greyImage(image.width, image.height, grey);
}

/**
 * The copies to try, in order, with the polarities to try: the picture (if small enough) and smaller
 * copies as they are, then binarised copies both ways round (light-on-dark codes of dark themes).
 */
function* attempts(image: RgbaImage): Generator<[RgbaImage, Inversion]> {
  const longest = Math.max(image.width, image.height);
  const small = image.width * image.height <= MAX_FULL_PIXELS;
  const sides = TARGET_SIDES.filter((side) => side < longest);
  if (small) yield [image, 'dontInvert'];
  for (const side of sides) yield [downscale(image, side), 'dontInvert'];
  if (small) yield [binarise(image), 'attemptBoth'];
  for (const side of sides.slice(0, 2)) yield [binarise(downscale(image, side)), 'attemptBoth'];
}

/** The text of the first QR code found in the picture, or null. */
export async function findQrText(image: RgbaImage): Promise<string | null> {
  const mod = (await import('jsqr')) as unknown as { default: JsQr | { default: JsQr } };
  const jsQR = typeof mod.default === 'function' ? mod.default : mod.default.default;
  for (const [copy, inversionAttempts] of attempts(image)) {
    const found = jsQR(copy.data, copy.width, copy.height, { inversionAttempts });
    if (found && found.data !== '') return found.data;
  }
  return null;
}
