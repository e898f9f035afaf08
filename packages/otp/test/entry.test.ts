import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  generateCode,
  normalizeEntry,
  OtpError,
  secondsRemaining,
  type EntryInput,
} from '@tessera/otp';
import { fieldOf } from './fixtures.js';

describe('normalizeEntry', () => {
  it('fills the documented defaults per type', () => {
    expect(DEFAULTS).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30, counter: 0, type: 'totp' });
    expect(normalizeEntry({ secret: 'jbsw y3dp-ehpk 3pxp' })).toEqual({
      type: 'totp',
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
      issuer: '',
      account: '',
    });
    expect(normalizeEntry({ type: 'hotp', secret: 'JBSWY3DPEHPK3PXP', period: 30 })).toMatchObject({
      type: 'hotp',
      digits: 6,
      period: null,
      counter: 0,
    });
    expect(normalizeEntry({ type: 'steam', secret: 'JBSWY3DPEHPK3PXP' })).toMatchObject({
      type: 'steam',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
    });
  });

  it('accepts bytes, canonical spellings of type and algorithm, and trims labels', () => {
    const entry = normalizeEntry({
      type: 'TOTP' as EntryInput['type'],
      secret: new TextEncoder().encode('Hello!'),
      algorithm: 'sha-256' as EntryInput['algorithm'],
      issuer: '  Example ',
      account: ' alice ',
      extra: { image: 'x' },
    });
    expect(entry).toMatchObject({
      type: 'totp',
      secret: 'JBSWY3DPEE',
      algorithm: 'SHA256',
      issuer: 'Example',
      account: 'alice',
    });
    expect(entry.extra).toEqual({ image: 'x' });
    expect('extra' in normalizeEntry({ secret: 'JBSWY3DPEE', extra: {} })).toBe(false);
  });

  it.each<[string, EntryInput, string | RegExp]>([
    ['missing secret', { secret: '' }, 'secret: is missing'],
    ['missing secret (undefined)', { secret: undefined as unknown as string }, 'secret: is missing'],
    ['empty bytes', { secret: new Uint8Array(0) }, 'secret: is empty'],
    ['secret of the wrong kind', { secret: 42 as unknown as string }, 'secret: must be Base32 text or bytes'],
    ['bad Base32', { secret: 'JBSWY3DP0' }, /^secret: not Base32/],
    [
      'unknown type',
      { secret: 'JBSWY3DP', type: 'motp' as EntryInput['type'] },
      'type: unsupported "motp"; use totp, hotp or steam',
    ],
    [
      'unknown algorithm',
      { secret: 'JBSWY3DP', algorithm: 'MD5' as EntryInput['algorithm'] },
      /^algorithm: unsupported "MD5"/,
    ],
    ['digits too few', { secret: 'JBSWY3DP', digits: 4 }, 'digits: must be 6 to 10, got 4'],
    ['digits too many', { secret: 'JBSWY3DP', digits: 11 }, 'digits: must be 6 to 10, got 11'],
    ['digits not whole', { secret: 'JBSWY3DP', digits: 6.5 }, 'digits: must be a whole number, got "6.5"'],
    ['period zero', { secret: 'JBSWY3DP', period: 0 }, /^period: must be 1 to \d+, got 0/],
    ['period NaN', { secret: 'JBSWY3DP', period: NaN }, /^period: must be a whole number/],
    ['counter negative', { secret: 'JBSWY3DP', type: 'hotp', counter: -1 }, /^counter: must be 0 to/],
    ['counter unsafe', { secret: 'JBSWY3DP', type: 'hotp', counter: 2 ** 53 }, /^counter: must be 0 to/],
    ['steam digits', { secret: 'JBSWY3DP', type: 'steam', digits: 6 }, /^digits: Steam codes always use 5/],
    ['issuer not text', { secret: 'JBSWY3DP', issuer: 5 as unknown as string }, 'issuer: must be text'],
    [
      'account lone surrogate',
      { secret: 'JBSWY3DP', account: 'a\ud800' },
      'account: is not well-formed Unicode',
    ],
    ['extra reserved', { secret: 'JBSWY3DP', extra: { Secret: 'x' } }, /^extra: "Secret" is an entry field/],
    ['extra steam encoder', { secret: 'JBSWY3DP', extra: { encoder: 'Steam' } }, /^extra: "encoder=steam"/],
    ['extra non-text', { secret: 'JBSWY3DP', extra: { a: 1 as unknown as string } }, 'extra: must be text'],
  ])('%s → OtpError', (_name, input, message) => {
    expect(() => normalizeEntry(input)).toThrow(OtpError);
    expect(() => normalizeEntry(input)).toThrow(message);
  });

  it('refuses a non-object', () => {
    expect(fieldOf(() => normalizeEntry(null as unknown as EntryInput))).toBe('entry');
  });
});

describe('generateCode', () => {
  const time = 1672531200;
  it('dispatches on the type, using the entry counter for HOTP', () => {
    expect(generateCode({ entry: normalizeEntry({ secret: 'WQIQ25BRKZYCJVYP' }), time })).toBe('194506');
    const steamEntry = normalizeEntry({ type: 'steam', secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ' });
    expect(generateCode({ entry: steamEntry, time })).toBe('7W6CJ');
    const hotpEntry = normalizeEntry({
      type: 'hotp',
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
      counter: 9,
    });
    expect(generateCode({ entry: hotpEntry, time })).toBe('520489');
    expect(generateCode({ entry: { ...hotpEntry, counter: 0 } })).toBe('755224');
  });

  it('uses the current time by default', () => {
    const entry = normalizeEntry({ secret: 'WQIQ25BRKZYCJVYP', period: 3600 });
    const before = generateCode({ entry, time: Date.now() / 1000 });
    const now = generateCode({ entry });
    const after = generateCode({ entry, time: Date.now() / 1000 });
    expect([before, after]).toContain(now);
  });

  it('refuses entries that break their type', () => {
    const entry = normalizeEntry({ type: 'hotp', secret: 'JBSWY3DP' });
    expect(() => generateCode({ entry: { ...entry, counter: null } })).toThrow(
      'counter: is required for HOTP',
    );
    expect(fieldOf(() => generateCode({ entry: { ...entry, type: 'totp' } }))).toBe('period');
    expect(fieldOf(() => generateCode({ entry: { ...entry, type: 'x' as 'totp' } }))).toBe('type');
    expect(fieldOf(() => generateCode({ entry: normalizeEntry({ secret: 'JBSWY3DP' }), time: -1 }))).toBe(
      'time',
    );
  });
});

describe('secondsRemaining', () => {
  it('counts down from the period to 1 within a step', () => {
    expect(secondsRemaining({ period: 30, time: 60 })).toBe(30);
    expect(secondsRemaining({ period: 30, time: 60.9 })).toBe(30);
    expect(secondsRemaining({ period: 30, time: 61 })).toBe(29);
    expect(secondsRemaining({ period: 30, time: 89.5 })).toBe(1);
    expect(secondsRemaining({ period: 1, time: 5 })).toBe(1);
  });

  it('uses the current time by default and validates its inputs', () => {
    const remaining = secondsRemaining({ period: 30 });
    expect(remaining).toBeGreaterThanOrEqual(1);
    expect(remaining).toBeLessThanOrEqual(30);
    expect(fieldOf(() => secondsRemaining({ period: 0, time: 1 }))).toBe('period');
    expect(fieldOf(() => secondsRemaining({ period: 30, time: -1 }))).toBe('time');
    expect(fieldOf(() => secondsRemaining({ period: 30, time: Infinity }))).toBe('time');
  });
});
