import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import type { OtpEntry } from '@tessera/otp';
import { formatHlc } from '@tessera/vault';

/** A fresh temporary home, removed after the test file. */
export function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'tessera-vault-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

/** A TOTP entry with a distinct secret per `n`. */
export function totpEntry(n: number, labels: Partial<Pick<OtpEntry, 'issuer' | 'account'>> = {}): OtpEntry {
  // 16 Base32 characters (10 bytes); the last four spell n in the Base32 alphabet.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const tail = [3, 2, 1, 0].map((i) => alphabet[Math.floor(n / 32 ** i) % 32]).join('');
  const secret = `JBSWY3DPEHPK${tail}`;
  return {
    type: 'totp',
    secret,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: null,
    issuer: labels.issuer ?? `Issuer ${n}`,
    account: labels.account ?? `user${n}`,
  };
}

/** HLCs from few milliseconds, counters and two devices, so equal clocks (ties) happen often. */
export function fewHlcs(range: { maxMs: number; maxCounter: number }): fc.Arbitrary<string> {
  return fc
    .record({
      ms: fc.integer({ min: 1, max: range.maxMs }),
      counter: fc.integer({ min: 0, max: range.maxCounter }),
      deviceId: fc.constantFrom('a', 'b'),
    })
    .map(formatHlc);
}

/** The RFC 4226 Appendix D test secret as an HOTP entry (codes 755224, 287082, 359152, ...). */
export function rfcHotpEntry(): OtpEntry {
  return {
    type: 'hotp',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 6,
    period: null,
    counter: 0,
    issuer: 'Bank',
    account: 'me',
  };
}
