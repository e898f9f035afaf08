import { DEFAULTS } from './defaults.js';
import { OtpError } from './errors.js';

// RFC 4648 §6 alphabet. Hand-written rather than @scure/base because people paste secrets with
// spaces, hyphens, lower case and leftover bits that a strict decoder refuses.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Character code → 5-bit value, -1 for characters that are not Base32, -2 for separators we skip. */
const DECODE = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    table[ALPHABET.charCodeAt(i)] = i;
    table[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  for (const separator of ' \t\r\n-') table[separator.charCodeAt(0)] = -2;
  return table;
})();

const PAD = 0x3d; // '='

/**
 * Decodes Base32 as people paste it: any case, spaces and hyphens anywhere, optional `=` padding.
 * Trailing bits that do not fill a byte are ignored, as Google Authenticator and Bitwarden do.
 * Throws `OtpError('secret', …)` without echoing the text, since it is usually a secret.
 */
export function base32Decode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new OtpError('secret', 'must be a Base32 string');
  const maxChars = Math.ceil((DEFAULTS.limits.maxSecretBytes * 8) / 5) + 64; // room for separators
  if (text.length > maxChars * 2) {
    throw new OtpError('secret', `longer than ${DEFAULTS.limits.maxSecretBytes} bytes`);
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let length = 0;
  let padding = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === PAD) {
      padding = true;
      continue;
    }
    const value = code < 128 ? (DECODE[code] as number) : -1;
    if (value === -2) continue;
    if (value < 0) {
      throw new OtpError('secret', `not Base32: character ${i + 1} is not A-Z or 2-7`);
    }
    if (padding) throw new OtpError('secret', 'not Base32: "=" padding before the end');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = buffer >>> bits;
    }
  }
  if (length === 0) throw new OtpError('secret', 'is empty');
  if (length > DEFAULTS.limits.maxSecretBytes) {
    throw new OtpError('secret', `longer than ${DEFAULTS.limits.maxSecretBytes} bytes`);
  }
  return out.slice(0, length);
}

/**
 * Whether `text` is already what `base32Encode(base32Decode(text))` returns: upper-case alphabet
 * only, no padding, exactly as many characters as its bytes need, the spare bits zero, and 1 to
 * `maxSecretBytes` bytes. Lets a stored secret (always canonical) be checked without decoding it.
 */
export function isCanonicalBase32(text: string): boolean {
  const length = text.length;
  const bytes = Math.floor((length * 5) / 8);
  if (bytes === 0 || bytes > DEFAULTS.limits.maxSecretBytes || Math.ceil((bytes * 8) / 5) !== length)
    return false;
  let last = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    // A-Z or 2-7 only (the lower-case letters the lenient decoder takes are not canonical).
    if (code >= 0x41 && code <= 0x5a) last = code - 0x41;
    else if (code >= 0x32 && code <= 0x37) last = code - 0x32 + 26;
    else return false;
  }
  const spare = length * 5 - bytes * 8;
  return (last & ((1 << spare) - 1)) === 0;
}

/** Encodes bytes as canonical Base32: upper case, no padding (Key URI Format: padding "should be omitted"). */
export function base32Encode(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new OtpError('secret', 'must be bytes');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
