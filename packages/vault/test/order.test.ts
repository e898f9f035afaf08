/**
 * The synced order: position keys (always room between two), moves that write one entry, pins
 * first in every sort, the first move of an old vault, re-spreading a worn-out gap, per-device use
 * counts, and two devices that move and pin at the same time converging on one list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import {
  createRecord,
  isPositionKey,
  POSITION_SPREAD_AT,
  positionBetween,
  positionsBetween,
  sortEntries,
  type Vault,
  type VaultEntry,
} from '@tessera/vault';
import { tempHome, totpEntry } from './fixtures.js';

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const key = fc
  .array(fc.constantFrom(...DIGITS), { minLength: 1, maxLength: 6 })
  .map((d) => d.join(''))
  .filter(isPositionKey);

describe('position keys', () => {
  it('always finds a valid key strictly between two keys, or before or after one', () => {
    fc.assert(
      fc.property(key, key, (x, y) => {
        fc.pre(x !== y);
        const [lower, upper] = x < y ? [x, y] : [y, x];
        const mid = positionBetween({ lower, upper });
        expect(isPositionKey(mid)).toBe(true);
        expect(lower < mid && mid < upper).toBe(true);
        const first = positionBetween({ lower: null, upper: lower });
        const last = positionBetween({ lower: upper, upper: null });
        expect(isPositionKey(first) && first < lower).toBe(true);
        expect(isPositionKey(last) && last > upper).toBe(true);
        const many = positionsBetween({ lower, upper, count: 7 });
        expect(many.every((k) => isPositionKey(k) && k > lower && k < upper)).toBe(true);
        expect([...new Set(many)].sort()).toEqual(many);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses bounds in the wrong order', () => {
    expect(() => positionBetween({ lower: 'b', upper: 'a' })).toThrow(/lower must sort before upper/);
    expect(() => positionBetween({ lower: 'a', upper: 'a' })).toThrow();
  });

  it('spreads many keys short: 1,000 in 3 digits, ascending, inside the bounds', () => {
    const keys = positionsBetween({ lower: null, upper: null, count: 1000 });
    expect(keys).toHaveLength(1000);
    expect(new Set(keys).size).toBe(1000);
    expect([...keys].sort()).toEqual(keys);
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThanOrEqual(3);
    const inside = positionsBetween({ lower: 'V', upper: 'W', count: 50 });
    expect(inside.every((k) => k > 'V' && k < 'W' && isPositionKey(k))).toBe(true);
  });

  it('keeps keys short when entries are appended one at a time, or inserted at the top', () => {
    let last: string | null = null;
    const appended: string[] = [];
    for (let i = 0; i < 1000; i++) appended.push((last = positionBetween({ lower: last, upper: null })));
    expect([...appended].sort()).toEqual(appended);
    expect(Math.max(...appended.map((k) => k.length))).toBeLessThanOrEqual(POSITION_SPREAD_AT);
    let first: string | null = null;
    for (let i = 0; i < 300; i++) {
      const next = positionBetween({ lower: null, upper: first });
      if (first !== null) expect(next < first).toBe(true);
      first = next;
    }
  });
});

const names = (vault: Vault) => vault.entries().map((e) => e.issuer);

async function vaultWith(issuers: string[]): Promise<Vault> {
  const vault = await openNodeVault({ home: tempHome(), keyStore: 'file' });
  for (const [n, issuer] of issuers.entries()) await vault.add(totpEntry(n + 1, { issuer, account: 'a' }));
  return vault;
}

const idOf = (vault: Vault, issuer: string) => vault.entries().find((e) => e.issuer === issuer)!.id;

/** The records `fn` rewrote, by id. */
async function written(vault: Vault, fn: () => Promise<unknown>): Promise<string[]> {
  const before = new Map(vault.records().map((r) => [r.entry.id, JSON.stringify(r)]));
  await fn();
  return vault
    .records()
    .filter((r) => before.get(r.entry.id) !== JSON.stringify(r))
    .map((r) => r.entry.issuer);
}

describe('manual order and pins in the vault', () => {
  it('adds at the end and moves before, after, to the top and bottom, writing the moved entry only', async () => {
    const vault = await vaultWith(['A', 'B', 'C', 'D']);
    expect(names(vault)).toEqual(['A', 'B', 'C', 'D']);
    expect(
      await written(vault, () => vault.move({ id: idOf(vault, 'D'), before: idOf(vault, 'B') })),
    ).toEqual(['D']);
    expect(names(vault)).toEqual(['A', 'D', 'B', 'C']);
    expect(await written(vault, () => vault.move({ id: idOf(vault, 'A'), after: idOf(vault, 'B') }))).toEqual(
      ['A'],
    );
    expect(names(vault)).toEqual(['D', 'B', 'A', 'C']);
    await vault.move({ id: idOf(vault, 'C'), to: 'top' });
    await vault.move({ id: idOf(vault, 'D'), to: 'bottom' });
    expect(names(vault)).toEqual(['C', 'B', 'A', 'D']);
    // Moving next to itself changes nothing.
    expect(
      await written(vault, () => vault.move({ id: idOf(vault, 'B'), before: idOf(vault, 'B') })),
    ).toEqual([]);
    await vault.add(totpEntry(9, { issuer: 'E', account: 'a' }));
    expect(names(vault)).toEqual(['C', 'B', 'A', 'D', 'E']);
  });

  it('shows pinned entries first in every sort and orders each group on its own', async () => {
    const vault = await vaultWith(['Zeta', 'alpha', 'Mid']);
    await vault.setPinned(idOf(vault, 'Mid'), true);
    expect(names(vault)).toEqual(['Mid', 'Zeta', 'alpha']);
    expect(sortEntries({ entries: vault.entries(), sort: 'name' }).map((e) => e.issuer)).toEqual([
      'Mid',
      'alpha',
      'Zeta',
    ]);
    await expect(vault.move({ id: idOf(vault, 'Zeta'), before: idOf(vault, 'Mid') })).rejects.toThrow(
      /Mid \(a\) is pinned and Zeta \(a\) is not: pinned entries are ordered among themselves/,
    );
    await vault.setPinned(idOf(vault, 'Mid'), false);
    expect(names(vault)).toEqual(['Zeta', 'alpha', 'Mid']);
  });

  it('orders "most used" by this device\'s counts, kept in local meta and never in a record', async () => {
    const vault = await vaultWith(['A', 'B', 'C']);
    await vault.recordUse(idOf(vault, 'C'));
    await vault.recordUse(idOf(vault, 'C'));
    await vault.recordUse(idOf(vault, 'B'));
    const sorted = sortEntries({ entries: vault.entries(), sort: 'used', uses: vault.uses() });
    expect(sorted.map((e) => e.issuer)).toEqual(['C', 'B', 'A']);
    expect(JSON.stringify(vault.records())).not.toMatch(/uses|"count"/);
    // A deleted entry's count goes with the next count.
    await vault.remove(idOf(vault, 'C'));
    await vault.recordUse(idOf(vault, 'B'));
    expect([...vault.uses()]).toEqual([[idOf(vault, 'B'), 2]]);
  });

  it('gives entries of an old vault keys once, in the order they showed, on the first move', async () => {
    const old = await openNodeVault({ home: tempHome(), keyStore: 'file' });
    const stamp = '1700000000000:0000:old';
    const legacy = ['A', 'B', 'C'].map((issuer, n) =>
      createRecord({
        entry: { ...totpEntry(n + 1, { issuer, account: 'a' }) },
        id: globalThis.crypto.randomUUID(),
        tags: [],
        deviceOnly: false,
        order: 2 - n,
        stamp,
        now: 1,
      }),
    );
    await old.applyRemote(legacy);
    expect(names(old)).toEqual(['C', 'B', 'A']);
    const changed = await written(old, () => old.move({ id: idOf(old, 'A'), before: idOf(old, 'B') }));
    expect(changed.sort()).toEqual(['A', 'B', 'C']);
    expect(names(old)).toEqual(['C', 'A', 'B']);
    expect(await written(old, () => old.move({ id: idOf(old, 'C'), to: 'bottom' }))).toEqual(['C']);
  });

  it('re-spreads a group when a gap wears out, so keys stay short', async () => {
    const vault = await vaultWith(['A', 'B', 'C', 'D']);
    // Always into the gap right after A: the key there grows until the group is spread again.
    let spread = false;
    for (let i = 0; i < 400; i++) {
      const order = names(vault);
      const moving = order[order.length - 1]!;
      const changed = await written(vault, () =>
        vault.move({ id: idOf(vault, moving), after: idOf(vault, 'A') }),
      );
      if (changed.length > 1) spread = true;
      expect(names(vault)).toEqual(['A', moving, ...order.slice(1, -1)]);
    }
    expect(spread).toBe(true);
    expect(Math.max(...vault.entries().map((e) => e.position!.length))).toBeLessThanOrEqual(
      POSITION_SPREAD_AT,
    );
  });
});

/** Sends every record of `from` to `to`, as a sync round would. */
const exchange = (from: Vault, to: Vault) => to.applyRemote(from.records());

describe('two devices that move and pin at once converge', () => {
  it('keeps both moves of different entries', async () => {
    const a = await vaultWith(['A', 'B', 'C', 'D', 'E']);
    const b = await openNodeVault({ home: tempHome(), keyStore: 'file' });
    await exchange(a, b);
    await a.move({ id: idOf(a, 'E'), to: 'top' });
    await b.move({ id: idOf(b, 'A'), to: 'bottom' });
    await b.setPinned(idOf(b, 'C'), true);
    await exchange(a, b);
    await exchange(b, a);
    expect(names(a)).toEqual(['C', 'E', 'B', 'D', 'A']);
    expect(names(b)).toEqual(names(a));
  });

  it('shows one list on both devices after any concurrent moves and pins (property)', async () => {
    const op = fc.record({
      device: fc.constantFrom(0, 1),
      kind: fc.constantFrom('before', 'after', 'top', 'bottom', 'pin', 'unpin'),
      x: fc.integer({ min: 0, max: 3 }),
      y: fc.integer({ min: 0, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        const a = await vaultWith(['A', 'B', 'C', 'D']);
        const b = await openNodeVault({ home: tempHome(), keyStore: 'file' });
        await exchange(a, b);
        const ids = a.entries().map((e) => e.id);
        for (const { device, kind, x, y } of ops) {
          const vault = device === 0 ? a : b;
          const id = ids[x]!;
          const other = ids[y]!;
          const pinned = (e: VaultEntry | undefined) => Boolean(e?.pinned);
          if (kind === 'pin' || kind === 'unpin') await vault.setPinned(id, kind === 'pin');
          else if (kind === 'top' || kind === 'bottom') await vault.move({ id, to: kind });
          else if (pinned(vault.get(id)) === pinned(vault.get(other)))
            await vault.move({ id, [kind]: other });
        }
        await exchange(a, b);
        await exchange(b, a);
        expect(b.entries().map((e) => e.id)).toEqual(a.entries().map((e) => e.id));
        expect(
          a
            .records()
            .map((r) => r.entry.position)
            .every(isPositionKey),
        ).toBe(true);
        // Pinned entries lead on both.
        const flags = a.entries().map((e) => Boolean(e.pinned));
        expect(flags).toEqual([...flags].sort((p, q) => Number(q) - Number(p)));
      }),
      { numRuns: 15 },
    );
  });
});
