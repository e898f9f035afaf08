import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openVaultFile,
  sealVaultFile,
  VaultDamagedError,
  type VaultEntry,
  type VaultKey,
} from '@tessera/vault';
import {
  FIRST_ROWS,
  firstScreenHeader,
  MAX_BOUND,
  openFirstScreen,
  sealFirstScreen,
} from '../src/first-screen.js';

/**
 * The popup's sealed first screen (src/first-screen.ts): it opens with the vault's storage key
 * alone, holds the first rows and the site-bound entries, and refuses any altered byte.
 */

const SECRET = 'JBSWY3DPEHPK3PXP';

function entry(n: number, sites?: string[]): VaultEntry {
  const made: VaultEntry = {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'totp',
    secret: SECRET,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: 0,
    issuer: `Issuer ${n}`,
    account: `user${n}@example.com`,
    tags: [],
    order: n,
    deviceOnly: false,
    ...(sites ? { sites } : {}),
    createdAt: 0,
    updatedAt: 0,
  };
  return made;
}

const key = (): VaultKey => ({
  key: new Uint8Array(randomBytes(32)),
  keyId: 'AAAAAAAAAAAAAAAA',
  custody: 'browser',
});

describe('the popup first screen', () => {
  it('holds the first rows in list order, every site-bound entry and the count, under the storage key', () => {
    const k = key();
    const entries = Array.from({ length: 50 }, (_, n) => entry(n, n === 40 ? ['bank.example'] : undefined));
    const bytes = sealFirstScreen({ key: k, generation: 7, entries });
    const header = firstScreenHeader(bytes);
    expect(header).toMatchObject({ generation: 7, keyId: k.keyId, custody: 'browser' });
    const screen = openFirstScreen({ key: k.key, bytes });
    expect(screen.total).toBe(50);
    expect(screen.top.map((e) => e.issuer)).toEqual(entries.slice(0, FIRST_ROWS).map((e) => e.issuer));
    expect(screen.bound?.map((e) => e.issuer)).toEqual(['Issuer 40']);
    // Sealed: neither the secret nor a name is in the bytes.
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('Issuer');
  });

  it('leaves the site-bound entries to the vault when there are more than it keeps', () => {
    const k = key();
    const entries = Array.from({ length: MAX_BOUND + 1 }, (_, n) => entry(n, [`site${n}.example`]));
    expect(
      openFirstScreen({ key: k.key, bytes: sealFirstScreen({ key: k, generation: 1, entries }) }).bound,
    ).toBe(null);
  });

  it('refuses another key, any altered byte, and the vault file in its place (and the reverse)', () => {
    const k = key();
    const bytes = sealFirstScreen({ key: k, generation: 3, entries: [entry(1)] });
    expect(() => openFirstScreen({ key: key().key, bytes })).toThrow(VaultDamagedError);
    for (const at of [20, bytes.length - 40, bytes.length - 1]) {
      const altered = bytes.slice();
      altered[at] = altered[at]! ^ 1;
      expect(() => openFirstScreen({ key: k.key, bytes: altered })).toThrow(VaultDamagedError);
    }
    // Its key is derived: the storage key itself opens neither it nor, the other way, a vault file as it.
    expect(() => openVaultFile({ key: k.key, bytes })).toThrow(VaultDamagedError);
    const vaultFile = sealVaultFile({
      key: k.key,
      header: { generation: 3, keyId: k.keyId, custody: 'browser', writtenAt: 0 },
      payload: new TextEncoder().encode(JSON.stringify({ v: 1, total: 1, top: [], bound: [] })),
    });
    expect(() => openFirstScreen({ key: k.key, bytes: vaultFile })).toThrow(VaultDamagedError);
  });
});
