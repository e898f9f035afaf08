import { base64Decode } from '../util/bytes.js';

/**
 * QR rendering through `qrcode`, loaded on demand. `toDataURL` works in Node (pngjs) and in browsers
 * (canvas), so PNG bytes come from the data URL and this module stays browser-safe.
 */
async function qrcode() {
  const m = await import('qrcode');
  return (m as unknown as { default: typeof m }).default ?? m;
}

/** A PNG data: URL of a QR code holding `text` (error correction M, 4-module quiet zone). */
export async function qrPngDataUrl(text: string, scale = 4): Promise<string> {
  return (await qrcode()).toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale, type: 'image/png' });
}

export async function qrPng(text: string, scale = 4): Promise<Uint8Array> {
  const url = await qrPngDataUrl(text, scale);
  const bytes = base64Decode(url.slice(url.indexOf(',') + 1));
  if (!bytes) throw new Error('qrcode returned a malformed data URL');
  return bytes;
}

/** A QR code drawn with Unicode half blocks for a terminal. */
export async function qrTerminal(text: string): Promise<string> {
  return (await qrcode()).toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}
