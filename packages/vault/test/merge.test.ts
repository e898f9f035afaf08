import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc, isDeleted, mergeRecords, type VaultRecord } from '@tessera/vault';
import { fewHlcs, totpEntry } from './fixtures.js';

const ID = '0b6f3b7e-9d1c-4f3a-8e2b-5a6c7d8e9f01';

/** Few distinct clock values, so equal clocks (ties) happen often. */
const hlc = fewHlcs({ maxMs: 4, maxCounter: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Any copy of one record that some device could hold, including ties with different values. */
const record: fc.Arbitrary<VaultRecord> = fc
  .record({
    issuer: fc.constantFrom('GitHub', 'GitLab', ''),
    account: fc.constantFrom('alice', 'bob'),
    tags: fc.array(fc.constantFrom('work', 'home'), { maxLength: 2 }),
    order: fc.integer({ min: 0, max: 3 }),
    position: maybe(fc.constantFrom('V', 'V1', 'a', 'W')),
    pinned: maybe(fc.boolean()),
    deviceOnly: fc.boolean(),
    counter: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    extra: maybe(fc.constantFrom<Record<string, string>>({ x: '1', y: '2' }, { y: '2', x: '1' }, { x: '3' })),
    icon: maybe(fc.constantFrom('none', 'simple-icons/github', 'simple-icons/gitlab')),
    createdAt: fc.integer({ min: 0, max: 10 }),
    updatedAt: fc.integer({ min: 10, max: 20 }),
    clocks: fc.record(
      {
        issuer: hlc,
        account: hlc,
        tags: hlc,
        order: hlc,
        position: hlc,
        pinned: hlc,
        deviceOnly: hlc,
        counter: hlc,
        extra: hlc,
        icon: hlc,
        deleted: hlc,
        restored: hlc,
        purged: hlc,
      },
      { requiredKeys: ['issuer', 'account'] },
    ),
  })
  .map(({ clocks, extra, icon, position, pinned, ...fields }) => {
    const clock = Object.fromEntries(Object.entries(clocks).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const entry = {
      id: ID,
      type: 'hotp' as const,
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1' as const,
      digits: 6,
      period: null,
      ...fields,
      ...(extra ? { extra: { ...extra } } : {}),
      ...(icon ? { icon } : {}),
      ...(position !== undefined ? { position } : {}),
      ...(pinned !== undefined ? { pinned } : {}),
    };
    const copy = { v: 1 as const, entry, clock, deleted: isDeleted(clock) };
    // A purged copy exists only in its closed form (content wiped), which merging with itself gives.
    return clock.purged === undefined ? copy : mergeRecords(copy, copy);
  });

describe('mergeRecords is a semilattice join (every device converges)', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        expect(mergeRecords(a, b)).toStrictEqual(mergeRecords(b, a));
      }),
      { numRuns: 500 },
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(record, record, record, (a, b, c) => {
        expect(mergeRecords(mergeRecords(a, b), c)).toStrictEqual(mergeRecords(a, mergeRecords(b, c)));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(record, (a) => {
        expect(mergeRecords(a, a)).toStrictEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the highest HOTP counter whatever the clocks say', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        const counters = [a.entry.counter, b.entry.counter].filter((c): c is number => c !== null);
        expect(mergeRecords(a, b).entry.counter).toBe(counters.length ? Math.max(...counters) : null);
      }),
    );
  });
});

describe('the icon choice merges like any display field', () => {
  it('takes the icon (or its absence: automatic) of the copy whose icon clock is later', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        fc.pre(a.clock.purged === undefined && b.clock.purged === undefined);
        fc.pre(a.clock.icon !== b.clock.icon);
        const later = (a.clock.icon ?? '') > (b.clock.icon ?? '') ? a : b;
        expect(mergeRecords(a, b).entry.icon).toBe(later.entry.icon);
      }),
      { numRuns: 500 },
    );
  });

  it('is wiped when either copy is purged', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        fc.pre(a.clock.purged !== undefined || b.clock.purged !== undefined);
        expect(mergeRecords(a, b).entry.icon).toBeUndefined();
      }),
    );
  });
});

describe('mergeRecords returns an input copy itself when the other adds nothing', () => {
  /** The merge written out without the identity shortcut: always a new object. */
  const fresh = (r: VaultRecord): VaultRecord => JSON.parse(JSON.stringify(r)) as VaultRecord;

  it('returns `a` or `b` only when it holds exactly the merged value, else a new record', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        const merged = mergeRecords(a, b);
        // The same value as the merge of copies no shortcut can return by identity.
        expect(merged).toStrictEqual(mergeRecords(fresh(a), fresh(b)));
        if (merged === a || merged === b) expect(merged.clock.purged).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('a copy that differs only in counter or times is not taken for the result', () => {
    // Copies equal in every clocked field, so the shortcut is tempted on every run.
    const nearCopies = fc
      .tuple(
        record,
        fc.record({
          counter: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
          createdAt: fc.integer({ min: 0, max: 10 }),
          updatedAt: fc.integer({ min: 10, max: 20 }),
        }),
      )
      .map(([a, times]): [VaultRecord, VaultRecord] => [a, { ...a, entry: { ...a.entry, ...times } }]);
    fc.assert(
      fc.property(nearCopies, ([a, b]) => {
        expect(mergeRecords(a, b)).toStrictEqual(mergeRecords(fresh(a), fresh(b)));
        expect(mergeRecords(b, a)).toStrictEqual(mergeRecords(fresh(a), fresh(b)));
      }),
      { numRuns: 500 },
    );
  });

  it('merging a live copy with itself, or with an older copy, gives that copy itself', () => {
    fc.assert(
      fc.property(record, (a) => {
        fc.pre(a.clock.purged === undefined);
        expect(mergeRecords(a, a)).toBe(a);
        expect(mergeRecords(a, fresh(a))).toBe(a);
      }),
      { numRuns: 300 },
    );
    const t = (ms: number) => formatHlc({ ms: 1_700_000_000_000 + ms, counter: 0, deviceId: 'a' });
    const older: VaultRecord = {
      v: 1,
      entry: {
        ...totpEntry(0, { issuer: 'Old', account: 'alice' }),
        id: ID,
        tags: [],
        order: 0,
        deviceOnly: false,
        createdAt: 1,
        updatedAt: 1,
      },
      clock: { issuer: t(1), account: t(1) },
      deleted: false,
    };
    const newer: VaultRecord = {
      ...older,
      entry: { ...older.entry, issuer: 'New', updatedAt: 2 },
      clock: { ...older.clock, issuer: t(2) },
    };
    expect(mergeRecords(newer, older)).toBe(newer);
    expect(mergeRecords(older, newer)).toBe(newer);
    // Neither copy alone holds the result: a new record.
    const otherField: VaultRecord = {
      ...older,
      entry: { ...older.entry, account: 'bob', updatedAt: 3 },
      clock: { ...older.clock, account: t(3) },
    };
    const both = mergeRecords(newer, otherField);
    expect(both).not.toBe(newer);
    expect(both).not.toBe(otherField);
    expect([both.entry.issuer, both.entry.account]).toEqual(['New', 'bob']);
  });
});

describe('a copy merged with itself (what a pull of a new entry stores)', () => {
  /** Copies no well-formed device writes, each of which the general path does not give back as is. */
  const odd = fc.constantFrom<[string, (r: VaultRecord) => VaultRecord]>(
    ['as is', (r) => r],
    ['entry field named deleted', (r) => ({ ...r, entry: { ...r.entry, deleted: true } as never })],
    ['undefined entry value', (r) => ({ ...r, entry: { ...r.entry, issuer: undefined } as never })],
    ['no counter', (r) => ({ ...r, entry: { ...r.entry, counter: undefined } as never })],
    ['counter NaN', (r) => ({ ...r, entry: { ...r.entry, counter: Number.NaN } })],
    ['createdAt as text', (r) => ({ ...r, entry: { ...r.entry, createdAt: '1' } as never })],
    ['updatedAt NaN', (r) => ({ ...r, entry: { ...r.entry, updatedAt: Number.NaN } })],
    ['clock for createdAt', (r) => ({ ...r, clock: { ...r.clock, createdAt: r.clock.issuer! } })],
    ['clock for id', (r) => ({ ...r, clock: { ...r.clock, id: r.clock.issuer! } })],
    ['undefined clock', (r) => ({ ...r, clock: { ...r.clock, tags: undefined } as never })],
    ['deleted flag wrong', (r) => ({ ...r, deleted: !r.deleted })],
  );

  it('gives the same value as merging it with an equal copy, and itself only when that does', () => {
    fc.assert(
      fc.property(record, odd, (base, [, change]) => {
        const a = change(base);
        const b = structuredClone(a);
        const self = mergeRecords(a, a);
        const general = mergeRecords(a, b);
        expect(self).toStrictEqual(general);
        expect(self === a).toBe(general === a || general === b);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('mergeRecords rules', () => {
  const t = (ms: number, device = 'a') =>
    formatHlc({ ms: 1_700_000_000_000 + ms, counter: 0, deviceId: device });
  const base = (): VaultRecord => ({
    v: 1,
    entry: {
      ...totpEntry(0, { issuer: 'GitHub', account: 'alice' }),
      id: ID,
      tags: [],
      order: 0,
      deviceOnly: false,
      createdAt: 1,
      updatedAt: 1,
    },
    clock: { type: t(0), secret: t(0), issuer: t(0), account: t(0), tags: t(0) },
    deleted: false,
  });
  const edit = (r: VaultRecord, field: 'issuer' | 'account', value: string, at: string): VaultRecord => ({
    ...r,
    entry: { ...r.entry, [field]: value },
    clock: { ...r.clock, [field]: at },
  });
  const remove = (r: VaultRecord, at: string): VaultRecord => ({
    ...r,
    clock: { ...r.clock, deleted: at },
    deleted: true,
  });

  it('takes each field from the copy that wrote it last, independently', () => {
    const a = edit(base(), 'issuer', 'GitHub Inc', t(10, 'a'));
    const b = edit(base(), 'account', 'alice@example.com', t(5, 'b'));
    const merged = mergeRecords(a, b);
    expect([merged.entry.issuer, merged.entry.account]).toEqual(['GitHub Inc', 'alice@example.com']);
    expect(
      mergeRecords(edit(base(), 'issuer', 'Old', t(3)), edit(base(), 'issuer', 'New', t(4, 'b'))).entry
        .issuer,
    ).toBe('New');
  });

  it('a deletion wins over edits made before it', () => {
    const renamed = edit(base(), 'issuer', 'Renamed', t(10, 'b'));
    const deleted = remove(base(), t(20, 'a'));
    const merged = mergeRecords(renamed, deleted);
    expect(merged.deleted).toBe(true);
    expect(merged.entry.issuer).toBe('Renamed'); // the tombstone keeps the entry
  });

  it('an edit made after a deletion (on a device that had not seen it) brings the entry back', () => {
    const deleted = remove(base(), t(10, 'a'));
    const renamed = edit(base(), 'issuer', 'Still used', t(20, 'b'));
    const merged = mergeRecords(deleted, renamed);
    expect(merged.deleted).toBe(false);
    expect(merged.entry.issuer).toBe('Still used');
    expect(merged.clock.deleted).toBe(t(10, 'a'));
    // ...and deleting it again after that wins again.
    expect(mergeRecords(merged, remove(merged, t(30, 'a'))).deleted).toBe(true);
  });

  it('refuses to merge two different entries', () => {
    const other = base();
    other.entry = { ...other.entry, id: '1b6f3b7e-9d1c-4f3a-8e2b-5a6c7d8e9f01' };
    expect(() => mergeRecords(base(), other)).toThrow(/ids differ/);
  });
});
