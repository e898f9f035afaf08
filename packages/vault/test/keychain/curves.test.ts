import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  ed25519FromSeed,
  ed25519Verify,
  nativeCurves,
  x25519PublicKey,
  x25519Shared,
} from '../../src/keychain/curves.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

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
        expect(ed25519Verify(key.publicKey, message, signature)).toBe(true);
        expect(x25519PublicKey(seed)).toEqual(x25519.getPublicKey(seed));
        const peer = x25519.getPublicKey(other);
        expect(x25519Shared(seed, peer)).toEqual(x25519.getSharedSecret(seed, peer));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what noble refuses: another message, a flipped bit, malformed keys and signatures', () => {
    const key = ed25519FromSeed(new Uint8Array(32).fill(7));
    const message = new TextEncoder().encode('link');
    const signature = key.sign(message);
    expect(ed25519Verify(key.publicKey, new TextEncoder().encode('lInk'), signature)).toBe(false);
    const flipped = signature.slice();
    flipped[40]! ^= 1;
    expect(ed25519Verify(key.publicKey, message, flipped)).toBe(false);
    expect(ed25519Verify(key.publicKey.subarray(1), message, signature)).toBe(false);
    expect(ed25519Verify(key.publicKey, message, signature.subarray(1))).toBe(false);
    // A low-order X25519 peer (u = 0): noble throws, and so does the OpenSSL path.
    expect(() => x25519Shared(new Uint8Array(32).fill(9), new Uint8Array(32))).toThrow();
  });

  it('accepts exactly what noble accepts: a ZIP-215 signature OpenSSL alone would refuse', () => {
    // R = rB + T with T of order 2 (the point (0, -1)): the cofactored equation noble checks holds,
    // the cofactorless one OpenSSL checks does not.
    const { Point } = ed25519;
    const L = Point.Fn.ORDER;
    const seed = new Uint8Array(32).fill(3);
    const A = ed25519.getPublicKey(seed);
    const a = ed25519.utils.getExtendedPublicKey(seed).scalar;
    const r = 123456789n;
    const T = Point.fromBytes(toLe((1n << 255n) - 19n - 1n));
    const R = Point.BASE.multiply(r).add(T).toBytes();
    const message = new TextEncoder().encode('zip215');
    const k = le(sha512(new Uint8Array([...R, ...A, ...message]))) % L;
    const signature = new Uint8Array([...R, ...toLe((r + k * a) % L)]);
    expect(ed25519.verify(signature, message, A)).toBe(true);
    expect(ed25519Verify(A, message, signature)).toBe(true);
  });
});
