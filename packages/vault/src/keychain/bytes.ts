/**
 * Byte helpers shared by the keychain modules (browser-safe; base64url and randomness come from the
 * vault's own helpers).
 */
import { fromB64u as decodeB64u, randomBytes, toB64u } from '../bytes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeCrypto } from '@tessera/iso';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export { randomBytes };

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, refusing malformed input instead of substituting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Unpadded base64url (RFC 4648 §5), the protocol's encoding for every binary field. */
export const b64u = toB64u;

/** Decodes unpadded base64url; `field` names the value in the error. */
export function fromB64u(text: string, field = 'value'): Uint8Array {
  return decodeB64u(text, field);
}

/** Concatenation `a || b || ...`. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * SHA-256 (OpenSSL's on Node, @noble/hashes elsewhere; the same digest). A sync round hashes every
 * record it pulls, and OpenSSL's SHA-256 is several times faster than the JavaScript one before the
 * JIT warms up.
 */
export function hash(bytes: Uint8Array): Uint8Array {
  if (!nodeCrypto) return sha256(bytes);
  const digest = nodeCrypto.hash
    ? nodeCrypto.hash('sha256', bytes, 'buffer')
    : nodeCrypto.createHash('sha256').update(bytes).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/**
 * Compares two byte strings in time that depends only on their lengths, for secrets and codes.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** A copy backed by a plain ArrayBuffer, as WebCrypto's `BufferSource` parameters require. */
export function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
