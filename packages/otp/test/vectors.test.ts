import { describe, expect, it } from 'vitest';
import { base32Decode, forgetKeys, hotp, steam, totp, type Algorithm } from '@tessera/otp';

const ascii = (text: string) => new TextEncoder().encode(text);

// RFC 4226 Appendix D: secret "12345678901234567890", HMAC-SHA1, 6 digits.
const RFC4226_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC4226_CODES = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

// RFC 6238 Appendix B, 8 digits, with the per-hash seeds its reference code uses (export-formats.md §9).
const RFC6238_SEEDS: Record<Algorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const RFC6238_TABLE: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

const NEW_YEAR_2023 = 1672531200;

describe('HOTP, RFC 4226 Appendix D', () => {
  it.each(RFC4226_CODES.map((code, counter) => [counter, code] as const))(
    'counter %i → %s',
    (counter, code) => {
      expect(hotp({ secret: RFC4226_SECRET, counter })).toBe(code);
      expect(hotp({ secret: ascii('12345678901234567890'), counter })).toBe(code);
      expect(hotp({ secret: RFC4226_SECRET, counter: BigInt(counter) })).toBe(code);
    },
  );
});

describe('TOTP, RFC 6238 Appendix B', () => {
  for (const [time, ...codes] of RFC6238_TABLE) {
    (['SHA1', 'SHA256', 'SHA512'] as const).forEach((algorithm, column) => {
      it(`${algorithm} at ${time} → ${codes[column]}`, () => {
        const seed = ascii(RFC6238_SEEDS[algorithm]);
        expect(totp({ secret: seed, time, algorithm, digits: 8 })).toBe(codes[column]);
        // The same through Base32 text, which takes the cached-key path.
        expect(totp({ secret: b32(seed), time, algorithm, digits: 8 })).toBe(codes[column]);
      });
    });
  }
});

function b32(bytes: Uint8Array): string {
  // Independent of base32Encode: RFC 4648 §6 by bit string, to check the engine's decoder too.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...bytes].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

describe('Bitwarden SDK vectors (totp.rs) at 2023-01-01T00:00:00Z', () => {
  it('SHA1, 6 digits, 30 s', () => {
    expect(totp({ secret: 'WQIQ25BRKZYCJVYP', time: NEW_YEAR_2023 })).toBe('194506');
  });
  it('period 60', () => {
    expect(totp({ secret: 'WQIQ25BRKZYCJVYP', time: NEW_YEAR_2023, period: 60 })).toBe('730364');
  });
  it('SHA256', () => {
    expect(totp({ secret: 'WQIQ25BRKZYCJVYP', time: NEW_YEAR_2023, algorithm: 'SHA256' })).toBe('842615');
  });
  it('Steam', () => {
    expect(steam({ secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ', time: NEW_YEAR_2023 })).toBe('7W6CJ');
  });
});

describe('64-bit counters and far-future times', () => {
  // Expected values computed independently with Python's hmac module.
  const seed = ascii('12345678901234567890');
  it.each([
    [2n ** 32n, '999456', '0843669221'],
    [2n ** 53n - 1n, '891307', '0868989062'],
    [2n ** 53n, '860690', '1181752781'],
    [2n ** 63n, '959616', '0997840280'],
    [2n ** 64n - 1n, '094451', '1111381515'],
  ])('counter %s', (counter, sha1Code, sha512Ten) => {
    expect(hotp({ secret: seed, counter })).toBe(sha1Code);
    expect(hotp({ secret: seed, counter, algorithm: 'SHA512', digits: 10 })).toBe(sha512Ten);
    if (counter <= BigInt(Number.MAX_SAFE_INTEGER)) {
      expect(hotp({ secret: seed, counter: Number(counter) })).toBe(sha1Code);
    }
  });

  it('TOTP in the year 10000', () => {
    expect(totp({ secret: seed, time: 253402300800, digits: 8 })).toBe('33896606');
  });

  it('the largest time accepted still gives a code, and one beyond is refused', () => {
    expect(totp({ secret: seed, time: Number.MAX_SAFE_INTEGER })).toMatch(/^\d{6}$/);
    expect(() => totp({ secret: seed, time: 2 ** 60 })).toThrow(/^time: /);
  });
});

describe('digits and periods', () => {
  it('pads with leading zeros to the asked length', () => {
    // RFC 6238 SHA1 at 1111111109 is 07081804 with 8 digits.
    expect(totp({ secret: RFC4226_SECRET, time: 1111111109, digits: 7 })).toBe('7081804');
    expect(totp({ secret: RFC4226_SECRET, time: 1111111109, digits: 8 })).toBe('07081804');
    expect(totp({ secret: RFC4226_SECRET, time: 1111111109, digits: 10 })).toBe('0907081804');
  });

  it('uses floor(time / period) as the counter (RFC 6238 §4.2), fractions included', () => {
    for (const period of [1, 7, 30, 60, 86400]) {
      const time = 1_700_000_123.9;
      expect(totp({ secret: RFC4226_SECRET, time, period })).toBe(
        hotp({ secret: RFC4226_SECRET, counter: Math.floor(time / period) }),
      );
    }
  });
});

describe('key-state cache', () => {
  it('keeps codes right across evictions and after forgetKeys()', () => {
    const secrets = Array.from({ length: 2500 }, (_, i) => b32(ascii(`secret number ${i} padding`)));
    const expected = secrets.map((secret) => totp({ secret: base32Decode(secret), time: NEW_YEAR_2023 }));
    for (let round = 0; round < 2; round++) {
      secrets.forEach((secret, i) => expect(totp({ secret, time: NEW_YEAR_2023 })).toBe(expected[i]));
    }
    forgetKeys();
    secrets.forEach((secret, i) => expect(totp({ secret, time: NEW_YEAR_2023 })).toBe(expected[i]));
  });

  it('keeps algorithms apart for one secret', () => {
    const secret = 'WQIQ25BRKZYCJVYP';
    expect(totp({ secret, time: NEW_YEAR_2023, algorithm: 'SHA256' })).toBe('842615');
    expect(totp({ secret, time: NEW_YEAR_2023 })).toBe('194506');
    expect(totp({ secret, time: NEW_YEAR_2023, algorithm: 'SHA256' })).toBe('842615');
  });

  it("gives the same code for a secret's first use (node:crypto on Node) and later ones (noble's cached state)", () => {
    for (const [time, ...codes] of RFC6238_TABLE) {
      (['SHA1', 'SHA256', 'SHA512'] as const).forEach((algorithm, column) => {
        forgetKeys();
        const secret = b32(ascii(RFC6238_SEEDS[algorithm]));
        for (const use of ['first', 'cached']) {
          expect(totp({ secret, time, algorithm, digits: 8 }), `${use} ${algorithm} ${time}`).toBe(
            codes[column],
          );
        }
      });
    }
  });

  it('never caches text that is not Base32', () => {
    expect(() => totp({ secret: 'not base32!', time: 0 })).toThrow(/^secret: /);
    expect(() => totp({ secret: 'not base32!', time: 0 })).toThrow(/^secret: /);
  });
});
