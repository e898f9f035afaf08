import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import type { OtpEntry } from '@tessera/otp';
import { formatHlc, type KeyProvider, type VaultKey, type VaultStorage } from '@tessera/vault';

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

/** Vault bytes in memory; records each save's durability; `failNext` makes the next save throw. */
export function memory() {
  const state = {
    bytes: null as Uint8Array | null,
    saves: [] as string[],
    failNext: false,
    /** Resolves the save in progress (a save waits for it when `hold` is set). */
    hold: false,
    pending: [] as (() => void)[],
  };
  const storage: VaultStorage = {
    load: async () => state.bytes,
    async save(bytes, options) {
      state.saves.push(options?.durability ?? 'strict');
      if (state.hold) await new Promise<void>((resolve) => state.pending.push(resolve));
      if (state.failNext) {
        state.failNext = false;
        throw new Error('disk full');
      }
      state.bytes = bytes;
    },
    lock: async () => async () => undefined,
  };
  return { state, storage };
}

/** One fixed vault key. */
export const KEY: VaultKey = { key: new Uint8Array(32).fill(7), keyId: 'AAAAAAAAAAAAAAAA', custody: 'file' };
/** Hands out `KEY` for every vault (in-memory tests). */
export const keys: KeyProvider = { unlock: async () => KEY, create: async () => KEY };
