/**
 * The one Ed25519 check of Tessera: circle links, device proofs and every other signature, on the
 * server and in every client, accepted by the same rule.
 *
 * The rule is ZIP-215 (https://zips.z.cash/zip-0215), as @noble/curves' `ed25519.verify` applies it:
 * non-canonical point encodings are taken and the cofactored equation `[8][S]B = [8]R + [8][k]A` is
 * checked. RFC 8032 §5.1.7 allows either equation, and implementations differ at the edges; a
 * signature one side accepts and another refuses would split the circle (the server storing a link a
 * device then rejects, or the reverse), so all of them must draw the same line, and noble's ZIP-215 line
 * is the one that runs everywhere, browsers included.
 *
 * On Node the check asks OpenSSL first: its RFC 8032 check (canonical encodings, the cofactorless
 * equation) accepts a subset of what ZIP-215 accepts, so when it says yes the answer is final, and an
 * honest signature costs one native call instead of two scalar multiplications in cold JavaScript (a
 * restore verifies every link of the circle, a join posts one; issue 14). When it says no, noble
 * decides: the accepted set is exactly noble's either way.
 *
 * Browser-safe: the web app and the extension bundle this module, so node:crypto comes from
 * @tessera/iso (fetched at run time, never imported); without it, noble alone decides.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { nodeCrypto } from '@tessera/iso';

/** DER prefix of a SubjectPublicKeyInfo holding a raw 32-byte Ed25519 key (RFC 8410 §4). */
const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

/** A signature to check: all raw bytes (a 32-byte public key, a 64-byte signature). */
export interface Ed25519Signed {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/** OpenSSL's RFC 8032 answer; false where there is no OpenSSL or it will not take the input. */
function opensslAccepts({ publicKey, message, signature }: Ed25519Signed): boolean {
  if (!nodeCrypto || publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const spki = new Uint8Array(SPKI_PREFIX.length + 32);
    spki.set(SPKI_PREFIX);
    spki.set(publicKey, SPKI_PREFIX.length);
    const key = nodeCrypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return nodeCrypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * True when `signature` is `publicKey`'s Ed25519 signature of `message` under the ZIP-215 rule (see
 * the module comment); false for a wrong signature and for any malformed input (never throws).
 */
export function ed25519Verify(signed: Ed25519Signed): boolean {
  if (opensslAccepts(signed)) return true;
  try {
    return ed25519.verify(signed.signature, signed.message, signed.publicKey, { zip215: true });
  } catch {
    return false;
  }
}
