import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { VaultDamagedError } from './errors.js';

/**
 * The encrypted vault file:
 *
 * ```
 * offset 0   8 bytes  magic "TESSVLT" + format version 0x01
 * offset 8   4 bytes  header length N, big-endian (at most 4096)
 * offset 12  N bytes  header, UTF-8 JSON (VaultHeader), not secret
 * 12+N       24 bytes XChaCha20-Poly1305 nonce (random per write)
 * 36+N       rest     ciphertext of the payload JSON, then the 16-byte Poly1305 tag
 * ```
 *
 * The associated data is every byte before the nonce, so the header (generation, key custody,
 * passphrase parameters) cannot be altered without the file failing authentication.
 */
export const MAGIC = new Uint8Array([0x54, 0x45, 0x53, 0x53, 0x56, 0x4c, 0x54, 0x01]);
const MAX_HEADER_BYTES = 4096;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) as the vault file uses it. The default is
 * @noble/ciphers; Node passes a native one (`node/native-aead.ts`) that gives identical bytes,
 * because a CLI start decrypts the whole vault before its JIT has warmed up.
 */
export interface XChaChaAead {
  encrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws when authentication fails. */
  decrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

export const nobleXChaCha: XChaChaAead = {
  encrypt: (key, nonce, aad, plaintext) => xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
  decrypt: (key, nonce, aad, sealed) => xchacha20poly1305(key, nonce, aad).decrypt(sealed),
};

/** Passphrase wrap of the storage key (see `passphrase.ts`). */
export interface PassphraseWrap {
  alg: 'argon2id';
  /** Argon2id iterations. */
  t: number;
  /** Argon2id memory in KiB. */
  m: number;
  /** Argon2id parallelism. */
  p: number;
  /** b64u salt (16 bytes). */
  salt: string;
  /** b64u of nonce || AEAD(KEK, storage key, aad = "tessera/v1/vault-key|" + keyId). */
  wrapped: string;
}

/** Where the storage key is kept; `os:*` values name the OS keychain used. */
export type KeyCustody =
  'file' | 'passphrase' | 'os:secret-service' | 'os:macos-keychain' | 'os:windows-credentials' | 'browser';

export interface VaultHeader {
  /** Incremented by every write; lets a reader tell which of two files is newer. */
  generation: number;
  /** b64u random id of the storage key, so a wrong key is told apart from a damaged file. */
  keyId: string;
  custody: KeyCustody;
  /** Present when `custody` is `passphrase`. */
  kdf?: PassphraseWrap;
  /** Unix milliseconds of the write. */
  writtenAt: number;
}

/** Encrypts `payload` under `key` into the file layout above. */
export function sealVaultFile({
  key,
  header,
  payload,
  aead = nobleXChaCha,
}: {
  key: Uint8Array;
  header: VaultHeader;
  payload: Uint8Array;
  aead?: XChaChaAead;
}): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  if (headerBytes.length > MAX_HEADER_BYTES) throw new Error('vault header too large');
  const aad = new Uint8Array(12 + headerBytes.length);
  aad.set(MAGIC, 0);
  new DataView(aad.buffer).setUint32(8, headerBytes.length);
  aad.set(headerBytes, 12);
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = aead.encrypt(key, nonce, aad, payload);
  const out = new Uint8Array(aad.length + NONCE_BYTES + sealed.length);
  out.set(aad, 0);
  out.set(nonce, aad.length);
  out.set(sealed, aad.length + NONCE_BYTES);
  return out;
}

/** Reads the (unauthenticated) header; enough to find the key. Throws VaultDamagedError on bad framing. */
export function readVaultHeader(
  bytes: Uint8Array,
  file?: string,
): { header: VaultHeader; headerEnd: number } {
  if (bytes.length < 12 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new VaultDamagedError('it does not start with the Tessera vault signature', file);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8);
  const headerEnd = 12 + length;
  if (length > MAX_HEADER_BYTES || headerEnd + NONCE_BYTES + TAG_BYTES > bytes.length) {
    throw new VaultDamagedError('its header length is out of range (the file is truncated or altered)', file);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, headerEnd)));
  } catch {
    throw new VaultDamagedError('its header is not valid JSON', file);
  }
  if (!isHeader(header)) throw new VaultDamagedError('its header is missing required fields', file);
  if (!isKeyId(header.keyId)) {
    throw new VaultDamagedError(
      'its header key id is not 16 base64url characters (the header was altered)',
      file,
    );
  }
  return { header, headerEnd };
}

/** Decrypts and authenticates the payload; throws VaultDamagedError when anything was altered. */
export function openVaultFile({
  key,
  bytes,
  file,
  aead = nobleXChaCha,
}: {
  key: Uint8Array;
  bytes: Uint8Array;
  file?: string;
  aead?: XChaChaAead;
}): Uint8Array {
  const { headerEnd } = readVaultHeader(bytes, file);
  const nonce = bytes.subarray(headerEnd, headerEnd + NONCE_BYTES);
  try {
    return aead.decrypt(key, nonce, bytes.subarray(0, headerEnd), bytes.subarray(headerEnd + NONCE_BYTES));
  } catch {
    throw new VaultDamagedError(
      'authentication failed (a byte was changed, or the file was cut short)',
      file,
    );
  }
}

/**
 * Storage key ids are 12 random bytes in base64url (16 characters). The header is read before it is
 * authenticated and the id names an OS keychain item (it reaches `secret-tool`, `security -i` and a
 * PowerShell script), so anything else is refused here, where the header is parsed.
 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** True for a well-formed storage key id (see KEY_ID_PATTERN). */
export function isKeyId(value: unknown): boolean {
  return typeof value === 'string' && KEY_ID_PATTERN.test(value);
}

function isHeader(x: unknown): x is VaultHeader {
  if (typeof x !== 'object' || x === null) return false;
  const h = x as Record<string, unknown>;
  return (
    Number.isSafeInteger(h.generation) &&
    typeof h.keyId === 'string' &&
    typeof h.custody === 'string' &&
    typeof h.writtenAt === 'number' &&
    (h.kdf === undefined || (typeof h.kdf === 'object' && h.kdf !== null))
  );
}
