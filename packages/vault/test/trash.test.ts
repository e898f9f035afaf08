import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { mergeRecords, TRASH_MS, validateRecord, type VaultRecord } from '@tessera/vault';
import { tempHome, totpEntry } from './fixtures.js';

const DAY = 24 * 60 * 60 * 1000;

/** A vault whose clock the test moves by hand. */
async function clockedVault(home = tempHome()) {
  const time = { now: 1_800_000_000_000 };
  const vault = await openNodeVault({ home, keyStore: 'file', now: () => time.now });
  return { vault, time, home };
}

describe('Trash', () => {
  it('keeps a deleted entry, lists it with its deletion time, and restores it whole', async () => {
    const { vault, time, home } = await clockedVault();
    const entry = await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }), { tags: ['work'] });
    time.now += 1000;
    await vault.remove(entry.id);
    expect(vault.entries()).toEqual([]);
    expect(vault.trash().map((e) => [e.id, e.issuer, e.deletedAt])).toEqual([[entry.id, 'GitHub', time.now]]);
    time.now += 1000;
    const restored = await vault.restore(entry.id);
    expect(restored.secret).toBe(entry.secret);
    expect(vault.trash()).toEqual([]);
    const again = await openNodeVault({ home, keyStore: 'file' });
    expect(again.get(entry.id)).toMatchObject({ secret: entry.secret, issuer: 'GitHub', tags: ['work'] });
    await expect(vault.restore(entry.id)).rejects.toThrow(/no entry with id .* in the trash/);
  });

  it('wipes content after 30 days, not before, leaving a bare valid tombstone', async () => {
    const { vault, time } = await clockedVault();
    const old = await vault.add(totpEntry(1, { issuer: 'Old', account: 'alice' }));
    const recent = await vault.add(totpEntry(2, { issuer: 'Recent', account: 'bob' }));
    await vault.remove(old.id);
    time.now += TRASH_MS - 1;
    expect(await vault.purgeTrash()).toEqual([]);
    time.now += 2 * DAY;
    await vault.remove(recent.id);
    time.now += 1;
    expect(await vault.purgeTrash()).toEqual([old.id]);
    expect(vault.trash().map((e) => e.issuer)).toEqual(['Recent']);
    const tomb = vault.records().find((r) => r.entry.id === old.id)!;
    expect(tomb.deleted).toBe(true);
    expect(JSON.stringify(tomb)).not.toContain(old.secret);
    expect(JSON.stringify(tomb)).not.toContain('Old');
    expect(validateRecord(tomb)).toBe(tomb);
    await expect(vault.restore(old.id)).rejects.toThrow(/in the trash/);
  });

  it('refuses to restore an entry whose credential was added again meanwhile', async () => {
    const { vault } = await clockedVault();
    const entry = await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }));
    await vault.remove(entry.id);
    await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }));
    await expect(vault.restore(entry.id)).rejects.toThrow('GitHub (alice) is already in the vault');
    expect(vault.trash()).toHaveLength(1);
  });

  it('empties the trash on demand', async () => {
    const { vault } = await clockedVault();
    const a = await vault.add(totpEntry(1, { issuer: 'A' }));
    const b = await vault.add(totpEntry(2, { issuer: 'B' }));
    await vault.remove(a.id);
    await vault.remove(b.id);
    expect((await vault.purgeTrash({ all: true })).sort()).toEqual([a.id, b.id].sort());
    expect(vault.trash()).toEqual([]);
    expect(vault.records().every((r) => r.deleted && !JSON.stringify(r).includes(a.secret))).toBe(true);
  });
});

describe('Trash across devices', () => {
  /** Two devices holding the same record, as after a sync. */
  async function twoDevices() {
    const one = await clockedVault();
    const two = await clockedVault();
    const entry = await one.vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }));
    await two.vault.applyRemote(one.vault.records());
    return { one, two, entry };
  }
  const recordOf = (records: VaultRecord[], id: string) => records.find((r) => r.entry.id === id)!;
  async function exchange(a: Awaited<ReturnType<typeof clockedVault>>, b: typeof a) {
    const fromA = a.vault.records();
    const fromB = b.vault.records();
    await a.vault.applyRemote(fromB);
    await b.vault.applyRemote(fromA);
    expect(a.vault.records()).toEqual(b.vault.records());
  }

  it('restore on one device and a later delete on the other: the delete wins on both', async () => {
    const { one, two, entry } = await twoDevices();
    await one.vault.remove(entry.id);
    await two.vault.applyRemote(one.vault.records());
    one.time.now += 10;
    await one.vault.restore(entry.id);
    await two.vault.applyRemote([recordOf(one.vault.records(), entry.id)]);
    two.time.now += 20;
    await two.vault.remove(entry.id); // after seeing the restore
    await exchange(one, two);
    expect(one.vault.entries()).toEqual([]);
  });

  it('restore and delete made concurrently converge by clock, the same on both devices', async () => {
    const { one, two, entry } = await twoDevices();
    await one.vault.remove(entry.id);
    await two.vault.applyRemote(one.vault.records());
    // One restores then deletes again; two, not having seen either, restores later: the newest wins.
    one.time.now += 10;
    await one.vault.restore(entry.id);
    one.time.now += 10;
    await one.vault.remove(entry.id);
    two.time.now += 30;
    await two.vault.restore(entry.id);
    await exchange(one, two);
    expect(one.vault.entries().map((e) => e.secret)).toEqual([entry.secret]);
  });

  it('a purge on one device wins over a concurrent later restore on the other, and stays wiped', async () => {
    const { one, two, entry } = await twoDevices();
    await one.vault.remove(entry.id);
    await two.vault.applyRemote(one.vault.records());
    one.time.now += 10;
    await one.vault.purgeTrash({ all: true });
    two.time.now += 50;
    await two.vault.restore(entry.id);
    await two.vault.update(entry.id, { issuer: 'Renamed after restore' });
    await exchange(one, two);
    const merged = recordOf(one.vault.records(), entry.id);
    expect(merged.deleted).toBe(true);
    expect(JSON.stringify(merged)).not.toContain(entry.secret);
    expect(JSON.stringify(merged)).not.toContain('Renamed');
    expect(validateRecord(merged)).toBe(merged);
  });

  it('a device that predates the trash keeps a purged record deleted and wiped (old merge rule)', async () => {
    const { one, entry } = await twoDevices();
    const before = recordOf(one.vault.records(), entry.id);
    await one.vault.remove(entry.id);
    await one.vault.purgeTrash({ all: true });
    const purged = recordOf(one.vault.records(), entry.id);
    const oldMerge = lwwOnly(before, purged);
    expect(oldMerge.entry.secret).toBe(purged.entry.secret);
    expect(oldMerge.entry.issuer).toBe('');
    expect(
      Object.entries(oldMerge.clock).every(([f, c]) => f === 'deleted' || c < oldMerge.clock.deleted!),
    ).toBe(true);
    expect(mergeRecords(before, purged)).toEqual(purged);
  });
});

/** The merge of devices before the trash, reduced to what matters here: per-field last writer wins. */
function lwwOnly(a: VaultRecord, b: VaultRecord): VaultRecord {
  const entry: Record<string, unknown> = { ...a.entry };
  const clock: Record<string, string> = { ...a.clock };
  const eb = b.entry as unknown as Record<string, unknown>;
  for (const [field, c] of Object.entries(b.clock)) {
    if (clock[field] === undefined || c > clock[field]!) {
      clock[field] = c;
      if (field in eb) entry[field] = eb[field];
    }
  }
  return { v: 1, entry: entry as unknown as VaultRecord['entry'], clock, deleted: true };
}
