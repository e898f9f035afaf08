/** Ed25519 verification (RFC 8032, @noble/curves) of circle links and device proofs. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromB64u } from './bytes.js';

/** True when `signature` (b64u) is `publicKey`'s (b64u) signature of utf8(`message`); false on any malformed input. */
export function verifySignature(options: { publicKey: string; message: string; signature: string }): boolean {
  try {
    return ed25519.verify(
      fromB64u(options.signature),
      new TextEncoder().encode(options.message),
      fromB64u(options.publicKey),
    );
  } catch {
    return false;
  }
}
