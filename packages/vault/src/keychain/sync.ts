/**
 * The sync engine (docs/PROTOCOL.md §5 "Sync"): pull items since the cursor, merge them into the
 * vault, push what differs from the server copy with its base version (compare-and-swap), and on a
 * conflict pull, merge and retry. The outbox is implicit and survives crashes and offline spells:
 * an entry is pending while its hash differs from the copy last seen on the server.
 */
import { canon, LIMITS } from '@tessera/protocol';
import { SERVER_CLOCK_META_KEY, serverClockFromMeta } from '../clock-skew.js';
import { validateRecord } from '../record.js';
import type { VaultRecord } from '../types.js';
import { b64u, hash, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';
import { encryptItem, openItem } from './items.js';
import type { Keychain } from './keychain.js';
import { completeJoin } from './join.js';
import { addLocalNotice, fetchNotices, keepNotices, requestNotices } from './notices.js';
import { takePrefetched } from './prefetch.js';
import type { KeychainState, SyncedItem } from './state.js';

export interface SyncResult {
  /** Records received from the server that changed something here. */
  pulled: number;
  /** Records pushed. */
  pushed: number;
  /** False while the device waits for approval. */
  trusted: boolean;
}

const MAX_CONFLICT_RETRIES = 5;

/** One full round: circle, pull, push, notices. A pending device first checks for its approval. */
export async function syncRound(
  keychain: Keychain,
  options: { reencryptAll?: boolean } = {},
): Promise<SyncResult> {
  await keychain.host.refresh?.();
  // Not beside a circle refresh already running (the web app's, outside the follow loop).
  await keychain.reloadInTurn();
  const state = keychain.requireState();
  if (state.status === 'pending' && !(await completeJoin(keychain))) {
    await fetchNotices(keychain);
    return { pulled: 0, pushed: 0, trusted: false };
  }
  keychain.requireTrusted();
  // Set first so the round's own writes carry them (each write rewrites the vault file).
  state.lastSyncAt = keychain.now();
  state.lastError = null;
  try {
    // The notices, the clock and the circle are independent requests: made at once, they cost one
    // round trip. The notices are kept before the pull, so that the pull's vault write (which
    // rewrites the whole file) saves them too, rather than a second write at the end.
    // The first page of the pull goes out with them too (on a live edit, the round is then one
    // round trip to the edit, not two), and is used only if the circle kept its epoch: items fetched
    // beside a rotation could predate it and be refused as old-epoch copies (§7), so a round that
    // saw the epoch move asks again. Nothing in it is read before the circle has been verified.
    const epoch = state.circle?.epoch;
    const notices = requestNotices(keychain);
    const firstPage = requestItems(keychain);
    // Awaited below; a round that fails earlier must not leave them unhandled.
    notices.catch(() => undefined);
    firstPage.catch(() => undefined);
    // The circle's changes are written with the round's first write (the pull's, or the save at the
    // end; a round that fails saves its error), not in a whole-vault write of their own.
    await Promise.all([measureClockIfStale(keychain), keychain.refreshCircle({ save: false })]);
    keychain.requireTrusted();
    keepNotices(state, await notices);
    let pulled = await pull(keychain, state.circle?.epoch === epoch ? { firstPage } : {});
    await keychain.host.purgeTrash?.();
    let pushed = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        pushed += await push(keychain, options.reencryptAll === true && attempt === 0);
        break;
      } catch (err) {
        const retryable =
          err instanceof KeychainError && (err.code === 'conflict' || err.code === 'epoch-stale');
        if (!retryable || attempt >= MAX_CONFLICT_RETRIES) throw err;
        // A rotation happened meanwhile: take the new epoch's key, then re-encrypt everything under it.
        if (err.code === 'epoch-stale') await keychain.refreshCircle();
        pulled += await pull(keychain);
      }
    }
    await keychain.save();
    return { pulled, pushed, trusted: true };
  } catch (err) {
    if (err instanceof KeychainError && err.code !== 'offline') {
      state.lastError = err.message;
      await keychain.save().catch(() => undefined);
    }
    throw err;
  }
}

/** How often a round also asks the server's time, for the clock-skew warning of codes. */
const CLOCK_MEASURE_INTERVAL_MS = 60 * 60 * 1000;

async function measureClockIfStale(keychain: Keychain): Promise<void> {
  const clock = serverClockFromMeta(keychain.host.getMeta(SERVER_CLOCK_META_KEY));
  if (!clock || keychain.now() - clock.measuredAt > CLOCK_MEASURE_INTERVAL_MS) await keychain.serverMeta();
}

/** Hashes of records already hashed: the vault replaces a record object on every change, never edits it. */
const hashes = new WeakMap<VaultRecord, string>();

/** `b64u(H(canon(record)))`, shortened: equality of copies, not a security boundary. */
export function recordHash(record: VaultRecord): string {
  let value = hashes.get(record);
  if (value === undefined) {
    value = hashOfCanon(utf8(canon(record)));
    hashes.set(record, value);
  }
  return value;
}

function hashOfCanon(bytes: Uint8Array): string {
  return b64u(hash(bytes).subarray(0, 16));
}

/**
 * `recordHash` of a record parsed from `text` (whose UTF-8 bytes are `bytes`): the same value, but
 * when `text` is exactly `canon(record)` (what every conforming device seals) it hashes those bytes
 * rather than encoding the text again. Any other text is hashed as `recordHash` does, so a copy sealed
 * in another key order or with spaces still hashes like its canonical form.
 */
function recordHashOfPlaintext(record: VaultRecord, text: string, bytes: Uint8Array): string {
  let value = hashes.get(record);
  if (value === undefined) {
    const form = canon(record);
    value = hashOfCanon(form === text ? bytes : utf8(form));
    hashes.set(record, value);
  }
  return value;
}

function latestClock(record: VaultRecord): string {
  let latest = '';
  // for...in, not for...of over Object.keys: no key array or iterator per record (a pull of 1,000
  // records calls this for each). A record's clock is a plain object: its keys are its own.
  for (const field in record.clock) {
    const c = record.clock[field]!;
    if (c > latest) latest = c;
  }
  return latest;
}

type ServerItem = { id: string; version: number; epoch: number; ciphertext: string; deleted: boolean };

/** Decrypts and checks one server item against what this device saw of it before. */
export function openServerItem(keychain: Keychain, item: ServerItem): VaultRecord {
  return openServerItemWithPlaintext(keychain, item).record;
}

/** `openServerItem`, also returning the plaintext the record was parsed from (for its hash). */
function openServerItemWithPlaintext(
  keychain: Keychain,
  item: ServerItem,
): { record: VaultRecord; text: string; bytes: Uint8Array } {
  const state = keychain.requireState();
  const vk = keychain.vaultKeyFor(item.epoch);
  if (!vk) {
    throw new KeychainError(
      'item-invalid',
      `Item ${item.id} is encrypted under key epoch ${item.epoch}, which this device does not hold.`,
    );
  }
  const opened = openItem({
    accountId: state.accountId,
    id: item.id,
    epoch: item.epoch,
    vk,
    ciphertext: item.ciphertext,
    deleted: item.deleted,
  });
  let record: VaultRecord;
  try {
    record = validateRecord(opened.record);
  } catch (err) {
    throw new KeychainError(
      'item-invalid',
      `The server's copy of item ${item.id} is not a valid entry: ${(err as Error).message}`,
    );
  }
  const seen = state.synced[item.id];
  // Every copy a device pushes merges the copy it was based on, so each new server copy carries
  // clocks at least as new; an older one is a replay of a previous ciphertext.
  if (seen && (item.version < seen.v || latestClock(record) < seen.m)) {
    throw new KeychainError(
      'item-replayed',
      `The server served an older copy of item ${item.id} than this device has seen (a replay); it was refused.`,
    );
  }
  return { record, text: opened.text, bytes: opened.bytes };
}

/** Per keychain: the highest item head its feed announced, for the account it was heard on. */
const heardHeads = new WeakMap<Keychain, { accountId: string; head: number }>();

/**
 * Notes the head of a feed `items` event, so the next pull asks for at least that head: a server
 * may then answer it from memory instead of a read (§5 "Sync", `atLeast`). Only a hint to the
 * server; nothing the client checks depends on it.
 */
export function noteHeardItemHead(keychain: Keychain, head: unknown): void {
  const accountId = keychain.state?.accountId;
  if (!accountId || !Number.isSafeInteger(head) || (head as number) < 0) return;
  const heard = heardHeads.get(keychain);
  if (heard?.accountId === accountId && heard.head >= (head as number)) return;
  heardHeads.set(keychain, { accountId, head: head as number });
}

/** The page of items after the cursor (what `pull` reads, one page at a time). */
function requestItems(keychain: Keychain) {
  const state = keychain.requireTrusted();
  const heard = heardHeads.get(keychain);
  // The highest version this device knows of: the server must serve at least that head.
  const atLeast = Math.max(state.highestSeen, heard?.accountId === state.accountId ? heard.head : 0);
  const ask = (since: number, head: number) =>
    keychain
      .client()
      .call('items', { query: { since, limit: LIMITS.maxPullLimit, atLeast: Math.max(atLeast, head) } });
  // The first round after a join starts from the page read while it ran (prefetch.ts).
  return takePrefetched(keychain, state, state.cursor, ask) ?? ask(state.cursor, 0);
}

/**
 * Pulls every item after the cursor, merges it into the vault; returns how many records changed.
 * `firstPage`: the first page, already asked for at the current cursor (see `syncRound`).
 */
export async function pull(
  keychain: Keychain,
  options: { firstPage?: ReturnType<typeof requestItems> } = {},
): Promise<number> {
  const state = keychain.requireTrusted();
  let changed = 0;
  let next = options.firstPage;
  for (;;) {
    const page = await (next ?? requestItems(keychain));
    next = undefined;
    checkHead(state, page.head);
    // Items of a newer epoch: the circle moved since this round fetched it; catch up on its key.
    if (page.items.some((item) => item.epoch > state.circle!.epoch)) await keychain.refreshCircle();
    const records: VaultRecord[] = [];
    const seen: Record<string, SyncedItem> = {};
    const current = state.circle!.epoch;
    // The cursor moves only with the page applied: an item refused halfway (tampered, replayed) throws,
    // and the round's error save must not keep a cursor past the items before it, never merged.
    let cursor = state.cursor;
    for (const item of page.items) {
      cursor = Math.max(cursor, item.version);
      if (item.epoch < current && !predatesRotation(state, item)) {
        refuseOldEpochItem(keychain, item, current);
        // Based on the refused version, this device's own copy (if any) overwrites it on the next push.
        seen[item.id] = { v: item.version, h: '', m: state.synced[item.id]?.m ?? '', refused: true };
        continue;
      }
      const { record, text, bytes } = openServerItemWithPlaintext(keychain, item);
      records.push(record);
      // A copy under an old epoch is re-encrypted under the current one by the next push (h = '').
      seen[item.id] = {
        v: item.version,
        h: item.epoch < current ? '' : recordHashOfPlaintext(record, text, bytes),
        m: latestClock(record),
        e: item.epoch,
      };
    }
    state.cursor = cursor;
    state.highestSeen = Math.max(state.highestSeen, page.head);
    if (records.length > 0 || Object.keys(seen).length > 0) {
      Object.assign(state.synced, seen);
      // The merge and the cursor that covers it are saved together, so a crash cannot skip items.
      changed += (await keychain.host.applyRemote(records, { meta: keychain.stateForMeta() })).changed.length;
    }
    // An empty page changes nothing worth a vault write of its own: the round's own save (after the
    // push, so not between a live edit and its push) keeps the head it saw.
    if (!page.more || page.items.length === 0) return changed;
  }
}

/**
 * §7 monotonic epochs: a copy sealed under an epoch older than the circle's is accepted only when
 * this device already holds that very copy (same version, recorded under that epoch before it adopted
 * the newer one). Anything else may have been sealed with a key a removed device still holds.
 */
function predatesRotation(
  state: KeychainState,
  item: { id: string; version: number; epoch: number },
): boolean {
  const seen = state.synced[item.id];
  // A version refused before is not a copy this device held, whatever `e` says (it has none).
  if (seen === undefined || seen.refused) return false;
  // State saved by a v1 client has no `e`; the same version is then the same copy.
  return seen.v === item.version && (seen.e ?? item.epoch) === item.epoch;
}

/** Keeps a refused item out of the vault and tells the user (a local `item-refused` notice). */
function refuseOldEpochItem(
  keychain: Keychain,
  item: { id: string; version: number; epoch: number },
  current: number,
): void {
  const state = keychain.requireState();
  const message =
    `Refused item ${item.id} (version ${item.version}): it is sealed under key epoch ${item.epoch}, ` +
    `older than the current epoch ${current}, and this device never saw it before the key was rotated; ` +
    'a removed device may have made it. Nothing was merged.';
  state.lastError = message;
  addLocalNotice(state, {
    kind: 'item-refused',
    data: { id: item.id, version: item.version, epoch: item.epoch, current, message },
    at: keychain.now(),
  });
}

/** A head below the highest version this device has seen means the server lost or hid changes. */
function checkHead(state: KeychainState, head: number): void {
  if (head < state.highestSeen) {
    throw new KeychainError(
      'server-rollback',
      `The keychain server serves an older state (version ${head}) than this device has seen (version ${state.highestSeen}); ` +
        'it may have been restored from an old backup or tampered with. Nothing was synced.',
    );
  }
}

/** Records that differ from the server copy (never device-only ones); `all` re-encrypts everything. */
export function pendingRecords(keychain: Keychain, all = false): VaultRecord[] {
  const state = keychain.requireState();
  return keychain.host.records().filter((record) => {
    if (record.entry.deviceOnly) return false;
    const seen = state.synced[record.entry.id];
    if (!seen) return !record.deleted;
    return all || seen.h !== recordHash(record);
  });
}

/** Pushes pending records in batches; returns how many were pushed. */
export async function push(keychain: Keychain, all = false): Promise<number> {
  const state = keychain.requireTrusted();
  const pending = pendingRecords(keychain, all);
  const { epoch, vk } = keychain.currentVaultKey();
  let pushed = 0;
  for (let at = 0; at < pending.length; at += LIMITS.maxItemsPerPush) {
    const batch = pending.slice(at, at + LIMITS.maxItemsPerPush);
    const items = batch.map((record) => ({
      id: record.entry.id,
      baseVersion: state.synced[record.entry.id]?.v ?? 0,
      epoch,
      ciphertext: encryptItem({ accountId: state.accountId, id: record.entry.id, epoch, vk, record }),
      deleted: record.deleted,
    }));
    const res = await keychain.client().call('push', { body: { items } });
    const versions = new Map(res.versions.map((v) => [v.id, v.version]));
    // When every version after the cursor is one of ours, nobody else wrote meanwhile: skip pulling our own copies.
    const ours = new Set(res.versions.map((v) => v.version));
    let next = state.cursor;
    while (next < res.head && ours.has(next + 1)) next++;
    if (next === res.head) state.cursor = res.head;
    for (const record of batch) {
      const version = versions.get(record.entry.id);
      if (version === undefined) continue;
      state.synced[record.entry.id] = { v: version, h: recordHash(record), m: latestClock(record), e: epoch };
    }
    checkHead(state, res.head);
    state.highestSeen = Math.max(state.highestSeen, res.head);
    state.lastBackupAt = keychain.now();
    pushed += batch.length;
    await keychain.save();
  }
  return pushed;
}
