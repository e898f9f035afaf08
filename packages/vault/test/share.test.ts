import { describe, expect, it } from 'vitest';
import { totp, type OtpEntry } from '@tessera/otp';
import {
  currentShareCode,
  makeShare,
  MAX_SHARE_MINUTES,
  openShare,
  parseShareLink,
  shareLink,
  ShareError,
} from '@tessera/vault/share';
import { rfcHotpEntry, totpEntry } from './fixtures.js';

const NOW = 1_700_000_015; // 15 s into a 30-second step

function opened(entry: OtpEntry, minutes: number, now = NOW) {
  const share = makeShare({ entry, minutes, now });
  return { share, payload: openShare(share) };
}

describe('time-limited code links (PROTOCOL §9)', () => {
  it('holds exactly the codes from now to the end of the window, equal to the TOTP codes', () => {
    const entry = totpEntry(3, { issuer: 'Bank', account: 'alice' });
    const { share, payload } = opened(entry, 10);
    expect(share.expiresAt).toBe(NOW + 600);
    // The step under way, then one per 30 s until the window ends: 21 steps for 10 minutes at :15.
    expect(payload.codes).toHaveLength(21);
    expect(payload.codes[0]!.from).toBe(1_700_000_010);
    for (const { from, code } of payload.codes) expect(code).toBe(totp({ secret: entry.secret, time: from }));
    expect(payload.codes.at(-1)!.from).toBeLessThan(share.expiresAt);
    expect(payload).toMatchObject({ v: 1, issuer: 'Bank', account: 'alice', period: 30 });
    // Nothing of the entry but labels and codes.
    expect(JSON.stringify(payload)).not.toContain(entry.secret);
  });

  it('shows the code of the moment with its countdown, and nothing once the window ended', () => {
    const entry = totpEntry(4);
    const { payload } = opened(entry, 1);
    expect(currentShareCode(payload, NOW)).toEqual({
      code: totp({ secret: entry.secret, time: NOW }),
      secondsLeft: 25,
    });
    expect(currentShareCode(payload, NOW + 59)!.code).toBe(totp({ secret: entry.secret, time: NOW + 59 }));
    expect(currentShareCode(payload, NOW + 60)).toBeNull();
    expect(currentShareCode(payload, NOW + 3600)).toBeNull();
  });

  it('refuses HOTP entries and windows out of range, with the reason', () => {
    expect(() => makeShare({ entry: rfcHotpEntry(), minutes: 5, now: NOW })).toThrow(
      /HOTP codes are counted, not timed/,
    );
    expect(() => makeShare({ entry: totpEntry(1), minutes: 0, now: NOW })).toThrow(ShareError);
    expect(() => makeShare({ entry: totpEntry(1), minutes: MAX_SHARE_MINUTES + 1, now: NOW })).toThrow(
      /minutes: must be 1 to 120, got 121/,
    );
  });

  it('does not open with another key, for another id, or with another end of window', () => {
    const { share } = opened(totpEntry(5), 5);
    const other = makeShare({ entry: totpEntry(5), minutes: 5, now: NOW });
    const altered = /altered, or its key is incomplete/;
    expect(() => openShare({ ...share, key: other.key })).toThrow(altered);
    expect(() => openShare({ ...share, id: other.id })).toThrow(altered);
    expect(() => openShare({ ...share, expiresAt: share.expiresAt + 3600 })).toThrow(altered);
    const flipped =
      share.ciphertext.slice(0, 40) + (share.ciphertext[40] === 'A' ? 'B' : 'A') + share.ciphertext.slice(41);
    expect(() => openShare({ ...share, ciphertext: flipped })).toThrow(altered);
  });

  it('puts the key in the fragment only, and reads it back', () => {
    const { share } = opened(totpEntry(6), 5);
    const url = shareLink('https://keys.example.org/', share);
    expect(url).toBe(`https://keys.example.org/share.html#${share.id}.${share.key}`);
    expect(new URL(url).search).toBe('');
    expect(parseShareLink(new URL(url).hash)).toEqual({ id: share.id, key: share.key });
    expect(() => parseShareLink('#' + share.id + '.' + share.key.slice(0, 20))).toThrow(/cut short/);
  });
});
