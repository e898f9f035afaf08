/**
 * Ed25519 verification of circle links and device proofs: OpenSSL first, @noble/curves when it
 * refuses. OpenSSL follows RFC 8032 strictly (canonical encodings, the cofactorless equation) and
 * noble accepts ZIP-215 (non-canonical encodings, the cofactored equation); every signature OpenSSL
 * accepts noble accepts too, so the accepted set is exactly noble's, as the clients' (vault
 * keychain/curves.ts) is. An honest link costs one OpenSSL call instead of two scalar
 * multiplications in cold JavaScript (each join posts one; issue 14).
 */
import { createPublicKey, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromB64u } from './bytes.js';

/** SubjectPublicKeyInfo prefix of a raw 32-byte Ed25519 key (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** OpenSSL's answer; false for anything it will not take (noble then decides). */
function opensslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** True when `signature` (b64u) is `publicKey`'s (b64u) signature of utf8(`message`); false on any malformed input. */
export function verifySignature(options: { publicKey: string; message: string; signature: string }): boolean {
  try {
    const signature = fromB64u(options.signature);
    const message = new TextEncoder().encode(options.message);
    const publicKey = fromB64u(options.publicKey);
    return opensslVerify(publicKey, message, signature) || ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
