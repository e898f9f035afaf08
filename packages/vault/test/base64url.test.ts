import fc from 'fast-check';
import { base64urlnopad } from '@scure/base';
import { describe, expect, it } from 'vitest';
import {
  availableCodecs,
  decodeBase64url,
  decodeBase64urlTransient,
  encodeBase64url,
} from '../src/base64url.js';

/** What @scure/base's strict decoder makes of `text`: the bytes, or null when it refuses. */
function scureDecode(text: string): Uint8Array | null {
  try {
    return base64urlnopad.decode(text);
  } catch {
    return null;
  }
}

function ourDecode(text: string, codec: Parameters<typeof decodeBase64url>[1]): Uint8Array | null {
  try {
    return decodeBase64url(text, codec);
  } catch {
    return null;
  }
}

/** Text near base64url: its letters plus padding, the other alphabet's letters, spaces and others. */
const nearlyBase64url = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .\n\u00e9'),
  maxLength: 40,
});

describe('native base64url', () => {
  const codecs = availableCodecs();

  it('has a native codec here, and the default is the first', () => {
    expect(codecs.length).toBeGreaterThan(0);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    expect(encodeBase64url(bytes)).toBe(encodeBase64url(bytes, codecs[0]!.codec));
  });

  for (const { name, codec } of codecs) {
    describe(name, () => {
      it('encodes exactly as @scure/base and decodes what it encodes', () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
            const text = encodeBase64url(bytes, codec);
            expect(text).toBe(base64urlnopad.encode(bytes));
            const back = decodeBase64url(text, codec);
            expect(back).toEqual(bytes);
            // A Uint8Array of its own, not a view of a shared pool.
            expect(back.byteOffset).toBe(0);
            expect(back.buffer.byteLength).toBe(bytes.length);
          }),
          { numRuns: 500 },
        );
      });

      it('accepts and refuses exactly the text @scure/base accepts and refuses', () => {
        fc.assert(
          fc.property(nearlyBase64url, (text) => {
            expect(ourDecode(text, codec)).toEqual(scureDecode(text));
          }),
          { numRuns: 3000 },
        );
      });

      it('refuses padding, stray bits, a stray letter and the standard alphabet', () => {
        for (const bad of ['AA==', 'AB', 'AAB', 'A', 'AAAAA', 'a+b/', 'AA AA', ' AAAA']) {
          expect(scureDecode(bad)).toBeNull();
          expect(ourDecode(bad, codec)).toBeNull();
        }
        expect(ourDecode('AA', codec)).toEqual(new Uint8Array([0]));
        expect(ourDecode('AAE', codec)).toEqual(new Uint8Array([0, 1]));
        expect(ourDecode('', codec)).toEqual(new Uint8Array([]));
      });
    });
  }
});

describe('decodeBase64urlTransient (a ciphertext read once)', () => {
  const transient = (text: string): Uint8Array | null => {
    try {
      return decodeBase64urlTransient(text);
    } catch {
      return null;
    }
  };

  it('accepts and refuses exactly the text @scure/base accepts and refuses, with the same bytes', () => {
    fc.assert(
      fc.property(nearlyBase64url, (text) => {
        const ours = transient(text);
        const theirs = scureDecode(text);
        expect(ours === null ? null : Uint8Array.from(ours)).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(Uint8Array.from(decodeBase64urlTransient(base64urlnopad.encode(bytes)))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
