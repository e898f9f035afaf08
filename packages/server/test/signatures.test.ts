// The server's Ed25519 check (src/signatures.ts): OpenSSL first, noble when it refuses, so it accepts
// exactly what @noble/curves accepts (ZIP-215), as the clients do, at OpenSSL's cost (issue 14).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { verifySignature } from '../src/signatures.js';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

describe('verifySignature', () => {
  it('agrees with noble on honest signatures and on tampered ones', () => {
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

  it('refuses malformed keys and signatures without throwing', () => {
    const seed = new Uint8Array(32).fill(5);
    const sig = b64u(ed25519.sign(new TextEncoder().encode('m'), seed));
    const publicKey = b64u(ed25519.getPublicKey(seed));
    expect(verifySignature({ publicKey: publicKey.slice(2), message: 'm', signature: sig })).toBe(false);
    expect(verifySignature({ publicKey, message: 'm', signature: sig.slice(3) })).toBe(false);
    expect(verifySignature({ publicKey, message: 'm', signature: '!!' })).toBe(false);
    expect(verifySignature({ publicKey: b64u(new Uint8Array(32)), message: 'm', signature: sig })).toBe(
      false,
    );
  });

  it('accepts a ZIP-215 signature that OpenSSL alone refuses, as the clients do', () => {
    // R = rB + T with T of order 2: the cofactored equation (noble) holds, the cofactorless (OpenSSL) not.
    const { Point } = ed25519;
    const L = Point.Fn.ORDER;
    const seed = new Uint8Array(32).fill(3);
    const A = ed25519.getPublicKey(seed);
    const a = ed25519.utils.getExtendedPublicKey(seed).scalar;
    const r = 987654321n;
    const T = Point.fromBytes(toLe((1n << 255n) - 19n - 1n));
    const R = Point.BASE.multiply(r).add(T).toBytes();
    const message = 'zip215';
    const m = new TextEncoder().encode(message);
    const k = le(sha512(new Uint8Array([...R, ...A, ...m]))) % L;
    const signature = new Uint8Array([...R, ...toLe((r + k * a) % L)]);
    expect(ed25519.verify(signature, m, A)).toBe(true);
    expect(verifySignature({ publicKey: b64u(A), message, signature: b64u(signature) })).toBe(true);
  });
});
