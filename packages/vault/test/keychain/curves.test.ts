import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ed25519FromSeed, nativeCurves, x25519PublicKey, x25519Shared } from '../../src/keychain/curves.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

// Verification is @tessera/protocol's ed25519Verify (packages/protocol/test/ed25519.test.ts).
describe('Ed25519 and X25519 on OpenSSL (keychain/curves.ts)', () => {
  it('runs on OpenSSL under Node', () => {
    expect(nativeCurves).toBe(true);
  });

  it('gives the same public keys, signatures and shared secrets as @noble/curves', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), fc.uint8Array({ maxLength: 200 }), (seed, other, message) => {
        const key = ed25519FromSeed(seed);
        expect(key.publicKey).toEqual(ed25519.getPublicKey(seed));
        const signature = key.sign(message);
        expect(signature).toEqual(ed25519.sign(message, seed));
        expect(x25519PublicKey(seed)).toEqual(x25519.getPublicKey(seed));
        const peer = x25519.getPublicKey(other);
        expect(x25519Shared(seed, peer)).toEqual(x25519.getSharedSecret(seed, peer));
      }),
      { numRuns: 200 },
    );
  });

  it('throws where noble throws: a low-order X25519 peer (u = 0)', () => {
    expect(() => x25519Shared(new Uint8Array(32).fill(9), new Uint8Array(32))).toThrow();
  });
});
