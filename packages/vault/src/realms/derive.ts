/**
 * Key derivations of the realm PIN scheme (docs/PROTOCOL.md §11), HKDF-SHA-256 with one label each.
 * K is the random unlock key whose t-of-n shares the realms hand out masked; S is the unlock secret
 * whose shares they release only for the right commitment.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const enc = new TextEncoder();
const derive = (key: Uint8Array, label: string, length = 32) =>
  hkdf(sha256, key, undefined, enc.encode(label), length);

/** The OPRF input: the PIN bound to the record. */
export const oprfInput = (record: string, pin: string) =>
  enc.encode(`tessera/realm/pin|${record}|${pin.normalize('NFC')}`);

/** Masks realm i's share of K with realm i's OPRF output, so only a PIN evaluation unmasks it. */
export function maskShare(oprfOutput: Uint8Array, realmId: string, record: string, share: Uint8Array) {
  const pad = derive(oprfOutput, `tessera/realm/mask|${realmId}|${record}`, share.length);
  return share.map((b, i) => b ^ pad[i]!);
}

/** What realm i checks: derived from K, which needs t OPRF evaluations, so no realm can test a PIN alone. */
export const commitment = (k: Uint8Array, realmId: string, record: string) =>
  derive(k, `tessera/realm/commit|${realmId}|${record}`);

/** Lets the client test a candidate K locally (and so single out a realm that lied). */
export const unlockCheck = (k: Uint8Array, record: string) =>
  derive(k, `tessera/realm/unlock-check|${record}`);

/** Lets the client test a recombined S before handing it back. */
export const secretCheck = (s: Uint8Array, record: string) =>
  derive(s, `tessera/realm/secret-check|${record}`);

/**
 * The token that deletes realm i's record (a replaced or removed PIN); the realm keeps its SHA-256.
 * `deleteKey` is a key the PIN's owner keeps beyond the PIN (the keychain derives it from the vault key).
 */
export const deleteToken = (deleteKey: Uint8Array, realmId: string, record: string) =>
  derive(deleteKey, `tessera/realm/delete|${realmId}|${record}`);
