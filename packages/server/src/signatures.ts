/**
 * Ed25519 checks of circle links and device proofs, by `ed25519Verify` of @tessera/protocol: the
 * same check, and so the same accepted set (ZIP-215), as the clients', at OpenSSL's cost for an
 * honest signature (issue 14).
 */
import { ed25519Verify } from '@tessera/protocol';
import { fromB64u } from './bytes.js';

/** True when `signature` (b64u) is `publicKey`'s (b64u) signature of utf8(`message`); false on any malformed input. */
export function verifySignature(options: { publicKey: string; message: string; signature: string }): boolean {
  try {
    return ed25519Verify({
      publicKey: fromB64u(options.publicKey),
      message: new TextEncoder().encode(options.message),
      signature: fromB64u(options.signature),
    });
  } catch {
    return false;
  }
}
