/**
 * Restore snapshots in the sync round (docs/PROTOCOL.md §3.1): when a trusted device writes one, and
 * how a restoring device applies one. The format is `snapshot.ts`'s; the round is `sync.ts`'s.
 *
 * Writer: at the end of a round that succeeded with nothing left to push, where every synced item is
 * a copy of the current epoch that this device holds exactly (its record's hash is the synced hash,
 * so the local records ARE the server copies), and the pull saw every version up to the cursor. It
 * writes when the server's snapshot is far enough behind (`snapshotDue`). Device-only entries never
 * leave the device, and usage counts are not in records. A failed write only leaves the snapshot older.
 *
 * Reader: only a device with cursor 0 (a restore), only under the vault key of the circle's current
 * epoch, the snapshot's epoch being that one; every record goes through the per-item path's checks,
 * then is applied like one pulled page. A refused snapshot applies nothing: the pull goes on per item.
 */
import type { Snapshot } from '@tessera/protocol';
import { validateRecord } from '../record.js';
import type { VaultRecord } from '../types.js';
import type { Keychain } from './keychain.js';
import { openSnapshot, sealSnapshot, type SnapshotItem } from './snapshot.js';
import type { SyncedItem } from './state.js';
import { latestClock, recordHash } from './sync.js';

/** Per keychain: the `snapshotHead` of the last items answer, for the account it was read on. */
const hints = new WeakMap<Keychain, { accountId: string; head: number | undefined }>();

/** Notes a pulled page's `snapshotHead` (absent: the server did not say, and no snapshot is written). */
export function noteSnapshotHead(keychain: Keychain, head: number | undefined): void {
  const accountId = keychain.state?.accountId;
  if (!accountId) return;
  hints.set(keychain, { accountId, head: Number.isSafeInteger(head) && head! >= 0 ? head : undefined });
}

/**
 * Whether a snapshot at `head` of `count` items is worth writing over one at `stored`: the first once
 * the vault holds 2 items, then once max(16, count / 8) versions came after the stored one.
 */
export function snapshotDue(head: number, stored: number, count: number): boolean {
  if (head <= stored) return false;
  if (stored === 0) return count >= 2;
  return head - stored >= Math.max(16, count / 8);
}

/**
 * The items of the snapshot this device can write now, in version order, or null when its records
 * are not exactly the server copies (something pending, refused, of an older epoch, not pulled).
 */
function serverCopies(keychain: Keychain, epoch: number): SnapshotItem[] | null {
  const state = keychain.requireTrusted();
  if (state.cursor !== state.highestSeen) return null;
  const local = new Map<string, VaultRecord>();
  for (const record of keychain.host.records()) {
    // A device-only entry never leaves the device; one that was synced before is not the server copy.
    if (record.entry.deviceOnly) continue;
    const seen = state.synced[record.entry.id];
    // A deletion never pushed (the entry never reached the server) is nothing to snapshot.
    if (!seen && record.deleted) continue;
    if (!seen) return null;
    local.set(record.entry.id, record);
  }
  const items: SnapshotItem[] = [];
  for (const id in state.synced) {
    const seen: SyncedItem = state.synced[id]!;
    const record = local.get(id);
    if (seen.refused || seen.e !== epoch || !seen.h || !record || recordHash(record) !== seen.h) return null;
    if (seen.v > state.cursor) return null;
    items.push({ id, version: seen.v, record });
  }
  return items.sort((a, b) => a.version - b.version);
}

/**
 * Writes the account's snapshot when it is due (see the file's comment); true when one was stored.
 * Never throws: a snapshot that is not written leaves the restore per item, as without one.
 */
export async function writeSnapshotIfDue(keychain: Keychain): Promise<boolean> {
  try {
    const state = keychain.requireTrusted();
    const hint = hints.get(keychain);
    if (hint?.accountId !== state.accountId || hint.head === undefined) return false;
    const head = state.cursor;
    if (!snapshotDue(head, hint.head, Object.keys(state.synced).length)) return false;
    const { epoch, vk } = keychain.currentVaultKey();
    const items = serverCopies(keychain, epoch);
    if (!items || items.length === 0) return false;
    const ciphertext = sealSnapshot({ accountId: state.accountId, epoch, head, vk, items });
    if (!ciphertext) return false;
    await keychain.client().call('snapshotPut', { body: { epoch, head, ciphertext } });
    hints.set(keychain, { accountId: state.accountId, head });
    return true;
  } catch {
    return false;
  }
}

/**
 * Applies a snapshot read during the join to a device that has pulled nothing yet: every record as one
 * pulled page, the synced map and the cursor at its head. Returns how many records changed here, or
 * null when the snapshot was refused (nothing applied; the caller pulls per item from the start).
 * `pageHead` is the head of the items answer read with it: a snapshot cannot be ahead of it.
 */
export async function applySnapshot(
  keychain: Keychain,
  snapshot: Snapshot,
  pageHead: number,
): Promise<number | null> {
  const state = keychain.requireTrusted();
  const epoch = state.circle!.epoch;
  // Only a restore, and only the circle's current epoch: a removed device holds older epochs' keys.
  if (state.cursor !== 0 || snapshot.epoch !== epoch || snapshot.head > pageHead) return null;
  const vk = keychain.vaultKeyFor(epoch);
  if (!vk) return null;
  const records: VaultRecord[] = [];
  const seen: Record<string, SyncedItem> = {};
  try {
    const items = openSnapshot({
      accountId: state.accountId,
      epoch,
      head: snapshot.head,
      vk,
      ciphertext: snapshot.ciphertext,
    });
    for (const item of items) {
      const record = validateRecord(item.record);
      const clock = latestClock(record);
      const prior = state.synced[item.id];
      // The per-item path's replay check, against anything this device saw before.
      if (prior && (item.version < prior.v || clock < prior.m)) return null;
      records.push(record);
      seen[item.id] = { v: item.version, h: recordHash(record), m: clock, e: epoch };
    }
  } catch {
    return null;
  }
  Object.assign(state.synced, seen);
  state.cursor = snapshot.head;
  state.highestSeen = Math.max(state.highestSeen, snapshot.head);
  // The records and the cursor that covers them are saved together, as a pulled page's.
  return (await keychain.host.applyRemote(records, { meta: keychain.stateForMeta() })).changed.length;
}
