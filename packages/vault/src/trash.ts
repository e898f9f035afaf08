import { parseHlc } from './hlc.js';
import { isDeleted, WIPED_FIELDS, wipedEntry } from './merge.js';
import type { RecordClock, VaultRecord } from './types.js';

/** How long a deleted entry keeps its content in the trash before it is wiped. */
export const TRASH_DAYS = 30;
export const TRASH_MS = TRASH_DAYS * 24 * 60 * 60 * 1000;

/** Unix milliseconds of the deletion of a tombstone (the wall time in its deletion clock). */
export function deletedAt(record: VaultRecord): number {
  const stamp = record.clock.deleted;
  return stamp === undefined ? 0 : parseHlc(stamp).ms;
}

/** Whether a record is in the trash: deleted, and its content not yet wiped. */
export function inTrash(record: VaultRecord): boolean {
  return record.deleted && record.clock.purged === undefined;
}

/**
 * `record` brought back from the trash: the `restored` clock is newer than the deletion, so the
 * record is live again (merge.ts), and a deletion made later on another device still wins.
 * Devices that predate the trash merge `restored` as an ordinary field without value and agree.
 */
export function restoreRecord(record: VaultRecord, stamp: string, now: number): VaultRecord {
  const clock = { ...record.clock, restored: stamp };
  return {
    v: 1,
    entry: { ...record.entry, updatedAt: Math.max(now, record.entry.updatedAt) },
    clock,
    deleted: isDeleted(clock),
  };
}

/**
 * `record` with its content wiped for good: secret and names replaced (merge.ts `wipedEntry`), the
 * wiped fields and `purged` stamped with `wipe`, then a new deletion `deletion` later than both.
 * The field clocks make devices that predate the trash keep the wiped values too, and the later
 * deletion keeps the record a tombstone for them.
 */
export function purgeRecord(record: VaultRecord, wipe: string, deletion: string): VaultRecord {
  const clock: RecordClock = { ...record.clock, purged: wipe, deleted: deletion };
  for (const field of WIPED_FIELDS) if (field in clock || field in record.entry) clock[field] = wipe;
  return { v: 1, entry: wipedEntry(record.entry), clock, deleted: isDeleted(clock) };
}
