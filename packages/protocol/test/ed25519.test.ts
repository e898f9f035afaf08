// The one Ed25519 check (src/ed25519.ts), used by the server and every client: it accepts exactly
// what @noble/curves accepts (ZIP-215), asking OpenSSL first under Node (issue 14).
import { createHash, createPublicKey, verify } from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519Verify } from '@tessera/protocol';

// Counts noble's verifications, to tell which side answered.
const noble = vi.hoisted(() => ({ calls: 0 }));
vi.mock('@noble/curves/ed25519.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('@noble/curves/ed25519.js')>();
  const verify: typeof real.ed25519.verify = (...args) => {
    noble.calls++;
    return real.ed25519.verify(...args);
  };
  return { ...real, ed25519: { ...real.ed25519, verify } };
});
beforeEach(() => {
  noble.calls = 0;
});

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/** The RFC 8032 check alone, as OpenSSL answers it. */
function opensslAlone(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
}

const P = (1n << 255n) - 19n;

/** A fixed key's signature of `text` with nonce point encoded as `R`, where R = rB plus a point of small order. */
function signWithR(R: Uint8Array, r: bigint, text: string) {
  const L = ed25519.Point.Fn.ORDER;
  const seed = new Uint8Array(32).fill(3);
  const publicKey = ed25519.getPublicKey(seed);
  const a = ed25519.utils.getExtendedPublicKey(seed).scalar;
  const message = new TextEncoder().encode(text);
  const k = le(createHash('sha512').update(R).update(publicKey).update(message).digest()) % L;
  return { publicKey, message, signature: new Uint8Array([...R, ...toLe((r + k * a) % L)]) };
}

/**
 * Signatures valid under ZIP-215 only. Mixed order: R = rB + T with T of order 2 (the point (0, -1)),
 * so the cofactored equation [8][S]B = [8]R + [8][k]A holds and the cofactorless [S]B = R + [k]A does
 * not. Non-canonical: R is the identity (r = 0) written with y = p + 1, which RFC 8032 decoding
 * refuses (y must be below p) and ZIP-215 takes.
 */
const ZIP215_ONLY = {
  'mixed order': () => {
    const r = 123456789n;
    const T = ed25519.Point.fromBytes(toLe(P - 1n));
    return signWithR(ed25519.Point.BASE.multiply(r).add(T).toBytes(), r, 'zip215');
  },
  'non-canonical R': () => signWithR(toLe(P + 1n), 0n, 'zip215'),
};

describe('ed25519Verify', () => {
  it('accepts honest signatures on OpenSSL alone, and refuses what noble refuses', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 200 }), fc.nat(63), (seed, message, at) => {
        const publicKey = ed25519.getPublicKey(seed);
        const signature = ed25519.sign(message, seed);
        noble.calls = 0;
        expect(ed25519Verify({ publicKey, message, signature })).toBe(true);
        expect(noble.calls).toBe(0);
        const longer = new Uint8Array([...message, 0]);
        expect(ed25519Verify({ publicKey, message: longer, signature })).toBe(false);
        const flipped = signature.slice();
        flipped[at]! ^= 1;
        const nobleSays = ed25519.verify(flipped, message, publicKey);
        expect(ed25519Verify({ publicKey, message, signature: flipped })).toBe(nobleSays);
        const otherKey = publicKey.slice();
        otherKey[at % 32]! ^= 1;
        let nobleOnKey: boolean;
        try {
          nobleOnKey = ed25519.verify(signature, message, otherKey);
        } catch {
          nobleOnKey = false;
        }
        expect(ed25519Verify({ publicKey: otherKey, message, signature })).toBe(nobleOnKey);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses malformed keys and signatures without throwing', () => {
    const seed = new Uint8Array(32).fill(5);
    const message = new TextEncoder().encode('m');
    const signature = ed25519.sign(message, seed);
    const publicKey = ed25519.getPublicKey(seed);
    expect(ed25519Verify({ publicKey: publicKey.subarray(1), message, signature })).toBe(false);
    expect(ed25519Verify({ publicKey, message, signature: signature.subarray(1) })).toBe(false);
    expect(ed25519Verify({ publicKey, message, signature: new Uint8Array([...signature, 0]) })).toBe(false);
    expect(ed25519Verify({ publicKey: new Uint8Array(32), message, signature })).toBe(false);
    expect(ed25519Verify({ publicKey, message, signature: new Uint8Array(64) })).toBe(false);
  });

  it.each(Object.entries(ZIP215_ONLY))(
    'accepts a ZIP-215 signature that OpenSSL alone refuses (%s), by asking noble',
    (_, make) => {
      const signed = make();
      expect(opensslAlone(signed.publicKey, signed.message, signed.signature)).toBe(false);
      expect(ed25519.verify(signed.signature, signed.message, signed.publicKey)).toBe(true);
      noble.calls = 0;
      expect(ed25519Verify(signed)).toBe(true);
      expect(noble.calls).toBe(1);
      expect(ed25519Verify({ ...signed, message: new TextEncoder().encode('zip216') })).toBe(false);
    },
  );
});
