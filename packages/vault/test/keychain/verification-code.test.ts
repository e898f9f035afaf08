import { describe, expect, it } from 'vitest';
import { codesMatch, normalizeCode, verificationCode } from '../../src/keychain/index.js';

const input = {
  accountId: 'acct-1',
  deviceId: 'dev-2',
  encPub: 'A'.repeat(43),
  signPub: 'B'.repeat(43),
  nonce: 'C'.repeat(22),
  circleHead: 'D'.repeat(43),
};

describe('verification code (PROTOCOL §1.3)', () => {
  it('is a fixed function of the public inputs (a vector shared by the CLI and the web app)', async () => {
    const code = await verificationCode(input);
    expect(code).toMatch(/^\d{4}-\d{4}$/);
    expect(await verificationCode({ ...input })).toBe(code);
    // Cross-checked with @noble/hashes' independent Argon2id implementation.
    expect(code).toBe('3328-0810');
  });

  it('changes when the device keys, nonce or circle head change', async () => {
    const code = await verificationCode(input);
    for (const field of ['encPub', 'signPub', 'nonce', 'circleHead', 'deviceId', 'accountId'] as const) {
      expect(await verificationCode({ ...input, [field]: 'E'.repeat(43) })).not.toBe(code);
    }
  });

  it('compares typed codes ignoring hyphens and spaces, and refuses malformed ones', () => {
    expect(codesMatch('1234-5678', ' 1234 5678 ')).toBe(true);
    expect(codesMatch('1234-5678', '1234-5679')).toBe(false);
    expect(() => normalizeCode('1234-567')).toThrow(/8 digits/);
    expect(() => normalizeCode('abcd-efgh')).toThrow(/8 digits/);
  });
});
