/**
 * QR reading in the browser: the native BarcodeDetector where the platform has one (Android, macOS,
 * ChromeOS), else jsQR on canvas pixels. jsQR is loaded only when first needed.
 */

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: ImageBitmapSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let native: Promise<BarcodeDetectorLike | null> | null = null;

function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  native ??= (async () => {
    const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
    if (!Detector) return null;
    try {
      const formats = await Detector.getSupportedFormats();
      return formats.includes('qr_code') ? new Detector({ formats: ['qr_code'] }) : null;
    } catch {
      return null;
    }
  })();
  return native;
}

/** Largest side, in px, an image is scaled down to before jsQR reads it (keeps big photos fast). */
const MAX_SIDE = 1600;

function pixels(source: CanvasImageSource, width: number, height: number): ImageData {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

async function readWithJsQr(image: ImageData): Promise<string | null> {
  const { default: jsQR } = await import('jsqr');
  const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  return found?.data ?? null;
}

/** Reads the QR code in an image file or pasted picture; null when there is none. */
export async function readQrFromImage(blob: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(blob);
  try {
    const detector = await nativeDetector();
    if (detector) {
      const found = await detector.detect(bitmap);
      if (found[0]) return found[0].rawValue;
    }
    return await readWithJsQr(pixels(bitmap, bitmap.width, bitmap.height));
  } finally {
    bitmap.close();
  }
}

/** Reads a QR code from the current frame of a playing video; null when none is in view. */
export async function readQrFromVideo(video: HTMLVideoElement): Promise<string | null> {
  if (video.readyState < 2 || video.videoWidth === 0) return null;
  const detector = await nativeDetector();
  if (detector) {
    const found = await detector.detect(video);
    return found[0]?.rawValue ?? null;
  }
  return readWithJsQr(pixels(video, video.videoWidth, video.videoHeight));
}

/** True when this browser can open a camera at all (the user may still refuse). */
export function cameraAvailable(): boolean {
  return typeof navigator.mediaDevices?.getUserMedia === 'function';
}
