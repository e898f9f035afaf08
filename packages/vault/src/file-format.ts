import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { VaultDamagedError } from './errors.js';

/**
 * The encrypted vault file:
 *
 * ```
 * offset 0   8 bytes  magic "TESSVLT" + format version 0x01 or 0x02
 * offset 8   4 bytes  header length N, big-endian (at most 4096)
 * offset 12  N bytes  header, UTF-8 JSON (VaultHeader), not secret
 * 12+N       L bytes  AEAD nonce (random per write)
 * 12+N+L     rest     ciphertext of the payload JSON, then the 16-byte tag
 * ```
 *
 * Version 1: the AEAD is XChaCha20-Poly1305 (L = 24) and the header names none. Version 2: the
 * header names it in `aead`, `"aes-256-gcm"` (L = 12, WebCrypto, native in browsers: the web app's
 * vault) or `"xchacha20-poly1305"` (L = 24). The associated data is every byte before the nonce, so
 * the version, the AEAD's name and the rest of the header (generation, key custody, passphrase
 * parameters) cannot be altered without the file failing authentication.
 */
export const MAGIC = new Uint8Array([0x54, 0x45, 0x53, 0x53, 0x56, 0x4c, 0x54, 0x01]);
/** Format versions this code reads. */
const VERSIONS = [1, 2];
const MAX_HEADER_BYTES = 4096;
const TAG_BYTES = 16;

/** The AEADs a vault file can be sealed with (a version-2 header names one). */
export type VaultFileAead = 'xchacha20-poly1305' | 'aes-256-gcm';

const NONCE_BYTES: Record<VaultFileAead, number> = { 'xchacha20-poly1305': 24, 'aes-256-gcm': 12 };

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
  /** The file's AEAD; present exactly in version-2 files (version 1 is XChaCha20-Poly1305). */
  aead?: VaultFileAead;
}

/** Encrypts `payload` under `key` into the version-1 layout above (XChaCha20-Poly1305). */
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
  const { aead: _named, ...v1 } = header;
  const aad = frame(1, v1);
  const nonce = randomBytes(NONCE_BYTES['xchacha20-poly1305']);
  return join(aad, nonce, aead.encrypt(key, nonce, aad, payload));
}

/**
 * Encrypts `payload` into the version-2 layout with the AEAD `cipher` names: AES-256-GCM through
 * WebCrypto (`crypto.subtle`, native code; a 96-bit random nonce per write), or XChaCha20-Poly1305.
 */
export async function sealVaultFileWith({
  key,
  header,
  payload,
  cipher,
  aead = nobleXChaCha,
}: {
  key: Uint8Array;
  header: VaultHeader;
  payload: Uint8Array;
  cipher: VaultFileAead;
  aead?: XChaChaAead;
}): Promise<Uint8Array> {
  const aad = frame(2, { ...header, aead: cipher });
  const nonce = randomBytes(NONCE_BYTES[cipher]);
  if (cipher === 'xchacha20-poly1305') return join(aad, nonce, aead.encrypt(key, nonce, aad, payload));
  const sealed = await subtle().encrypt(
    { name: 'AES-GCM', iv: nonce as BufferSource, additionalData: aad as BufferSource, tagLength: 128 },
    await aesKey(key, 'encrypt'),
    payload as BufferSource,
  );
  return join(aad, nonce, new Uint8Array(sealed));
}

/** Magic, version, header length and header: the associated data of a file. */
function frame(version: number, header: VaultHeader): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  if (headerBytes.length > MAX_HEADER_BYTES) throw new Error('vault header too large');
  const aad = new Uint8Array(12 + headerBytes.length);
  aad.set(MAGIC, 0);
  aad[7] = version;
  new DataView(aad.buffer).setUint32(8, headerBytes.length);
  aad.set(headerBytes, 12);
  return aad;
}

function join(aad: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(aad.length + nonce.length + sealed.length);
  out.set(aad, 0);
  out.set(nonce, aad.length);
  out.set(sealed, aad.length + nonce.length);
  return out;
}

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!s) throw new Error('AES-256-GCM vault files need WebCrypto (crypto.subtle)');
  return s;
}

function aesKey(key: Uint8Array, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  return subtle().importKey('raw', key as BufferSource, { name: 'AES-GCM' }, false, [use]);
}

/** The AEAD that sealed a file, from its version and its (not yet authenticated) header. */
export function vaultFileAead(version: number, header: VaultHeader): VaultFileAead {
  return version === 1 ? 'xchacha20-poly1305' : header.aead!;
}

/** Reads the (unauthenticated) header; enough to find the key. Throws VaultDamagedError on bad framing. */
export function readVaultHeader(
  bytes: Uint8Array,
  file?: string,
): { header: VaultHeader; headerEnd: number; version: number; aead: VaultFileAead } {
  if (bytes.length < 12 || !MAGIC.subarray(0, 7).every((b, i) => bytes[i] === b)) {
    throw new VaultDamagedError('it does not start with the Tessera vault signature', file);
  }
  const version = bytes[7]!;
  if (!VERSIONS.includes(version)) {
    throw new VaultDamagedError(
      `its format version ${version} is newer than this Tessera knows (update Tessera)`,
      file,
    );
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8);
  const headerEnd = 12 + length;
  if (length > MAX_HEADER_BYTES || headerEnd + 12 + TAG_BYTES > bytes.length) {
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
  // Version 1 names no AEAD (XChaCha20-Poly1305); version 2 must name one this code knows.
  if (version === 1 ? header.aead !== undefined : !Object.hasOwn(NONCE_BYTES, header.aead!)) {
    throw new VaultDamagedError('its header names no AEAD this version of Tessera knows', file);
  }
  const aead = vaultFileAead(version, header);
  if (headerEnd + NONCE_BYTES[aead] + TAG_BYTES > bytes.length) {
    throw new VaultDamagedError('it is shorter than its header says (the file is truncated)', file);
  }
  return { header, headerEnd, version, aead };
}

export interface OpenVaultFileOptions {
  key: Uint8Array;
  bytes: Uint8Array;
  /** Names the file in errors. */
  file?: string;
  /** XChaCha20-Poly1305 implementation (default @noble/ciphers). */
  aead?: XChaChaAead;
}

/**
 * Decrypts and authenticates a version-1 file, or a version-2 file sealed with XChaCha20-Poly1305;
 * throws VaultDamagedError when anything was altered. `openVaultFileAny` also opens AES-256-GCM files.
 */
export function openVaultFile({ key, bytes, file, aead = nobleXChaCha }: OpenVaultFileOptions): Uint8Array {
  const { headerEnd, aead: cipher } = readVaultHeader(bytes, file);
  if (cipher !== 'xchacha20-poly1305') {
    throw new VaultDamagedError(`it is sealed with ${cipher}, which this reader does not open`, file);
  }
  const nonce = bytes.subarray(headerEnd, headerEnd + NONCE_BYTES[cipher]);
  try {
    return aead.decrypt(key, nonce, bytes.subarray(0, headerEnd), bytes.subarray(headerEnd + nonce.length));
  } catch {
    throw authenticationFailed(file);
  }
}

/** Opens a vault file of any version and AEAD (AES-256-GCM through WebCrypto); see `openVaultFile`. */
export async function openVaultFileAny(options: OpenVaultFileOptions): Promise<Uint8Array> {
  const { key, bytes, file } = options;
  const { headerEnd, aead: cipher } = readVaultHeader(bytes, file);
  if (cipher === 'xchacha20-poly1305') return openVaultFile(options);
  const nonce = bytes.subarray(headerEnd, headerEnd + NONCE_BYTES[cipher]);
  let plain: ArrayBuffer;
  try {
    plain = await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: nonce as BufferSource,
        additionalData: bytes.subarray(0, headerEnd) as BufferSource,
        tagLength: 128,
      },
      await aesKey(key, 'decrypt'),
      bytes.subarray(headerEnd + nonce.length) as BufferSource,
    );
  } catch {
    throw authenticationFailed(file);
  }
  return new Uint8Array(plain);
}

function authenticationFailed(file: string | undefined): VaultDamagedError {
  return new VaultDamagedError('authentication failed (a byte was changed, or the file was cut short)', file);
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
    (h.aead === undefined || typeof h.aead === 'string') &&
    (h.kdf === undefined || (typeof h.kdf === 'object' && h.kdf !== null))
  );
}
