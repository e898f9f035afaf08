import { canon } from './canon.js';
import { formatHlc, maxHlc, parseHlc } from './hlc.js';
import type { RecordClock, VaultEntry, VaultRecord } from './types.js';

/**
 * Merge of two copies of one record (docs/PROTOCOL.md §3). It is a join of a semilattice, so merging
 * is commutative, associative and idempotent and every device converges whatever the order of sync:
 *
 * - every field is last-writer-wins by its hybrid logical clock; equal clocks with different values
 *   (which a correct device never produces) are broken by the canonical JSON of the value;
 * - the HOTP `counter` takes the maximum, so a used code is never offered again;
 * - `createdAt` takes the minimum, `updatedAt` the maximum;
 * - `clock.deleted` is the latest deletion. The record is deleted while that deletion is newer than
 *   every field clock: a deletion wins over edits made before it, and an edit made after it (on a
 *   device that had not seen it) brings the entry back. For an authenticator, showing a deleted
 *   entry again is recoverable; losing a secret the user still needed is not. Tombstones therefore
 *   keep their entry, so a resurrected entry is complete;
 * - `clock.restored` is an ordinary clock field without value: a restore from the trash stamps it,
 *   which makes the record live again exactly like an edit made after the deletion;
 * - `clock.purged` (the trash was emptied, or the 30 days passed) is absorbing: once either copy is
 *   purged the result is a tombstone with its content wiped, whatever the other copy did, and its
 *   deletion clock is raised past every other clock so the old rule above agrees (`closePurged`).
 */
export function mergeRecords(a: VaultRecord, b: VaultRecord): VaultRecord {
  if (a.entry.id !== b.entry.id) throw new Error(`mergeRecords: ids differ (${a.entry.id} / ${b.entry.id})`);
  // A copy merged with itself (a pull storing a record this device did not have) is usually that
  // copy: checked directly rather than built field by field and compared (issue 14).
  if (a === b && isOwnMerge(a)) return a;
  const entry: Record<string, unknown> = { id: a.entry.id };
  const clock: RecordClock = {};
  const ea = a.entry as unknown as Record<string, unknown>;
  const eb = b.entry as unknown as Record<string, unknown>;
  // Whether every value and clock of the result is the very one `a` (or `b`) holds: then that copy
  // itself is the result (see `sameRecord`).
  let likeA = true;
  let likeB = true;

  for (const field of lwwFields(a, b)) {
    const ca = a.clock[field];
    const cb = b.clock[field];
    const va = ea[field];
    const vb = eb[field];
    // Identical values need no tie-break (the canonical JSON of both is the same).
    const takeA =
      ca === cb
        ? va === vb || canonOrEmpty(va) >= canonOrEmpty(vb)
        : ca !== undefined && (cb === undefined || ca > cb);
    const value = takeA ? va : vb;
    if (value !== undefined) entry[field] = value;
    const c = maxHlc(ca, cb);
    if (c !== undefined) clock[field] = c;
    likeA &&= value === va && c === ca;
    likeB &&= value === vb && c === cb;
  }

  entry.counter = maxCounter(a.entry.counter, b.entry.counter);
  entry.createdAt = Math.min(a.entry.createdAt, b.entry.createdAt);
  entry.updatedAt = Math.max(a.entry.updatedAt, b.entry.updatedAt);
  for (const field of ['counter', 'deleted']) {
    const c = maxHlc(a.clock[field], b.clock[field]);
    if (c !== undefined) clock[field] = c;
  }

  const merged = closePurged({
    v: 1,
    entry: entry as unknown as VaultEntry,
    clock,
    deleted: isDeleted(clock),
  });
  // Returning an input copy unchanged (not a new object of equal content) lets callers see "nothing
  // changed" by identity, and keeps what was cached for that object (the sync engine's hashes).
  if (likeA && sameRecord(merged, a)) return a;
  if (likeB && sameRecord(merged, b)) return b;
  return merged;
}

/**
 * Whether the general path below returns `r` itself for `mergeRecords(r, r)`: with both sides one
 * copy every LWW value and clock is `r`'s, so what is left is what `sameRecord` checks of the rest:
 * no purge to close, numbers that `Math.min`/`Math.max` give back, `deleted` agreeing with the clocks,
 * and no key the merge would drop (an undefined value, an entry field named `deleted`, a clock for a
 * field merged by its own rule). The merge tests compare it with the general path on any copy.
 */
function isOwnMerge(r: VaultRecord): boolean {
  const entry = r.entry as unknown as Record<string, unknown>;
  const { counter, createdAt, updatedAt } = r.entry;
  if (
    r.v !== 1 ||
    r.clock.purged !== undefined ||
    !(counter === null || (typeof counter === 'number' && !Number.isNaN(counter))) ||
    typeof createdAt !== 'number' ||
    Number.isNaN(createdAt) ||
    typeof updatedAt !== 'number' ||
    Number.isNaN(updatedAt) ||
    r.deleted !== isDeleted(r.clock)
  )
    return false;
  // for...in over own keys, not for...of over Object.keys: a pull checks every record it stores
  // here, and these loops then make no key array or iterator per record (issue 14).
  for (const key in entry) {
    if (Object.hasOwn(entry, key) && (entry[key] === undefined || key === 'deleted')) return false;
  }
  for (const key in r.clock) {
    if (!Object.hasOwn(r.clock, key)) continue;
    if (r.clock[key] === undefined || (SPECIAL_FIELDS.has(key) && key !== 'counter' && key !== 'deleted'))
      return false;
  }
  return true;
}

/**
 * Whether `copy` holds exactly `merged`'s fields and values: the loop above found every LWW value and
 * clock identical; this checks the rest (counters, times, the special clocks, the key sets, purging).
 */
function sameRecord(merged: VaultRecord, copy: VaultRecord): boolean {
  const m = merged.entry as unknown as Record<string, unknown>;
  const c = copy.entry as unknown as Record<string, unknown>;
  return (
    copy.v === 1 &&
    copy.deleted === merged.deleted &&
    merged.clock.purged === undefined &&
    c.id === m.id &&
    c.counter === m.counter &&
    c.createdAt === m.createdAt &&
    c.updatedAt === m.updatedAt &&
    copy.clock.counter === merged.clock.counter &&
    copy.clock.deleted === merged.clock.deleted &&
    // Every key of the result has the copy's own value, so equal counts mean equal key sets.
    Object.keys(c).length === Object.keys(m).length &&
    Object.keys(copy.clock).length === Object.keys(merged.clock).length
  );
}

/** Fields whose values a purge wipes: everything that says what the entry was or holds its secret. */
export const WIPED_FIELDS = ['secret', 'issuer', 'account', 'tags', 'extra', 'sites', 'icon'] as const;

/**
 * A Base32 secret of ten zero bytes: what a purged record holds instead of its secret, so the record
 * stays a valid entry for devices that validate it as one.
 */
export const WIPED_SECRET = 'AAAAAAAAAAAAAAAA';

/** `entry` with its secret and names wiped; the non-secret parameters stay so it is still valid. */
export function wipedEntry(entry: VaultEntry): VaultEntry {
  const { extra: _extra, sites: _sites, icon: _icon, ...rest } = entry;
  return { ...rest, secret: WIPED_SECRET, issuer: '', account: '', tags: [] };
}

/**
 * A purged record whatever it merged with: content wiped, deletion clock later than every other
 * clock. A deterministic, monotone and idempotent step after the join, so merging stays commutative,
 * associative and idempotent.
 */
function closePurged(record: VaultRecord): VaultRecord {
  if (record.clock.purged === undefined) return record;
  const clock = { ...record.clock };
  let latest = '';
  for (const [field, c] of Object.entries(clock)) if (field !== 'deleted' && c > latest) latest = c;
  const after = nextHlc(latest);
  if (clock.deleted === undefined || clock.deleted < after) clock.deleted = after;
  return { v: 1, entry: wipedEntry(record.entry), clock, deleted: isDeleted(clock) };
}

/** The smallest clock of the same device later than `stamp` (hlc.ts carries past 4 digits). */
function nextHlc(stamp: string): string {
  const { ms, counter, deviceId } = parseHlc(stamp);
  return counter < 9999
    ? formatHlc({ ms, counter: counter + 1, deviceId })
    : formatHlc({ ms: ms + 1, counter: 0, deviceId });
}

/** Fields not merged by last-writer-wins, each with its own rule above. */
const SPECIAL_FIELDS = new Set(['id', 'counter', 'createdAt', 'updatedAt', 'deleted']);

function lwwFields(a: VaultRecord, b: VaultRecord): string[] {
  const fields = new Set([
    ...Object.keys(a.entry),
    ...Object.keys(b.entry),
    ...Object.keys(a.clock),
    ...Object.keys(b.clock),
  ]);
  return [...fields].filter((field) => !SPECIAL_FIELDS.has(field)).sort();
}

function canonOrEmpty(value: unknown): string {
  return value === undefined ? '' : canon(value);
}

function maxCounter(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** A record is deleted while its latest deletion is newer than every other field clock. */
export function isDeleted(clock: RecordClock): boolean {
  const deletion = clock.deleted;
  if (deletion === undefined) return false;
  // Own keys by for...in rather than Object.entries(…).every: no pair arrays per record.
  for (const field in clock) {
    if (Object.hasOwn(clock, field) && field !== 'deleted' && !(clock[field]! < deletion)) return false;
  }
  return true;
}
