/**
 * Ed25519 and X25519 from OpenSSL where the platform has it, @noble/curves elsewhere. Both compute
 * the same functions: Ed25519 signing and key derivation are deterministic (RFC 8032), X25519 is
 * RFC 7748, so a signature, public key or shared secret is the same bytes either way, and each costs
 * one OpenSSL call instead of scalar multiplications in cold JavaScript (a restore signs and makes
 * four X25519 agreements; issue 14). Any OpenSSL failure (an input it will not take, an all-zero
 * X25519 result) falls back to noble, which then decides as before. Verification, the one operation
 * whose answer can differ between the two at the edges, is `ed25519Verify` in @tessera/protocol, the
 * check the server applies too.
 * Browser-safe: node:crypto comes from @tessera/iso (fetched at run time, never imported).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { nodeCrypto, type NodeCrypto, type NodeKeyObject } from '@tessera/iso';

/** DER prefixes of a raw 32-byte key (RFC 8410): PKCS #8 private, SubjectPublicKeyInfo public. */
const DER = {
  ed25519: { pkcs8: hex('302e020100300506032b657004220420') },
  x25519: {
    pkcs8: hex('302e020100300506032b656e04220420'),
    spki: hex('302a300506032b656e032100'),
  },
};

function hex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((b) => parseInt(b, 16)));
}

function der(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}

function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Runs `native` on OpenSSL when there is one; on any failure (or none), `fallback`. */
function either<T>(native: (crypto: NodeCrypto) => T, fallback: () => T): T {
  if (nodeCrypto) {
    try {
      return native(nodeCrypto);
    } catch {
      // OpenSSL refused an input; noble decides (it throws or returns as it always did).
    }
  }
  return fallback();
}

function privateKey(crypto: NodeCrypto, curve: keyof typeof DER, secret: Uint8Array): NodeKeyObject {
  if (secret.length !== 32) throw new Error('a 32-byte private key is needed');
  return crypto.createPrivateKey({ key: der(DER[curve].pkcs8, secret), format: 'der', type: 'pkcs8' });
}

function x25519NodePublicKey(crypto: NodeCrypto, pub: Uint8Array): NodeKeyObject {
  if (pub.length !== 32) throw new Error('a 32-byte public key is needed');
  return crypto.createPublicKey({ key: der(DER.x25519.spki, pub), format: 'der', type: 'spki' });
}

function rawPublic(crypto: NodeCrypto, key: NodeKeyObject): Uint8Array {
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return bytes(spki).slice(spki.length - 32);
}

/** An Ed25519 key from its 32-byte seed: public key and signing (same bytes as noble's). */
export function ed25519FromSeed(seed: Uint8Array): {
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
} {
  const secret = seed.slice();
  let native: NodeKeyObject | null = null;
  const key = (crypto: NodeCrypto) => (native ??= privateKey(crypto, 'ed25519', secret));
  return {
    publicKey: either(
      (crypto) => rawPublic(crypto, key(crypto)),
      () => ed25519.getPublicKey(secret),
    ),
    sign: (message) =>
      either(
        (crypto) => bytes(crypto.sign(null, message, key(crypto))).slice(),
        () => ed25519.sign(message, secret),
      ),
  };
}

/** The X25519 public key of `secret` (clamped per RFC 7748 §5, as noble does). */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  return either(
    (crypto) => rawPublic(crypto, privateKey(crypto, 'x25519', secret)),
    () => x25519.getPublicKey(secret),
  );
}

/** `X25519(secret, peer)`; throws where noble throws (a low-order peer, an all-zero result). */
export function x25519Shared(secret: Uint8Array, peer: Uint8Array): Uint8Array {
  return either(
    (crypto) =>
      bytes(
        crypto.diffieHellman({
          privateKey: privateKey(crypto, 'x25519', secret),
          publicKey: x25519NodePublicKey(crypto, peer),
        }),
      ).slice(),
    () => x25519.getSharedSecret(secret, peer),
  );
}

/** Whether OpenSSL does the work here (tests compare both paths). */
export const nativeCurves = nodeCrypto !== undefined;
