import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleXChaCha } from '@tessera/vault';
import { nativeXChaCha as nodeImported } from '../src/node/native-aead.js';
import { platformXChaCha } from '../src/xchacha.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

it('the browser-safe platformXChaCha is the native one on Node', () => {
  expect(platformXChaCha).not.toBe(nobleXChaCha);
});

// node/native-aead.ts (imported node:crypto) and xchacha.ts's platformXChaCha (getBuiltinModule).
describe.each([
  ['node/native-aead', nodeImported],
  ['platformXChaCha', platformXChaCha],
])('native XChaCha20-Poly1305 (HChaCha20 + OpenSSL ChaCha20-Poly1305): %s', (_name, nativeXChaCha) => {
  it('produces the same bytes as @noble/ciphers and opens what noble sealed', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(24),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, nonce, aad, plaintext) => {
          const sealed = nativeXChaCha.encrypt(key, nonce, aad, plaintext);
          expect(sealed).toEqual(nobleXChaCha.encrypt(key, nonce, aad, plaintext));
          expect(
            nativeXChaCha.decrypt(key, nonce, aad, nobleXChaCha.encrypt(key, nonce, aad, plaintext)),
          ).toEqual(plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches the draft-irtf-cfrg-xchacha-03 §A.3.1 test vector', () => {
    const hex = (h: string) =>
      Uint8Array.from(
        h
          .replace(/\s/g, '')
          .match(/../g)!
          .map((b) => parseInt(b, 16)),
      );
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const sealed = nativeXChaCha.encrypt(key, nonce, aad, plaintext);
    expect(Buffer.from(sealed.subarray(sealed.length - 16)).toString('hex')).toBe(
      'c0875924c1c7987947deafd8780acf49',
    );
    expect(Buffer.from(sealed.subarray(0, 8)).toString('hex')).toBe('bd6d179d3e83d43b');
  });

  it('refuses any change to ciphertext, tag or associated data', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const sealed = nativeXChaCha.encrypt(key, nonce, new Uint8Array([1, 2]), new Uint8Array([5, 6, 7]));
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i]! ^= 1;
      expect(() => nativeXChaCha.decrypt(key, nonce, new Uint8Array([1, 2]), bad)).toThrow();
    }
    expect(() => nativeXChaCha.decrypt(key, nonce, new Uint8Array([1, 3]), sealed)).toThrow();
    expect(() => nativeXChaCha.decrypt(key, nonce, new Uint8Array(0), sealed.subarray(0, 10))).toThrow();
  });
});
