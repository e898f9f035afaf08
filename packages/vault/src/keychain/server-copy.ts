/**
 * Opening one server copy of an item with a vault key, apart from anything this device stored: the
 * AEAD (account, id, epoch), the record's form, and its hash and latest clock. Pure CPU over the
 * item and the key; the checks against stored state (replay, old epochs, the head) stay in the pull
 * (sync.ts), which is the only place a record is applied.
 */
import { canon } from '@tessera/protocol';
import { validateRecord } from '../record.js';
import type { VaultRecord } from '../types.js';
import { b64u, hash, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';
import { openItem } from './items.js';

export type ServerItem = { id: string; version: number; epoch: number; ciphertext: string; deleted: boolean };

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
export function recordHashOfPlaintext(record: VaultRecord, text: string, bytes: Uint8Array): string {
  let value = hashes.get(record);
  if (value === undefined) {
    const form = canon(record);
    value = hashOfCanon(form === text ? bytes : utf8(form));
    hashes.set(record, value);
  }
  return value;
}

export function latestClock(record: VaultRecord): string {
  let latest = '';
  // for...in, not for...of over Object.keys: no key array or iterator per record (a pull of 1,000
  // records calls this for each). A record's clock is a plain object: its keys are its own.
  for (const field in record.clock) {
    const c = record.clock[field]!;
    if (c > latest) latest = c;
  }
  return latest;
}

/** Decrypts one server copy with `vk` (the key of `item.epoch`) and checks its record. */
export function openServerCopy(
  accountId: string,
  item: ServerItem,
  vk: Uint8Array,
): { record: VaultRecord; text: string; bytes: Uint8Array } {
  const opened = openItem({
    accountId,
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
  return { record, text: opened.text, bytes: opened.bytes };
}
