import { decodeBase64url, encodeBase64url } from './base64url.js';

/** Unpadded base64url (RFC 4648 §5), the encoding of every binary value in vault headers. */
export function toB64u(bytes: Uint8Array): string {
  return encodeBase64url(bytes);
}

/** Decodes unpadded base64url; `field` names the value in the error. */
export function fromB64u(text: string, field: string): Uint8Array {
  try {
    return decodeBase64url(text);
  } catch {
    throw new TypeError(`${field} is not unpadded base64url`);
  }
}

/** Random bytes from the platform CSPRNG (WebCrypto in Node and browsers). */
export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}
