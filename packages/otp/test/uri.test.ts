import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatUri, generateCode, parseUri, type OtpEntry } from '@tessera/otp';
import { fieldOf, SEVEN } from './fixtures.js';

const NEW_YEAR_2023 = 1672531200;
const AEGIS_PLAIN = new URL('../../../../shared/reference-exports/aegis-v3.4.2/plain.txt', import.meta.url);

describe('the seven Aegis test URIs (hand-written equivalents)', () => {
  it.each(SEVEN.map((item) => [item.entry.issuer, item] as const))('%s', (_issuer, { uri, entry, code }) => {
    expect(parseUri(uri)).toEqual(entry);
    expect(generateCode({ entry: parseUri(uri), time: NEW_YEAR_2023 })).toBe(code);
    expect(parseUri(formatUri(entry))).toEqual(entry);
  });

  it('formats them back to the same text, except the form-encoded "+"', () => {
    for (const { uri, entry } of SEVEN) {
      expect(formatUri(entry)).toBe(uri.replace('issuer=Air+Canada', 'issuer=Air%20Canada'));
    }
  });
});

// The GPL reference file is read where this checkout has it beside it; it is never copied in.
if (existsSync(AEGIS_PLAIN))
  describe('reference-exports/aegis-v3.4.2/plain.txt', () => {
    it('parses all seven lines to the expected entries', () => {
      const lines = readFileSync(AEGIS_PLAIN, 'utf8').split('\n').filter(Boolean);
      expect(lines).toHaveLength(7);
      for (const line of lines) {
        const entry = parseUri(line);
        const expected = SEVEN.find((item) => item.entry.secret === entry.secret);
        expect(expected, entry.issuer).toBeDefined();
        expect(entry).toEqual(expected!.entry);
        expect(generateCode({ entry, time: NEW_YEAR_2023 })).toBe(expected!.code);
      }
    });
  });

describe('Steam in all its spellings', () => {
  const secret = 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ';
  it.each([
    `otpauth://steam/Steam:gaben?secret=${secret}&issuer=Steam`,
    `otpauth://STEAM/Steam:gaben?secret=${secret}&issuer=Steam&digits=5&period=30&algorithm=SHA1`,
    `otpauth://totp/Steam:gaben?secret=${secret}&issuer=Steam&encoder=steam`,
    `otpauth://totp/Steam:gaben?secret=${secret}&issuer=Steam&Encoder=Steam&digits=5`,
    `steam://${secret}`,
    `STEAM://${secret.toLowerCase()}/`,
  ])('%s', (uri) => {
    const entry = parseUri(uri);
    expect(entry).toMatchObject({
      type: 'steam',
      secret,
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
    });
    expect(entry.extra).toBeUndefined();
    expect(generateCode({ entry, time: NEW_YEAR_2023 })).toBe('7W6CJ');
  });

  it('is written as otpauth://steam/ and read back', () => {
    const entry = parseUri(`steam://${secret}`);
    expect(formatUri(entry)).toBe(`otpauth://steam/?secret=${secret}&algorithm=SHA1&digits=5&period=30`);
    expect(parseUri(formatUri(entry))).toEqual(entry);
  });

  it('refuses Steam with other digits, algorithm or period, and encoder=steam on hotp', () => {
    expect(fieldOf(() => parseUri(`otpauth://steam/x?secret=${secret}&digits=6`))).toBe('digits');
    expect(fieldOf(() => parseUri(`otpauth://steam/x?secret=${secret}&algorithm=SHA256`))).toBe('algorithm');
    expect(fieldOf(() => parseUri(`otpauth://steam/x?secret=${secret}&period=60`))).toBe('period');
    expect(fieldOf(() => parseUri(`otpauth://hotp/x?secret=${secret}&counter=1&encoder=steam`))).toBe('type');
  });
});

describe('encoding', () => {
  it('reads "+" in query values as a space, and %2B as a plus', () => {
    expect(parseUri('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=Air+Canada').issuer).toBe('Air Canada');
    expect(parseUri('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=Google%2B').issuer).toBe('Google+');
  });

  it('keeps "+" literal in the label path (RFC 3986), and writes it encoded', () => {
    const entry = parseUri('otpauth://totp/C++:dev+tag@example.com?secret=JBSWY3DPEHPK3PXP');
    expect(entry).toMatchObject({ issuer: 'C++', account: 'dev+tag@example.com' });
    expect(formatUri(entry)).toBe(
      'otpauth://totp/C%2B%2B:dev%2Btag@example.com?secret=JBSWY3DPEHPK3PXP&issuer=C%2B%2B&algorithm=SHA1&digits=6&period=30',
    );
    expect(parseUri(formatUri(entry))).toEqual(entry);
  });

  it('percent-decodes labels, UTF-8 included, and %3A separates like ":"', () => {
    const entry = parseUri(
      'otpauth://totp/Caf%C3%A9%20Z%C3%BCrich%3A%20j%C3%BCrgen%40example.com?secret=JBSWY3DPEHPK3PXP',
    );
    expect(entry).toMatchObject({ issuer: 'Café Zürich', account: 'jürgen@example.com' });
    expect(parseUri(formatUri(entry))).toEqual(entry);
  });

  it('reads secrets with spaces, hyphens, lower case and padding, and stores them canonical', () => {
    expect(parseUri('otpauth://totp/a?secret=jbsw%20y3dp-ehpk+3pxp====').secret).toBe('JBSWY3DPEHPK3PXP');
  });

  it('takes parameter names in any case, algorithm in any case, and lets the last duplicate win', () => {
    const entry = parseUri('otpauth://TOTP/a?SECRET=JBSWY3DPEHPK3PXP&Algorithm=sha256&digits=6&digits=8');
    expect(entry).toMatchObject({ type: 'totp', algorithm: 'SHA256', digits: 8 });
  });
});

describe('label prefix versus issuer parameter (export-formats.md §8.3)', () => {
  const secret = 'secret=JBSWY3DPEHPK3PXP';
  it.each([
    // [label?query, issuer, account]
    [`Example:alice@google.com?${secret}&issuer=Example`, 'Example', 'alice@google.com'],
    [`Contoso%20Co:Firstname%20Lastname?${secret}&issuer=ACME%20Co`, 'ACME Co', 'Firstname Lastname'],
    [`Example:alice?${secret}`, 'Example', 'alice'],
    [`alice?${secret}&issuer=Example`, 'Example', 'alice'],
    [`alice?${secret}`, '', 'alice'],
    [`Example:alice?${secret}&issuer=`, 'Example', 'alice'],
    [`Example:%20%20alice?${secret}`, 'Example', 'alice'],
    [`Example: alice?${secret}`, 'Example', 'alice'],
    [`A:B:C?${secret}`, 'A', 'B:C'],
    [`A:B:C?${secret}&issuer=Z`, 'Z', 'B:C'],
    [`:alice:x?${secret}`, '', 'alice:x'],
    [`?${secret}&issuer=Only`, 'Only', ''],
    [`Example:?${secret}`, 'Example', ''],
  ])('otpauth://totp/%s → issuer %j, account %j', (rest, issuer, account) => {
    const entry = parseUri(`otpauth://totp/${rest}`);
    expect(entry).toMatchObject({ issuer, account });
    expect(parseUri(formatUri(entry))).toEqual(entry);
  });

  it('writes a label prefix and an issuer parameter, keeping colons in accounts and issuers intact', () => {
    const base = {
      type: 'totp',
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
    } as const;
    const cases: Pick<OtpEntry, 'issuer' | 'account'>[] = [
      { issuer: 'Example', account: 'alice' },
      { issuer: '', account: 'a:b' },
      { issuer: 'x:y', account: 'alice' },
      { issuer: 'x:y', account: 'a:b' },
      { issuer: 'Example', account: 'a:b:c' },
      { issuer: '', account: '' },
    ];
    for (const names of cases) {
      const entry: OtpEntry = { ...base, ...names };
      expect(parseUri(formatUri(entry))).toEqual(entry);
    }
    expect(formatUri({ ...base, issuer: 'Example', account: 'alice@example.com' })).toBe(
      'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('parameters Tessera does not interpret', () => {
  it('keeps them in extra and writes them back, so a round trip loses nothing', () => {
    const uri =
      'otpauth://totp/Ente:bob?secret=JBSWY3DPEHPK3PXP&issuer=Ente&image=https%3A%2F%2Fexample.com%2Fi.png' +
      '&color=FF0000&codeDisplay=%7B%22pinned%22%3Atrue%7D&lock=&encoder=base26';
    const entry = parseUri(uri);
    expect(entry.extra).toEqual({
      image: 'https://example.com/i.png',
      color: 'FF0000',
      codeDisplay: '{"pinned":true}',
      lock: '',
      encoder: 'base26',
    });
    const again = formatUri(entry);
    expect(again).toContain('&image=https%3A%2F%2Fexample.com%2Fi.png&color=FF0000&codeDisplay=');
    expect(parseUri(again)).toEqual(entry);
  });

  it('ignores period on hotp (Ente writes it) and counter on totp', () => {
    const hotp = parseUri('otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=3&period=30');
    expect(hotp).toMatchObject({ type: 'hotp', counter: 3, period: null });
    expect(hotp.extra).toBeUndefined();
    const totp = parseUri('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&counter=3');
    expect(totp).toMatchObject({ type: 'totp', counter: null, period: 30 });
  });
});

describe('invalid URIs raise OtpError naming the field', () => {
  const ok = 'secret=JBSWY3DPEHPK3PXP';
  it.each([
    ['https://example.com/?secret=JBSWY3DPEHPK3PXP', 'uri', /must start with otpauth:\/\//],
    ['JBSWY3DPEHPK3PXP', 'uri', /must start with otpauth:\/\//],
    ['otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGA', 'uri', /several entries/],
    [`otpauth://yaotp/a?${ok}`, 'type', /unsupported "yaotp"/],
    [`otpauth:///a?${ok}`, 'type', /unsupported ""/],
    ['otpauth://totp/a?issuer=x', 'secret', /missing/],
    ['otpauth://totp/a?secret=', 'secret', /missing/],
    ['otpauth://totp/a?secret=JBSWY3DP!', 'secret', /not Base32/],
    [`otpauth://totp/a?${ok}&algorithm=MD5`, 'algorithm', /unsupported "MD5"; use SHA1, SHA256 or SHA512/],
    [`otpauth://totp/a?${ok}&digits=5`, 'digits', /must be 6 to 10, got 5/],
    [`otpauth://totp/a?${ok}&digits=11`, 'digits', /must be 6 to 10, got 11/],
    [`otpauth://totp/a?${ok}&digits=six`, 'digits', /must be a whole number/],
    [`otpauth://totp/a?${ok}&period=0`, 'period', /must be 1 to/],
    [`otpauth://totp/a?${ok}&period=-30`, 'period', /must be a whole number/],
    [`otpauth://totp/a?${ok}&period=1.5`, 'period', /must be a whole number/],
    [`otpauth://hotp/a?${ok}`, 'counter', /required for HOTP/],
    [`otpauth://hotp/a?${ok}&counter=99999999999999999999`, 'counter', /too large/],
    [`otpauth://totp/a%ZZ?${ok}`, 'label', /percent-encoding/],
    [`otpauth://totp/a?${ok}&issuer=%E0%A4%A`, 'issuer', /percent-encoding/],
    [`otpauth://totp/a?${ok}&x=%FF`, 'uri', /percent-encoding/],
  ])('%s', (uri, field, reason) => {
    expect(fieldOf(() => parseUri(uri))).toBe(field);
    expect(() => parseUri(uri)).toThrow(reason);
  });

  it('refuses URIs over 64 KiB before reading them', () => {
    const uri = `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&note=${'x'.repeat(70000)}`;
    expect(() => parseUri(uri)).toThrow(/^uri: longer than 65536 characters/);
  });

  it('never puts the secret in the message', () => {
    try {
      parseUri('otpauth://totp/a?secret=TOPSECRETVALUE8');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('TOPSECRET');
    }
  });
});
