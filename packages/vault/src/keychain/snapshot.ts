/**
 * The restore snapshot (docs/PROTOCOL.md §3.1): the whole vault's server copy sealed by a trusted
 * device in one AEAD, that a restoring device opens instead of one item at a time. This file seals
 * and opens it; `sync.ts` decides when a device writes one and applies one it opened.
 *
 * The plaintext is `canon({ v: 1, head, items: [{ id, version, record }] })`, records embedded as
 * JSON values (one `JSON.parse` for the whole vault), padded with 0x80 then zeros to a multiple of
 * 64 KiB; the key is `HKDF(VK, "tessera/v2/snapshot")`, the associated data binds account, epoch and
 * head. Opening checks what the per-item path checks of every record (`isItemPlaintext`, the entry id
 * is the item id) and what only a snapshot can get wrong: the head it names, versions above it,
 * an id twice. Any failure refuses the whole snapshot.
 */
import { canon, LABELS, LIMITS, SNAPSHOT_PADDING_BYTES } from '@tessera/protocol';
import { decodeBase64url } from '../base64url.js';
import { b64u, fromUtf8, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';
import { isItemPlaintext, type ItemPlaintext } from './items.js';
import { snapshotKey } from './keys.js';
import { open, seal } from './primitives.js';

/** One server copy in a snapshot: the item's id, its version, and the record that version carries. */
export interface SnapshotItem {
  id: string;
  version: number;
  record: ItemPlaintext;
}

/** Where a snapshot lives: all of it is bound as associated data. */
export interface SnapshotContext {
  accountId: string;
  epoch: number;
  head: number;
}

function snapshotAad(ctx: SnapshotContext): Uint8Array {
  return utf8(`${LABELS.snapshot}|${ctx.accountId}|${ctx.epoch}|${ctx.head}`);
}

/** Pads with `0x80` then zeros to the next multiple of 64 KiB. */
function padSnapshot(plain: Uint8Array): Uint8Array {
  const size = Math.ceil((plain.length + 1) / SNAPSHOT_PADDING_BYTES) * SNAPSHOT_PADDING_BYTES;
  const out = new Uint8Array(size);
  out.set(plain);
  out[plain.length] = 0x80;
  return out;
}

function unpadSnapshot(padded: Uint8Array): Uint8Array | null {
  if (padded.length === 0 || padded.length % SNAPSHOT_PADDING_BYTES !== 0) return null;
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80) return null;
  return padded.subarray(0, end);
}

/**
 * Seals the snapshot of `items` at `head` under `vk` (the epoch's vault key); returns the
 * `ciphertext` field, or null when it would be longer than `LIMITS.maxSnapshotChars` (no snapshot).
 */
export function sealSnapshot(
  options: SnapshotContext & { vk: Uint8Array; items: readonly SnapshotItem[] },
): string | null {
  const plain = utf8(canon({ v: 1, head: options.head, items: options.items }));
  // The sealed size is known before sealing: nonce, tag, padding; base64url is 4 characters per 3 bytes.
  const sealedBytes =
    24 + 16 + Math.ceil((plain.length + 1) / SNAPSHOT_PADDING_BYTES) * SNAPSHOT_PADDING_BYTES;
  if (Math.ceil((sealedBytes * 4) / 3) > LIMITS.maxSnapshotChars) return null;
  return b64u(seal(snapshotKey(options.vk), padSnapshot(plain), snapshotAad(options)));
}

/** The error for a refused snapshot, saying `why`. */
function refusal(why: string): KeychainError {
  return new KeychainError('snapshot-invalid', `The server's restore snapshot ${why}; it was refused.`);
}

/**
 * Opens and checks a snapshot served as `{ epoch, head, ciphertext }` under `vk`, the vault key of
 * that epoch (the caller makes sure it is the circle's current one). Throws `snapshot-invalid` for
 * anything that is not exactly a snapshot this account's key holders sealed at that epoch and head.
 */
export function openSnapshot(
  options: SnapshotContext & { vk: Uint8Array; ciphertext: string },
): SnapshotItem[] {
  if (typeof options.ciphertext !== 'string' || options.ciphertext.length > LIMITS.maxSnapshotChars)
    throw refusal('is larger than a snapshot may be');
  let sealed: Uint8Array;
  try {
    sealed = decodeBase64url(options.ciphertext);
  } catch {
    throw refusal('is not base64url');
  }
  const padded = open(snapshotKey(options.vk), sealed, snapshotAad(options));
  if (!padded) throw refusal('does not decrypt for this account, key epoch and head (tampered or moved)');
  const plain = unpadSnapshot(padded);
  if (!plain) throw refusal('has malformed padding');
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(plain));
  } catch {
    throw refusal('is not JSON');
  }
  const body = value as { v?: unknown; head?: unknown; items?: unknown };
  if (typeof value !== 'object' || value === null || body.v !== 1 || !Array.isArray(body.items))
    throw refusal('is not a version 1 snapshot');
  if (body.head !== options.head) throw refusal(`names head ${String(body.head)}, not ${options.head}`);
  const ids = new Set<string>();
  for (const item of body.items as unknown[]) {
    const it = item as Partial<SnapshotItem> | null;
    if (typeof it !== 'object' || it === null || typeof it.id !== 'string')
      throw refusal('holds an item without an id');
    if (!Number.isSafeInteger(it.version) || it.version! < 1 || it.version! > options.head)
      throw refusal(`holds item ${it.id} at version ${String(it.version)}, outside 1 to its head`);
    if (ids.has(it.id)) throw refusal(`holds item ${it.id} twice`);
    ids.add(it.id);
    if (!isItemPlaintext(it.record)) throw refusal(`holds item ${it.id} without a version 1 record`);
    if (it.record.entry.id !== it.id) throw refusal(`holds item ${it.id} with entry ${it.record.entry.id}`);
  }
  return body.items as SnapshotItem[];
}
