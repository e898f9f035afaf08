import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import {
  AmbiguousQueryError,
  DuplicateEntryError,
  sameCredential,
  VaultError,
  type VaultChange,
} from '@tessera/vault';
import { rfcHotpEntry, tempHome, totpEntry } from './fixtures.js';

const open = (home: string) => openNodeVault({ home, keyStore: 'file' });

describe('Vault', () => {
  it('stores entries encrypted and reads them back in list order', async () => {
    const home = tempHome();
    const vault = await open(home);
    expect(vault.entries()).toEqual([]);
    expect(vault.generation).toBe(0);
    const a = await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }), { tags: ['work'] });
    const b = await vault.add(totpEntry(2, { issuer: 'GitLab', account: 'bob' }), { deviceOnly: true });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect([a.order, b.order]).toEqual([0, 1]);
    const again = await open(home);
    expect(again.entries().map((e) => [e.issuer, e.account, e.tags, e.deviceOnly])).toEqual([
      ['GitHub', 'alice', ['work'], false],
      ['GitLab', 'bob', [], true],
    ]);
    expect(again.deviceId).toBe(vault.deviceId);
    const { readFileSync } = await import('node:fs');
    const raw = readFileSync(`${home}/vault.bin`);
    expect(raw.includes(Buffer.from('GitHub'))).toBe(false);
    expect(raw.includes(Buffer.from(a.secret))).toBe(false);
  });

  it('binds an entry to sites (normalized host names), refuses anything else, and unbinds with null', async () => {
    const home = tempHome();
    const vault = await open(home);
    const { id } = await vault.add(totpEntry(1, { issuer: 'Bank', account: 'alice' }));
    expect(vault.get(id)!.sites).toBeUndefined();
    await vault.update(id, { sites: [' Bank.Example.COM. ', 'bücher.de', 'bank.example.com'] });
    expect((await open(home)).get(id)!.sites).toEqual(['bank.example.com', 'xn--bcher-kva.de']);
    for (const bad of [
      'https://bank.example.com',
      'bank.example.com/login',
      '*.example.com',
      'localhost',
      'a b.com',
      'x.com:443',
    ]) {
      await expect(vault.update(id, { sites: [bad] }), bad).rejects.toThrow(
        /^sites: .* is not a domain name like example\.com$/,
      );
    }
    expect(vault.get(id)!.sites).toEqual(['bank.example.com', 'xn--bcher-kva.de']);
    await vault.update(id, { sites: null as unknown as string[] });
    expect(vault.get(id)!.sites).toBeUndefined();
  });

  it('refuses a duplicate (same type, secret, issuer and account, any case) and stores nothing', async () => {
    const vault = await open(tempHome());
    const first = await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice' }));
    const generation = vault.generation;
    const error = await vault
      .add(totpEntry(1, { issuer: ' github', account: 'ALICE' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateEntryError);
    expect((error as DuplicateEntryError).existingId).toBe(first.id);
    expect((error as Error).message).toBe('github (ALICE) is already in the vault');
    expect(vault.generation).toBe(generation);
    // Same secret under another account is another credential, and so is another secret under the same names.
    await vault.add(totpEntry(1, { issuer: 'GitHub', account: 'alice-work' }));
    await vault.add(totpEntry(2, { issuer: 'GitHub', account: 'alice' }));
    expect(vault.entries()).toHaveLength(3);
    expect(vault.findDuplicate(totpEntry(2, { issuer: 'GITHUB', account: 'alice ' }))?.secret).toBe(
      totpEntry(2).secret,
    );
    expect(vault.findDuplicate(totpEntry(3, { issuer: 'GitHub', account: 'alice' }))).toBeUndefined();
  });

  it('sameCredential: type, secret, and names in any case', () => {
    const a = totpEntry(1, { issuer: 'GitHub', account: 'alice' });
    expect(sameCredential(a, { ...a, issuer: 'github ', account: 'ALICE' })).toBe(true);
    expect(sameCredential(a, totpEntry(2, { issuer: 'GitHub', account: 'alice' }))).toBe(false);
    expect(sameCredential(a, { ...a, type: 'steam' })).toBe(false);
    expect(sameCredential(a, { ...a, secret: `${a.secret}AA` })).toBe(false);
  });

  it('addMany stores a batch in one write and reports duplicates in the vault and in the batch', async () => {
    const vault = await open(tempHome());
    await vault.add(totpEntry(1));
    const before = vault.generation;
    const { added, duplicates } = await vault.addMany([
      totpEntry(1),
      totpEntry(2),
      totpEntry(3),
      totpEntry(2),
    ]);
    expect(added.map((e) => e.issuer)).toEqual(['Issuer 2', 'Issuer 3']);
    expect(duplicates.map((e) => e.issuer)).toEqual(['Issuer 1', 'Issuer 2']);
    expect(vault.generation).toBe(before + 1);
  });

  it('an invalid entry refuses the whole batch, naming the field', async () => {
    const vault = await open(tempHome());
    const bad = { ...totpEntry(2), digits: 12 };
    await expect(vault.addMany([totpEntry(1), bad])).rejects.toThrow(/digits/);
    expect(vault.entries()).toEqual([]);
    expect(vault.generation).toBe(0);
  });

  it('finds entries by issuer or account, case-insensitively; exact matches win; ambiguity lists matches', async () => {
    const vault = await open(tempHome());
    await vault.addMany([
      totpEntry(1, { issuer: 'GitHub', account: 'alice' }),
      totpEntry(2, { issuer: 'GitHub', account: 'bob' }),
      totpEntry(3, { issuer: 'Git', account: 'carol' }),
    ]);
    expect(vault.findOne('CAROL').issuer).toBe('Git');
    expect(vault.findOne('git').account).toBe('carol'); // exact issuer "Git" beats substring "GitHub"
    expect(vault.findOne('github bob').account).toBe('bob');
    expect(vault.findOne('github:alice').account).toBe('alice');
    const error = (() => {
      try {
        vault.findOne('github');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AmbiguousQueryError);
    expect((error as AmbiguousQueryError).matches.map((e) => e.account)).toEqual(['alice', 'bob']);
    expect((error as Error).message).toContain('GitHub (alice), GitHub (bob)');
    expect(() => vault.findOne('nothing')).toThrow(/no entry matches "nothing"/);
  });

  it('renames and edits display fields; credential fields cannot change', async () => {
    const vault = await open(tempHome());
    const entry = await vault.add(totpEntry(1));
    const renamed = await vault.rename(entry.id, { issuer: '  New name ' });
    expect([renamed.issuer, renamed.account]).toEqual(['New name', 'user1']);
    const record = vault.record(entry.id)!;
    expect(record.clock.issuer! > record.clock.account!).toBe(true);
    await vault.update(entry.id, { tags: ['a', 'a', ' b '] });
    expect(vault.get(entry.id)!.tags).toEqual(['a', 'b']);
    await expect(vault.update(entry.id, { secret: 'AAAA' } as never)).rejects.toThrow(
      /secret: cannot be changed/,
    );
    await expect(vault.update(entry.id, { order: Number.NaN })).rejects.toThrow(/order/);
  });

  it('remove leaves a tombstone that the sync engine sees', async () => {
    const vault = await open(tempHome());
    const entry = await vault.add(totpEntry(1));
    await vault.remove(entry.id);
    expect(vault.entries()).toEqual([]);
    expect(vault.records()).toHaveLength(1);
    expect(vault.record(entry.id)!.deleted).toBe(true);
    await expect(vault.remove(entry.id)).rejects.toMatchObject({ code: 'not-found' });
    // The same credential can be added again afterwards, as a new entry.
    const again = await vault.add(totpEntry(1));
    expect(again.id).not.toBe(entry.id);
  });

  it('nextHotp saves the advanced counter before returning the code (RFC 4226 Appendix D)', async () => {
    const home = tempHome();
    const vault = await open(home);
    const entry = await vault.add(rfcHotpEntry());
    expect(await vault.nextHotp(entry.id)).toBe('755224');
    expect((await open(home)).get(entry.id)!.counter).toBe(1);
    expect(await vault.nextHotp(entry.id)).toBe('287082');
    expect(await (await open(home)).nextHotp(entry.id)).toBe('359152');
    const totp = await vault.add(totpEntry(9));
    await expect(vault.nextHotp(totp.id)).rejects.toThrow(/not an HOTP entry/);
  });

  it('keeps meta across sessions and announces changes', async () => {
    const home = tempHome();
    const vault = await open(home);
    const changes: VaultChange[] = [];
    const stop = vault.onChange((c) => changes.push(c));
    await vault.updateMeta({ cursor: 42, session: { token: 'x' } });
    await vault.setMeta('cursor', undefined);
    const entry = await vault.add(totpEntry(1));
    stop();
    await vault.remove(entry.id);
    expect(changes).toEqual([
      { kind: 'meta', source: 'local', ids: ['cursor', 'session'] },
      { kind: 'meta', source: 'local', ids: ['cursor'] },
      { kind: 'records', source: 'local', ids: [entry.id] },
    ]);
    const again = await open(home);
    expect(again.meta).toEqual({ session: { token: 'x' } });
    // meta hands out copies: editing one does not change the vault.
    (again.getMeta('session') as { token: string }).token = 'changed';
    expect(again.getMeta('session')).toEqual({ token: 'x' });
  });

  it('applyRemote merges records from another device and reports them as remote changes', async () => {
    const phone = await open(tempHome());
    const laptop = await open(tempHome());
    const entry = await phone.add(totpEntry(1, { issuer: 'GitHub' }));
    const changes: VaultChange[] = [];
    laptop.onChange((c) => changes.push(c));
    expect(await laptop.applyRemote(phone.records(), { meta: { cursor: 7 } })).toEqual({
      changed: [entry.id],
    });
    expect(laptop.get(entry.id)!.issuer).toBe('GitHub');
    expect(laptop.getMeta('cursor')).toBe(7);
    expect(changes).toEqual([
      { kind: 'records', source: 'remote', ids: [entry.id] },
      { kind: 'meta', source: 'local', ids: ['cursor'] },
    ]);
    // Concurrent edits: laptop renames, phone deletes later; both converge on the deletion.
    await laptop.rename(entry.id, { account: 'laptop-name' });
    await phone.remove(entry.id);
    await laptop.applyRemote(phone.records());
    await phone.applyRemote(laptop.records());
    expect(laptop.record(entry.id)).toEqual(phone.record(entry.id));
    expect(laptop.record(entry.id)!.deleted).toBe(true);
    // Applying the same records again changes nothing.
    expect(await laptop.applyRemote(phone.records())).toEqual({ changed: [] });
  });

  it('applyRemote refuses malformed records without storing any', async () => {
    const phone = await open(tempHome());
    await phone.add(totpEntry(1));
    const laptop = await open(tempHome());
    const good = phone.records()[0]!;
    const bad = structuredClone(good);
    bad.entry.id = 'not-a-uuid';
    await expect(laptop.applyRemote([good, bad])).rejects.toThrow(/entry\.id is not a UUID v4/);
    const lying = structuredClone(good);
    lying.deleted = true;
    await expect(laptop.applyRemote([lying])).rejects.toThrow(/deleted disagrees with the clocks/);
    const wrongClock = structuredClone(good);
    wrongClock.clock.issuer = 'yesterday';
    await expect(laptop.applyRemote([wrongClock])).rejects.toThrow(/clock\.issuer/);
    expect(laptop.records()).toEqual([]);
  });

  it('two Vault objects on one home (two processes) never lose each other’s writes', async () => {
    const home = tempHome();
    const a = await open(home);
    const b = await open(home);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.add(totpEntry(i))),
      ...Array.from({ length: 10 }, (_, i) => b.add(totpEntry(100 + i))),
    ]);
    const fresh = await open(home);
    expect(fresh.entries()).toHaveLength(20);
    const seen: VaultChange[] = [];
    a.onChange((c) => seen.push(c));
    await a.refresh();
    expect(a.entries()).toHaveLength(20);
    expect(seen.every((c) => c.source === 'remote')).toBe(true);
  });

  it('sees a change from another Vault object that leaves the file the same size', async () => {
    const home = tempHome();
    const a = await open(home);
    const b = await open(home);
    const { id } = await a.add(totpEntry(1));
    await b.refresh();
    // Four file lengths (one per residue mod 4), each written twice at the same length: the second
    // write must be told apart from the first by its bytes, not by its size.
    for (let k = 0; k < 4; k++) {
      for (const letter of ['x', 'y']) {
        const issuer = letter.repeat(8 + k);
        await a.rename(id, { issuer });
        await b.refresh();
        expect(b.get(id)!.issuer).toBe(issuer);
      }
    }
  });

  it('stores and warns about a measured server clock offset', async () => {
    const vault = await open(tempHome());
    expect(vault.clockWarning()).toBeNull();
    const clock = await vault.recordServerTime({
      serverTime: 1_000_000 + 42_000,
      sentAt: 999_900,
      receivedAt: 1_000_100,
    });
    expect(clock).toEqual({ offsetMs: 42_000, measuredAt: 1_000_100, roundTripMs: 200 });
    expect(vault.clockWarning()).toMatch(/^this computer's clock is 42 s behind the keychain server's/);
    await vault.recordServerTime({ serverTime: 1_000_000 - 3_000, sentAt: 1_000_000, receivedAt: 1_000_000 });
    expect(vault.clockWarning()).toBeNull();
    await vault.recordServerTime({ serverTime: 1_000_000 - 9_000, sentAt: 1_000_000, receivedAt: 1_000_000 });
    expect(vault.clockWarning()).toMatch(/9 s ahead of/);
    // A measurement whose time cannot be shown is ignored, not a crash of every code command.
    await vault.setMeta('serverClock', { offsetMs: 60_000, measuredAt: 1e20 });
    expect(vault.clockWarning()).toBeNull();
  });

  it('raises VaultError with codes callers can branch on', async () => {
    const vault = await open(tempHome());
    const error = await vault
      .update('00000000-0000-4000-8000-000000000000', { issuer: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).code).toBe('not-found');
  });
});
