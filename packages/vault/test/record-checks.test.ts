import { describe, expect, it } from 'vitest';
import { formatHlc, isDeleted, mergeRecords, validateRecord, type VaultRecord } from '@tessera/vault';
import { totpEntry } from './fixtures.js';

const t1 = formatHlc({ ms: 1_700_000_000_000, counter: 0, deviceId: 'a' });
const t2 = formatHlc({ ms: 1_700_000_000_001, counter: 0, deviceId: 'a' });

function record(
  over: { entry?: Record<string, unknown>; clock?: Record<string, unknown>; deleted?: unknown } = {},
) {
  return {
    v: 1,
    entry: {
      ...totpEntry(1),
      id: '0b6f3b7e-9d1c-4f3a-8e2b-5a6c7d8e9f01',
      tags: ['a'],
      order: 0,
      deviceOnly: false,
      createdAt: 1,
      updatedAt: 1,
      ...over.entry,
    },
    clock: over.clock ?? { issuer: t1, account: t1 },
    deleted: over.deleted ?? false,
  } as unknown as VaultRecord;
}

// validateRecord, isDeleted and the merge's own-copy check loop without closures, key arrays or
// iterators (a pull runs them for every record it receives): each check still refuses what it did.
describe('the per-record checks written as loops', () => {
  it('refuses each bad field with the message it always gave', () => {
    const bad: [Parameters<typeof record>[0], RegExp][] = [
      [{ entry: { tags: ['a', 1] } }, /entry\.tags must be a list of text/],
      [{ entry: { tags: 'a' } }, /entry\.tags must be a list of text/],
      [{ entry: { sites: ['a.example', null] } }, /entry\.sites must be a list of at most/],
      [{ entry: { createdAt: -1 } }, /entry\.createdAt must be a time in milliseconds/],
      [{ entry: { createdAt: 1.5 } }, /entry\.createdAt must be a time in milliseconds/],
      [{ entry: { updatedAt: '1' } }, /entry\.updatedAt must be a time in milliseconds/],
      [{ entry: { issuer: ' Padded ' } }, /entry\.issuer is not in canonical form/],
      [{ clock: { issuer: t1, account: 'x' } }, /clock\.account is not a hybrid logical clock/],
      [{ clock: { issuer: t1, deleted: t2 } }, /deleted disagrees with the clocks/],
      [{ clock: { issuer: t2, deleted: t1 }, deleted: true }, /deleted disagrees with the clocks/],
    ];
    for (const [over, message] of bad)
      expect(() => validateRecord(record(over)), String(message)).toThrow(message);
    expect(() => validateRecord(record({ entry: { sites: ['a.example'] } }))).not.toThrow();
    expect(() => validateRecord(record({ clock: { issuer: t1, deleted: t2 }, deleted: true }))).not.toThrow();
  });

  it('skips holes in a list as Array.prototype.every does', () => {
    const tags = ['a'];
    tags[2] = 'b';
    expect(() => validateRecord(record({ entry: { tags } }))).not.toThrow();
  });

  it('reads only own clock keys, whatever Object.prototype carries', () => {
    const proto = Object.prototype as Record<string, unknown>;
    // Each check runs under the pollution; the results are asserted outside it (the test runner's
    // own code must not see it).
    const polluted = <T>(value: string, check: () => T): T => {
      Object.defineProperty(proto, 'zz', { value, enumerable: true, configurable: true, writable: true });
      try {
        return check();
      } finally {
        delete proto.zz;
      }
    };
    const live = record({ clock: { issuer: t1 } });
    const deleted = record({ clock: { issuer: t1, deleted: t2 }, deleted: true });
    // Not a clock: no own field of the record, so not checked as one.
    expect(polluted('not a clock', () => validateRecord(live))).toBe(live);
    // A clock later than the deletion: not one of the record's, so it does not bring it back.
    const later = formatHlc({ ms: 1_700_000_000_009, counter: 0, deviceId: 'a' });
    const [stillDeleted, checked, merged] = polluted(later, () => [
      isDeleted(deleted.clock),
      validateRecord(deleted),
      mergeRecords(deleted, deleted),
    ]);
    expect(stillDeleted).toBe(true);
    expect(checked).toBe(deleted);
    expect(merged).toBe(deleted);
  });
});
