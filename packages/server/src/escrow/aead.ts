/** XChaCha20-Poly1305 with a random 24-byte nonce, output `nonce || ciphertext || tag` (docs/PROTOCOL.md notation). */
import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

const NONCE_BYTES = 24;
const utf8 = (s: string) => new TextEncoder().encode(s);

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Uint8Array {
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
  const body = xchacha20poly1305(key, nonce, utf8(aad)).encrypt(plaintext);
  const out = new Uint8Array(NONCE_BYTES + body.length);
  out.set(nonce);
  out.set(body, NONCE_BYTES);
  return out;
}

/** Throws if the tag does not verify (wrong key, wrong aad or tampered data). */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array {
  if (sealed.length < NONCE_BYTES + 16) throw new Error('sealed data too short');
  return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), utf8(aad)).decrypt(
    sealed.subarray(NONCE_BYTES),
  );
}
