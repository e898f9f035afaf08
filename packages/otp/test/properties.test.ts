import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUri, normalizeEntry, OtpError, parseUri, type OtpEntry } from '@tessera/otp';

/** Any text an issuer or account could hold, astral characters and URI delimiters included. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...':/?#&=+%@ aZ9é😀\t'.split(/(?:)/u)), maxLength: 20 }),
);

const extraName = fc
  .string({ minLength: 1, maxLength: 12, unit: 'binary' })
  .filter(
    (name) =>
      !['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter', 'encoder'].includes(
        name.toLowerCase(),
      ),
  );

const entryArbitrary: fc.Arbitrary<OtpEntry> = fc
  .record({
    type: fc.constantFrom('totp', 'hotp', 'steam'),
    secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    algorithm: fc.constantFrom('SHA1', 'SHA256', 'SHA512'),
    digits: fc.integer({ min: 6, max: 10 }),
    period: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    counter: fc.maxSafeNat(),
    issuer: text,
    account: text,
    extra: fc.option(fc.dictionary(extraName, text, { maxKeys: 3 }), { nil: undefined }),
  })
  .map((raw) =>
    normalizeEntry(
      raw.type === 'steam' ? { ...raw, algorithm: undefined, digits: undefined, period: undefined } : raw,
    ),
  );

/** Strings shaped like URIs, so the parser's deeper branches get arbitrary input too. */
const uriLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom('otpauth://', 'OTPAUTH://', 'steam://', 'otpauth:/', ''),
      fc.constantFrom('totp', 'hotp', 'steam', 'TOTP', 'yaotp', ''),
      fc.string({ unit: fc.constantFrom(...'/:%3Aa +@é?&=#'.split('')), maxLength: 30 }),
      fc.array(
        fc.tuple(
          fc.constantFrom(
            'secret',
            'SECRET',
            'issuer',
            'algorithm',
            'digits',
            'period',
            'counter',
            'encoder',
            'x',
            '',
          ),
          fc.oneof(
            fc.constantFrom(
              'JBSWY3DPEHPK3PXP',
              'jbsw y3dp',
              'sha256',
              'SHA512',
              'md5',
              '6',
              '8',
              '30',
              '0',
              '-1',
              'steam',
              '%zz',
              'a+b',
            ),
            fc.string({ maxLength: 12 }),
          ),
        ),
        { maxLength: 8 },
      ),
    )
    .map(
      ([scheme, host, label, params]) =>
        `${scheme}${host}/${label}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`,
    ),
);

function parseOrTypedError(uri: string): OtpEntry | undefined {
  try {
    return parseUri(uri);
  } catch (err) {
    if (!(err instanceof OtpError)) throw err;
    expect(err.message).toBe(`${err.field}: ${err.reason}`);
    return undefined;
  }
}

describe('otpauth:// properties', () => {
  it('formatUri(entry) parses back to the same entry, and formats to the same text again', () => {
    fc.assert(
      fc.property(entryArbitrary, (entry) => {
        const uri = formatUri(entry);
        const parsed = parseUri(uri);
        expect(parsed).toEqual(entry);
        expect(formatUri(parsed)).toBe(uri);
      }),
      { numRuns: 500 },
    );
  });

  it('format(parse(u)) parses back to parse(u) whenever u parses', () => {
    fc.assert(
      fc.property(uriLike, (uri) => {
        const parsed = parseOrTypedError(uri);
        if (parsed) expect(parseUri(formatUri(parsed))).toEqual(parsed);
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary strings only ever raise OtpError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (input) => {
        parseOrTypedError(input);
        parseOrTypedError(`otpauth://totp/${input}`);
        parseOrTypedError(`otpauth://hotp/a?secret=JBSWY3DP&${input}`);
        parseOrTypedError(`steam://${input}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('parses adversarial 10,000-character inputs (no backtracking regular expression to blow up)', () => {
    const n = 10_000;
    const inputs = [
      `otpauth://totp/${':'.repeat(n)}?secret=JBSWY3DPEHPK3PXP`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&${'&'.repeat(n)}`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&${'a=&'.repeat(n / 3)}`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&x=${'='.repeat(n)}`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&x=${'%41'.repeat(n / 3)}`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&x=${'+'.repeat(n)}`,
      `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=${'%20'.repeat(n / 3)}`,
      `otpauth://totp/a?secret=${' '.repeat(n)}JBSWY3DP`,
      `otpauth://totp/a?secret=${'-'.repeat(n)}`,
      `otpauth://totp/a?digits=${'9'.repeat(n)}&secret=JBSWY3DP`,
      `otpauth://totp/${'%'.repeat(n)}`,
      `otpauth://${'/'.repeat(n)}`,
      `steam://${'/'.repeat(n)}x`,
      `${':'.repeat(n)}//`,
      `${'otpauth://'.repeat(n / 10)}`,
      ' '.repeat(n),
      `otpauth://totp/a?${'secret=JBSWY3DP&'.repeat(n / 16)}`,
    ];
    for (const input of inputs) {
      expect(input.length).toBeGreaterThanOrEqual(n - 20);
      parseOrTypedError(input);
      parseOrTypedError(input.repeat(6)); // beyond the length cap: refused at once
    }
  });
});
