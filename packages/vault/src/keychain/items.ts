/**
 * Item encryption (docs/PROTOCOL.md §3): the canonical record, padded to a size bucket so the
 * server learns only a coarse size, sealed under the epoch's item key with associated data binding
 * account, item id and epoch, so the server cannot move, swap or re-label items unnoticed.
 */
import { decodeBase64urlTransient } from '../base64url.js';
import { b64u, constantTimeEqual, fromUtf8, utf8 } from './bytes.js';
import { canon, LABELS, PADDING_BUCKETS } from '@tessera/protocol';
import { KeychainError } from './errors.js';
import { itemKey } from './keys.js';
import { open, seal } from './primitives.js';

/** Plaintext buckets in bytes; a record that does not fit the largest is refused. */
export const ITEM_BUCKETS = PADDING_BUCKETS;

/** The item plaintext: exactly a vault record (`VaultRecord`). */
export interface ItemPlaintext {
  v: 1;
  entry: { id: string };
  clock: Record<string, string>;
  deleted: boolean;
}

/** Where an item lives: all of it is bound as associated data. */
export interface ItemContext {
  accountId: string;
  id: string;
  epoch: number;
}

/** The item key of the vault key used last: a pull or push of 1,000 items derives it once, not per item. */
let lastItemKey: { vk: Uint8Array; key: Uint8Array } | null = null;

function itemKeyOf(vk: Uint8Array): Uint8Array {
  if (lastItemKey && constantTimeEqual(lastItemKey.vk, vk)) return lastItemKey.key;
  const key = itemKey(vk);
  lastItemKey = { vk: vk.slice(), key };
  return key;
}

function itemAad(ctx: ItemContext): Uint8Array {
  return utf8(`${LABELS.item}|${ctx.accountId}|${ctx.id}|${ctx.epoch}`);
}

/** Pads with `0x80` then zeros to the next bucket (ISO/IEC 7816-4 style, unambiguous to strip). */
export function pad(plain: Uint8Array): Uint8Array {
  const bucket = ITEM_BUCKETS.find((size) => size >= plain.length + 1);
  if (bucket === undefined) {
    throw new KeychainError(
      'too-large',
      `An entry takes ${plain.length} bytes once encoded; the largest allowed is ${ITEM_BUCKETS.at(-1)! - 1}.`,
    );
  }
  const out = new Uint8Array(bucket);
  out.set(plain);
  out[plain.length] = 0x80;
  return out;
}

/** Strips the padding; null when it is malformed or the length is not a bucket. */
export function unpad(padded: Uint8Array): Uint8Array | null {
  if (!(ITEM_BUCKETS as readonly number[]).includes(padded.length)) return null;
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80) return null;
  return padded.subarray(0, end);
}

/** Encrypts one record for the server; returns the `ciphertext` field. */
export function encryptItem(options: ItemContext & { vk: Uint8Array; record: ItemPlaintext }): string {
  if (options.record.entry.id !== options.id) throw new TypeError('record id and item id differ');
  const padded = pad(utf8(canon(options.record)));
  return b64u(seal(itemKeyOf(options.vk), padded, itemAad(options)));
}

/**
 * Decrypts and checks one item. Any tampering (another item's ciphertext, another epoch, another
 * account, a flipped bit, a record whose id is not the item's) is refused with `item-invalid`.
 */
export function decryptItem(
  options: ItemContext & { vk: Uint8Array; ciphertext: string; deleted?: boolean },
): ItemPlaintext {
  return openItem(options).record;
}

/** An opened item: the record, and the exact plaintext it was parsed from (text and UTF-8 bytes). */
export interface OpenedItem {
  record: ItemPlaintext;
  text: string;
  bytes: Uint8Array;
}

/**
 * `decryptItem`, also returning the plaintext the record was parsed from. For a record written by a
 * conforming device that plaintext is `canon(record)`, so its hash is the record's (see `recordHash`).
 */
export function openItem(
  options: ItemContext & { vk: Uint8Array; ciphertext: string; deleted?: boolean },
): OpenedItem {
  let sealed: Uint8Array;
  try {
    // Read once, right here: a view of Node's buffer pool is enough (see decodeBase64urlTransient).
    sealed = decodeBase64urlTransient(options.ciphertext);
  } catch {
    throw refusal(options.id, 'is not base64url');
  }
  const padded = open(itemKeyOf(options.vk), sealed, itemAad(options));
  if (!padded)
    throw refusal(
      options.id,
      'does not decrypt for this account, id and key epoch (tampered, swapped or moved)',
    );
  const plain = unpad(padded);
  if (!plain) throw refusal(options.id, 'has malformed padding');
  let record: unknown;
  let text: string;
  try {
    text = fromUtf8(plain);
    record = JSON.parse(text);
  } catch {
    throw refusal(options.id, 'is not a JSON record');
  }
  if (!isItemPlaintext(record)) throw refusal(options.id, 'is not a version 1 record');
  if (record.entry.id !== options.id) throw refusal(options.id, `holds entry ${record.entry.id}`);
  if (options.deleted !== undefined && options.deleted !== record.deleted) {
    throw refusal(options.id, 'claims a deletion state its content does not have');
  }
  return { record, text, bytes: plain };
}

/** The error for a server copy of item `id` that is refused, saying `why`. */
function refusal(id: string, why: string): KeychainError {
  // A function of its own rather than a closure in `openItem`, which runs for every item of a pull.
  return new KeychainError('item-invalid', `The server's copy of item ${id} ${why}; it was refused.`, { id });
}

/** Whether every own value of `clock` is a string (a loop, not Object.values(…).every: no array per item). */
function clockValuesAreText(clock: Record<string, unknown>): boolean {
  for (const field in clock)
    if (Object.hasOwn(clock, field) && typeof clock[field] !== 'string') return false;
  return true;
}

function isItemPlaintext(value: unknown): value is ItemPlaintext {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const entry = r.entry as Record<string, unknown> | null;
  return (
    r.v === 1 &&
    typeof r.deleted === 'boolean' &&
    typeof r.clock === 'object' &&
    r.clock !== null &&
    clockValuesAreText(r.clock as Record<string, unknown>) &&
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.id === 'string'
  );
}
