import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, isCanonicalBase32, normalizeEntry, OtpError } from '@tessera/otp';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('Base32', () => {
  // RFC 4648 §10 test vectors, written without padding as Tessera writes them.
  it.each([
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('RFC 4648 §10: %s ↔ %s', (text, encoded) => {
    expect(base32Encode(ascii(text))).toBe(encoded);
    expect(base32Decode(encoded)).toEqual(ascii(text));
  });

  it('reads padded RFC 4648 text', () => {
    expect(base32Decode('MZXW6YQ=')).toEqual(ascii('foob'));
    expect(base32Decode('MY======')).toEqual(ascii('f'));
  });

  it('reads what people paste: lower case, spaces, hyphens, tabs, line breaks', () => {
    const canonical = base32Decode('JBSWY3DPEHPK3PXP');
    for (const pasted of [
      'jbswy3dpehpk3pxp',
      'JBSW Y3DP EHPK 3PXP',
      'jbsw-y3dp-ehpk-3pxp',
      ' JBSW\tY3DP\r\nEHPK3PXP ',
    ]) {
      expect(base32Decode(pasted)).toEqual(canonical);
    }
  });

  it('ignores leftover bits that do not fill a byte, as Google Authenticator does', () => {
    expect(base32Decode('MZXW6YR')).toEqual(ascii('foob')); // R carries non-zero leftover bits
    expect(base32Encode(base32Decode('MZXW6YR'))).toBe('MZXW6YQ');
  });

  it.each([
    ['', /^secret: is empty/],
    ['  - ', /^secret: is empty/],
    ['A', /^secret: is empty/],
    ['JBSWY3DP1', /^secret: not Base32: character 9 /],
    ['JBSWY3DP8', /^secret: not Base32/],
    ['JBSW=Y3DP', /^secret: not Base32: "=" padding before the end/],
    ['JBSWY3DPé', /^secret: not Base32/],
  ])('refuses %j with a typed error', (text, message) => {
    expect(() => base32Decode(text)).toThrow(OtpError);
    expect(() => base32Decode(text)).toThrow(message);
  });

  it('never echoes the secret in an error', () => {
    try {
      base32Decode('SUPERSECRETVALUE!');
      expect.unreachable();
    } catch (err) {
      expect((err as OtpError).field).toBe('secret');
      expect((err as Error).message).not.toContain('SUPERSECRET');
    }
  });

  it('caps the secret size', () => {
    expect(() => base32Decode('A'.repeat(2000))).toThrow(/^secret: longer than 1024 bytes/);
    expect(base32Decode('A'.repeat(1632))).toHaveLength(1020);
  });

  it('round-trips any bytes, and encodes canonically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        const text = base32Encode(bytes);
        expect(text).toMatch(/^[A-Z2-7]+$/);
        expect(base32Decode(text)).toEqual(bytes);
        expect(base32Decode(text.toLowerCase().replace(/(.{4})/g, '$1 '))).toEqual(bytes);
      }),
    );
  });

  // normalizeEntry keeps a secret for which this says true without decoding it: it must say true
  // exactly when decoding and encoding again gives the same text.
  it('tells canonical text exactly as a decode and encode round trip does', () => {
    const roundTrips = (text: string) => {
      try {
        return base32Encode(base32Decode(text)) === text;
      } catch {
        return false;
      }
    };
    const base32ish = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567az18= -'.split('')),
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          base32ish,
          fc.string({ maxLength: 20 }),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map(base32Encode),
        ),
        (text) => {
          expect(isCanonicalBase32(text)).toBe(roundTrips(text));
        },
      ),
      { numRuns: 2000 },
    );
    // Lengths no byte count encodes to, spare bits set, the size cap.
    for (const text of ['A', 'MZX', 'MZXW6YT', 'MZ', 'MB', 'MA', 'A'.repeat(1640), 'A'.repeat(1638)])
      expect(isCanonicalBase32(text)).toBe(roundTrips(text));
    expect(isCanonicalBase32('MB')).toBe(false);
    expect(isCanonicalBase32('MY')).toBe(true);
  });

  it('normalizeEntry still refuses a secret that is not canonical Base32 in a stored form', () => {
    // Lower case and spare bits are repaired as usual (the lenient path), not kept as they are.
    expect(normalizeEntry({ type: 'totp', secret: 'mzxw6' }).secret).toBe('MZXW6');
    expect(normalizeEntry({ type: 'totp', secret: 'MB' }).secret).toBe('MA');
    expect(() => normalizeEntry({ type: 'totp', secret: 'A' })).toThrow(/^secret: is empty/);
  });
});
