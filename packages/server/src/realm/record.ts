/**
 * A realm record at rest: `oprfKey(32) ‖ commitment(32) ‖ len(masked)(1) ‖ masked ‖ share`, sealed
 * with XChaCha20-Poly1305 under `sealKey(storage key, record key)`, the record id as associated data
 * (so rows cannot be swapped). A pending record holds only the OPRF key. The record key is the
 * record's own random key in the key store (store.ts): erasing it destroys every copy of the record.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { open, seal } from '../escrow/aead.js';

/** Both halves are needed: the realm's secret (not in any database) and the record's erasable key. */
export const sealKey = (storageKey: Uint8Array, recordKey: Uint8Array): Uint8Array =>
  hkdf(sha256, recordKey, storageKey, new TextEncoder().encode('tessera/realm/record-seal'), 32);

export interface RecordSecrets {
  oprfKey: Uint8Array;
  commitment: Uint8Array;
  /** The client's unlock-key share, masked with its OPRF output (PROTOCOL §11). */
  masked: Uint8Array;
  /** The client's share of the unlock secret. */
  share: Uint8Array;
}

const aad = (id: string) => `tessera/realm/record|${id}`;

export function sealRecord(key: Uint8Array, id: string, r: RecordSecrets): Uint8Array {
  const plain = new Uint8Array(65 + r.masked.length + r.share.length);
  plain.set(r.oprfKey, 0);
  plain.set(r.commitment, 32);
  plain[64] = r.masked.length;
  plain.set(r.masked, 65);
  plain.set(r.share, 65 + r.masked.length);
  const sealed = seal(key, plain, aad(id));
  plain.fill(0);
  return sealed;
}

export function sealPending(key: Uint8Array, id: string, oprfKey: Uint8Array): Uint8Array {
  return seal(key, oprfKey, aad(id));
}

export function openRecord(key: Uint8Array, id: string, sealed: Uint8Array): RecordSecrets {
  const plain = open(key, sealed, aad(id));
  if (plain.length === 32)
    return {
      oprfKey: plain,
      commitment: new Uint8Array(),
      masked: new Uint8Array(),
      share: new Uint8Array(),
    };
  const m = plain[64]!;
  return {
    oprfKey: plain.slice(0, 32),
    commitment: plain.slice(32, 64),
    masked: plain.slice(65, 65 + m),
    share: plain.slice(65 + m),
  };
}
