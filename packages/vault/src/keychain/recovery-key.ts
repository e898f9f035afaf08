/**
 * The recovery key (docs/PROTOCOL.md §1.2): 20 random bytes plus a 2-byte SHA-256 checksum, written
 * as RFC 4648 Base32 in groups of four, e.g. `ABCD-EFGH-...` (9 groups). Parsing ignores case, spaces
 * and hyphens, and a typo is caught by the checksum before any network call.
 */
import { base32nopad } from '@scure/base';
import { concat, constantTimeEqual, hash, randomBytes } from './bytes.js';
import { KeychainError } from './errors.js';

const KEY_BYTES = 20;
const CHECK_BYTES = 2;
const ENCODED_CHARS = 36;

/** 160 fresh random bits. */
export function newRecoveryKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}

/** Formats `rk` for the user: 36 Base32 characters in groups of 4 joined by `-`. */
export function formatRecoveryKey(rk: Uint8Array): string {
  if (rk.length !== KEY_BYTES) throw new TypeError(`a recovery key has ${KEY_BYTES} bytes`);
  const text = base32nopad.encode(concat(rk, hash(rk).subarray(0, CHECK_BYTES)));
  return text.match(/.{1,4}/g)!.join('-');
}

/** Parses what the user typed or saved; throws `recovery-key-invalid` with the reason. */
export function parseRecoveryKey(input: string): Uint8Array {
  const text = input.replace(/[\s-]/g, '').toUpperCase();
  const invalid = (why: string) => new KeychainError('recovery-key-invalid', `The recovery key ${why}.`);
  if (text.length !== ENCODED_CHARS) {
    throw invalid(`has ${text.length} characters; it should have ${ENCODED_CHARS} (9 groups of 4)`);
  }
  const bad = text.match(/[^A-Z2-7]/);
  if (bad) throw invalid(`contains "${bad[0]}", which is not a recovery key character (A-Z, 2-7)`);
  let bytes: Uint8Array;
  try {
    bytes = base32nopad.decode(text);
  } catch {
    throw invalid('is not valid Base32 (check the last group)');
  }
  const rk = bytes.subarray(0, KEY_BYTES);
  if (!constantTimeEqual(bytes.subarray(KEY_BYTES), hash(rk).subarray(0, CHECK_BYTES))) {
    throw invalid('has a typo: its checksum does not match');
  }
  return rk.slice();
}
