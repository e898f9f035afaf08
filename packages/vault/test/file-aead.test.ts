import { describe, expect, it } from 'vitest';
import {
  openVaultFileAny,
  readVaultHeader,
  sealVaultFile,
  sealVaultFileWith,
  Vault,
  VaultDamagedError,
  type VaultChange,
  type VaultHeader,
} from '@tessera/vault';
import { KEY, keys, memory, totpEntry } from './fixtures.js';

const header = (aead?: VaultHeader['aead']): VaultHeader => ({
  generation: 1,
  keyId: KEY.keyId,
  custody: 'file',
  writtenAt: 0,
  ...(aead ? { aead } : {}),
});

describe('vault file AEADs', () => {
  it('writes version 2 with AES-256-GCM named in the header, reads version 1 and rewrites it', async () => {
    const { state, storage } = memory();
    const old = await Vault.open({ storage, keys });
    const entry = await old.add(totpEntry(1, { issuer: 'GitHub' }));
    expect(state.bytes![7]).toBe(1);
    expect(readVaultHeader(state.bytes!).aead).toBe('xchacha20-poly1305');

    const web = await Vault.open({ storage, keys, fileAead: 'aes-256-gcm' });
    expect(web.get(entry.id)!.issuer).toBe('GitHub');
    expect(await web.upgradeFile()).toBe(true);
    expect(state.bytes![7]).toBe(2);
    const read = readVaultHeader(state.bytes!);
    expect(read.aead).toBe('aes-256-gcm');
    expect(read.header.aead).toBe('aes-256-gcm');
    expect(read.header.generation).toBe(2);
    expect(await web.upgradeFile()).toBe(false);

    // Nothing plaintext at rest: neither the issuer nor the secret appears in the file.
    const text = new TextDecoder('latin1').decode(state.bytes!);
    expect(text).not.toContain('GitHub');
    expect(text).not.toContain(totpEntry(1).secret);

    const again = await Vault.open({ storage, keys, fileAead: 'aes-256-gcm' });
    expect(again.get(entry.id)!.issuer).toBe('GitHub');
    // A reader without `fileAead` (the CLI) opens it too.
    expect((await Vault.open({ storage, keys })).get(entry.id)!.issuer).toBe('GitHub');
  });

  it('refuses altered, relabelled and swapped files', async () => {
    const payload = new TextEncoder().encode('{"secret":"JBSWY3DP"}');
    const gcm = await sealVaultFileWith({ key: KEY.key, header: header(), payload, cipher: 'aes-256-gcm' });
    expect(new TextDecoder().decode(await openVaultFileAny({ key: KEY.key, bytes: gcm }))).toContain(
      'JBSWY3DP',
    );
    const refused = (bytes: Uint8Array, key = KEY.key) =>
      expect(openVaultFileAny({ key, bytes })).rejects.toBeInstanceOf(VaultDamagedError);

    // One ciphertext byte, one tag byte, one header byte.
    for (const at of [gcm.length - 20, gcm.length - 1, 20]) {
      const altered = gcm.slice();
      altered[at]! ^= 1;
      await refused(altered);
    }
    // The version byte turned back to 1: read as XChaCha20-Poly1305, which fails.
    const v1 = gcm.slice();
    v1[7] = 1;
    await refused(v1);
    // An unknown version, and a header that names an AEAD it was not sealed with or none known.
    const v3 = gcm.slice();
    v3[7] = 3;
    await expect(openVaultFileAny({ key: KEY.key, bytes: v3 })).rejects.toThrow(/newer than this Tessera/);
    const relabel = (name: string) => {
      const text = new TextDecoder('latin1').decode(gcm).replace('"aes-256-gcm"', JSON.stringify(name));
      return Uint8Array.from(text, (c) => c.charCodeAt(0));
    };
    await refused(relabel('aes-256-gcx'));
    await expect(openVaultFileAny({ key: KEY.key, bytes: relabel('constructor') })).rejects.toThrow(
      /names no AEAD/,
    );
    // A version-1 header that names an AEAD is not a version-1 file.
    const xchacha = await sealVaultFileWith({
      key: KEY.key,
      header: header(),
      payload,
      cipher: 'xchacha20-poly1305',
    });
    const downgraded = xchacha.slice();
    downgraded[7] = 1;
    await expect(openVaultFileAny({ key: KEY.key, bytes: downgraded })).rejects.toThrow(/names no AEAD/);
    // The same vault's file sealed under another key (a file swapped in from elsewhere).
    await refused(gcm, new Uint8Array(32).fill(8));
    // A version-1 file still opens, and the same bytes as before (no aead member written).
    const legacy = sealVaultFile({ key: KEY.key, header: header('aes-256-gcm'), payload });
    expect(legacy[7]).toBe(1);
    expect(readVaultHeader(legacy).header.aead).toBeUndefined();
    expect(new TextDecoder().decode(await openVaultFileAny({ key: KEY.key, bytes: legacy }))).toContain(
      'JBSWY3DP',
    );
  });
});

/** A phone with one entry, and a laptop (AES-256-GCM file in `storage`) whose changes are recorded. */
async function phoneAndLaptop() {
  const { state, storage } = memory();
  const phone = await Vault.open({ storage: memory().storage, keys });
  const entry = await phone.add(totpEntry(1, { issuer: 'GitHub' }));
  const laptop = await Vault.open({ storage, keys, fileAead: 'aes-256-gcm' });
  const seen: VaultChange[] = [];
  laptop.onChange((c) => seen.push(c));
  return { state, storage, phone, entry, laptop, seen };
}

describe('saves of pulled changes', () => {
  it('announce before the save completes, save relaxed; local edits save strict and announce after', async () => {
    const { state, phone, entry, laptop, seen } = await phoneAndLaptop();

    state.hold = true;
    const applied = laptop.applyRemote(phone.records(), { meta: { cursor: 1 } });
    await expect.poll(() => state.pending.length).toBe(1);
    // The save has not completed, and the listeners already saw the merged state.
    expect(state.bytes).toBeNull();
    expect(seen.map((c) => c.kind)).toEqual(['records', 'meta']);
    expect(laptop.get(entry.id)!.issuer).toBe('GitHub');
    state.pending.shift()!();
    await applied;
    expect(state.saves).toEqual(['relaxed']);

    const edit = laptop.rename(entry.id, { issuer: 'Edited' });
    await expect.poll(() => state.pending.length).toBe(1);
    expect(seen).toHaveLength(2);
    state.pending.shift()!();
    await edit;
    expect(seen).toHaveLength(3);
    expect(state.saves).toEqual(['relaxed', 'strict']);
  });

  it('a failed save shows the stored state again and throws; the pull applies on the next try', async () => {
    const { state, storage, phone, entry, laptop, seen } = await phoneAndLaptop();

    state.failNext = true;
    await expect(laptop.applyRemote(phone.records(), { meta: { cursor: 1 } })).rejects.toThrow('disk full');
    expect(laptop.get(entry.id)).toBeUndefined();
    expect(laptop.getMeta('cursor')).toBeUndefined();
    // Shown, then taken back: the listeners were told both times.
    expect(seen.map((c) => `${c.kind}:${c.source}`)).toEqual([
      'records:remote',
      'meta:local',
      'records:remote',
      'meta:remote',
    ]);
    await laptop.applyRemote(phone.records(), { meta: { cursor: 1 } });
    expect(laptop.get(entry.id)!.issuer).toBe('GitHub');
    expect((await Vault.open({ storage, keys })).get(entry.id)!.issuer).toBe('GitHub');
  });
});
