/**
 * A realm's own secret, never in its database: `TESSERA_REALM_SECRET` or `<data>/realm-secret`
 * (created on first start, mode 0600), one line `v1.<Ed25519 seed>.<storage key>` (32 bytes each,
 * base64url). The Ed25519 key signs every answer (clients pin its public key); the storage key seals
 * each record at rest, so a copy of the database alone (a backup, a dump) holds no usable OPRF key,
 * commitment or share.
 */
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { b64u, fromB64u, randomB64u } from '../bytes.js';
import { readOrCreate } from '../secrets.js';

export interface RealmKeys {
  /** Short stable name derived from the public key; part of every signed answer. */
  realmId: string;
  publicKey: Uint8Array;
  signingKey: Uint8Array;
  storageKey: Uint8Array;
}

export const REALM_SECRET_FILE = 'realm-secret';

export function makeRealmSecret(): string {
  return `v1.${randomB64u(32)}.${randomB64u(32)}`;
}

export function parseRealmSecret(value: string, where: string): RealmKeys {
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1')
    throw new Error(`${where} must look like v1.<signing seed>.<storage key>`);
  const [signingKey, storageKey] = [parts[1]!, parts[2]!].map((p, i) => {
    let bytes: Uint8Array;
    try {
      bytes = fromB64u(p);
    } catch {
      bytes = new Uint8Array();
    }
    if (bytes.length !== 32)
      throw new Error(
        `${where}: the ${i === 0 ? 'signing seed' : 'storage key'} must be 32 bytes of base64url`,
      );
    return bytes;
  }) as [Uint8Array, Uint8Array];
  const publicKey = ed25519.getPublicKey(signingKey);
  return { realmId: realmIdOf(publicKey), publicKey, signingKey, storageKey };
}

/** `realm-` and 16 base64url characters of SHA-256(public key). */
export function realmIdOf(publicKey: Uint8Array): string {
  return `realm-${b64u(sha256(publicKey)).slice(0, 16)}`;
}

/** Reads the realm secret from the environment or the data directory, creating the file on first start. */
export async function loadRealmKeys(options: {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RealmKeys> {
  const env = options.env ?? process.env;
  if (env.TESSERA_REALM_SECRET)
    return parseRealmSecret(env.TESSERA_REALM_SECRET.trim(), 'TESSERA_REALM_SECRET');
  const path = join(options.dataDir, REALM_SECRET_FILE);
  return parseRealmSecret(await readOrCreate(path, makeRealmSecret), path);
}
