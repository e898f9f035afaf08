/**
 * The two symmetric primitives of docs/PROTOCOL.md: HKDF-SHA256 (RFC 5869) and XChaCha20-Poly1305
 * with a random 24-byte nonce, output `nonce || ciphertext || tag`. Composed from @noble, nothing
 * hand-written.
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
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

/** AEAD seal: `nonce || XChaCha20-Poly1305(key, nonce, aad, plaintext)`. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  return concat(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext));
}

/** AEAD open; returns null when the tag, key or associated data do not match. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), aad).decrypt(sealed.subarray(NONCE_BYTES));
  } catch {
    return null;
  }
}
