/**
 * The safety number two accounts compare before an invite counts (docs/PROTOCOL.md §12.5): 60
 * digits in 12 groups of 5, as Signal shows them. Both sides compute the same number because the
 * two sharing public keys are hashed in sorted order; a server that substituted either key would
 * change it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canon } from '@tessera/protocol';
import { concat, utf8 } from '../keychain/bytes.js';
import { FOLDER_LABELS } from './labels.js';
import type { SharingPublic } from './sharing-key.js';

const GROUPS = 12;
const GROUP_BYTES = 5;

/** The safety number of two accounts' sharing keys, e.g. `"01234 56789 ..."` (12 groups). */
export function safetyNumber(options: { a: SharingPublic; b: SharingPublic }): string {
  // Only the two public halves count, whatever else the caller's object carries (a log member's role...).
  const pick = (k: SharingPublic) => canon({ encPub: k.encPub, signPub: k.signPub });
  const keys = [pick(options.a), pick(options.b)].sort();
  const input = utf8(`${FOLDER_LABELS.safetyNumber}|${keys.join('|')}`);
  // Two SHA-256 outputs give the 60 bytes that 12 groups of 5 bytes need.
  const digest = concat(
    sha256(concat(new Uint8Array([0]), input)),
    sha256(concat(new Uint8Array([1]), input)),
  );
  const groups: string[] = [];
  for (let i = 0; i < GROUPS; i++) {
    let value = 0;
    for (const byte of digest.subarray(i * GROUP_BYTES, (i + 1) * GROUP_BYTES)) value = value * 256 + byte;
    groups.push(String(value % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}
