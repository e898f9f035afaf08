const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** UTF-8 bytes of a string (passwords are UTF-8 in every format we read). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes text files: UTF-8 (BOM stripped) or UTF-16 with a BOM. Returns null for bytes that are not
 * text, so binary formats are never mistaken for text.
 */
export function decodeText(bytes: Uint8Array): string | null {
  try {
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
      return utf8Strict.decode(bytes.subarray(3));
    if (bytes[0] === 0xff && bytes[1] === 0xfe)
      return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff)
      return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    const text = utf8Strict.decode(bytes);
    // NUL bytes never occur in the text formats we read; they mark binary data.
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/** Strict UTF-8 decoding of decrypted plaintext; null when invalid. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}
