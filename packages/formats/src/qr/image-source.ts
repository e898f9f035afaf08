import { FormatError, type ImportSource, type SourceDecoder } from '../types.js';
import { utf8 } from '../util/text.js';
import { decodeImage, ImageProblem, imageKind } from './image.js';
import { findQrText } from './scan.js';

/**
 * QR images (PNG, JPEG): whole exports or phone screenshots with the code anywhere. The code's text
 * becomes a text source named after the image, which then goes through format detection like a file
 * (Google "Transfer accounts" URIs, otpauth:// URIs). Several images of one Google export, given
 * together, reach the Google reader together.
 */
const OTP_TEXT = /^(otpauth|otpauth-migration|steam|motp):\/\//i;

export const qrImage: SourceDecoder = {
  id: 'qr-image',
  name: 'QR code image (PNG, JPEG)',
  detect: (source) => imageKind(source.bytes) !== null,
  async decode(source: ImportSource): Promise<ImportSource[]> {
    const kind = imageKind(source.bytes);
    if (!kind)
      throw new FormatError('unknown-format', `${source.name}: not a PNG or JPEG image`, {
        file: source.name,
      });
    let text: string | null;
    try {
      text = await findQrText(await decodeImage(source.bytes, kind));
    } catch (err) {
      if (err instanceof ImageProblem) {
        throw new FormatError('damaged', `${source.name}: ${err.message}`, {
          file: source.name,
          format: qrImage.id,
        });
      }
      throw err;
    }
    if (text === null) {
      throw new FormatError(
        'damaged',
        `${source.name}: no QR code found in this image; crop it closer to the code or take a sharper screenshot`,
        { file: source.name, format: qrImage.id },
      );
    }
    if (!OTP_TEXT.test(text.trim())) {
      throw new FormatError(
        'unknown-format',
        // The text is not echoed: it could be a secret in a shape we do not know.
        `${source.name}: the QR code holds ${text.length} characters of text that is not an otpauth:// or Google export link`,
        { file: source.name, format: qrImage.id },
      );
    }
    return [{ name: source.name, bytes: utf8(text.trim()) }];
  },
};
