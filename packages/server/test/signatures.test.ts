// The server's Ed25519 check (src/signatures.ts): base64url and UTF-8 around the one check the
// clients apply too (`ed25519Verify` of @tessera/protocol, tested with its ZIP-215 edge in
// packages/protocol/test/ed25519.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { verifySignature } from '../src/signatures.js';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

describe('verifySignature', () => {
  it('accepts a signature of the UTF-8 message, and refuses another message or a flipped bit', () => {
    fc.assert(
      fc.property(bytes(32), fc.string({ maxLength: 100 }), fc.nat(63), (seed, message, at) => {
        const publicKey = b64u(ed25519.getPublicKey(seed));
        const sig = ed25519.sign(new TextEncoder().encode(message), seed);
        expect(verifySignature({ publicKey, message, signature: b64u(sig) })).toBe(true);
        expect(verifySignature({ publicKey, message: message + '.', signature: b64u(sig) })).toBe(false);
        const flipped = sig.slice();
        flipped[at]! ^= 1;
        const noble = ed25519.verify(flipped, new TextEncoder().encode(message), ed25519.getPublicKey(seed));
        expect(verifySignature({ publicKey, message, signature: b64u(flipped) })).toBe(noble);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses malformed base64url, keys and signatures without throwing', () => {
    const seed = new Uint8Array(32).fill(5);
    const sig = b64u(ed25519.sign(new TextEncoder().encode('m'), seed));
    const publicKey = b64u(ed25519.getPublicKey(seed));
    expect(verifySignature({ publicKey: publicKey.slice(2), message: 'm', signature: sig })).toBe(false);
    expect(verifySignature({ publicKey, message: 'm', signature: sig.slice(3) })).toBe(false);
    expect(verifySignature({ publicKey, message: 'm', signature: '!!' })).toBe(false);
    expect(verifySignature({ publicKey: '!!', message: 'm', signature: sig })).toBe(false);
  });
});
