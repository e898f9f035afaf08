/**
 * The two symmetric primitives of docs/PROTOCOL.md: HKDF-SHA256 (RFC 5869) and XChaCha20-Poly1305
 * with a random 24-byte nonce, output `nonce || ciphertext || tag`. Composed from @noble (the AEAD's
 * bulk work from OpenSSL on Node, see xchacha.ts), nothing hand-written.
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { platformXChaCha } from '../xchacha.js';
import { concat, randomBytes, utf8 } from './bytes.js';

const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/** `HKDF(ikm, salt, info, len)`; `salt` and `info` given as text are UTF-8 encoded. */
export function hkdf(options: {
  ikm: Uint8Array;
  salt?: Uint8Array | string;
  info: string;
  length?: number;
}): Uint8Array {
  const salt = typeof options.salt === 'string' ? utf8(options.salt) : (options.salt ?? new Uint8Array(0));
  return nobleHkdf(sha256, options.ikm, salt, utf8(options.info), options.length ?? 32);
}

/** AEAD seal: `nonce || XChaCha20-Poly1305(key, nonce, aad, plaintext)` (OpenSSL's on Node, see xchacha.ts). */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  return concat(nonce, platformXChaCha.encrypt(key, nonce, aad, plaintext));
}

/** AEAD open; returns null when the tag, key or associated data do not match. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  try {
    return platformXChaCha.decrypt(key, sealed.subarray(0, NONCE_BYTES), aad, sealed.subarray(NONCE_BYTES));
  } catch {
    return null;
  }
}
