import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { OtpEntry } from '@tessera/otp';
import { base64Decode, base64Encode, concatBytes, randomBytes } from './util/bytes.js';
import { damaged, unsupported, wrongPassword, type FormatContext } from './util/errors.js';
import { expectObject, expectString } from './util/fields.js';
import { isObject } from './util/json.js';
import { argon2idKey, type Argon2Params } from './util/kdf.js';
import { decodeUtf8, utf8 } from './util/text.js';

/**
 * Tessera's own encrypted backup file (format written down in docs/BACKUP-FORMAT.md):
 * a JSON envelope; key = Argon2id(password, salt); content = XChaCha20-Poly1305 over the entries JSON,
 * with every envelope parameter bound as associated data.
 */
export const BACKUP_FORMAT = 'tessera-backup';
export const BACKUP_VERSION = 1;

/** RFC 9106 §4 second recommended option (64 MiB, 3 passes, 1 lane). */
export const DEFAULT_BACKUP_KDF: Argon2Params = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 };

export interface BackupEnvelope {
  format: typeof BACKUP_FORMAT;
  version: number;
  kdf: { name: 'argon2id'; memoryKiB: number; iterations: number; parallelism: number; salt: string };
  cipher: { name: 'xchacha20poly1305'; nonce: string };
  ciphertext: string;
}

/** Entries as the plaintext stores them (the OtpEntry fields, plus display tags and icon choice). */
export interface BackupEntry extends OtpEntry {
  tags?: string[];
  /** The entry's icon choice (`VaultEntry.icon`), only in Tessera's own backup. */
  icon?: string;
}

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** Associated data: a label, then every parameter the decryption depends on, in a fixed byte layout. */
export function backupAad(
  version: number,
  kdf: Argon2Params,
  salt: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  return concatBytes(
    utf8(`${BACKUP_FORMAT}\n`),
    u32be(version),
    u32be(kdf.memoryKiB),
    u32be(kdf.iterations),
    u32be(kdf.parallelism),
    u32be(salt.length),
    salt,
    nonce,
  );
}

export function isBackupEnvelope(json: unknown): boolean {
  return isObject(json) && json.format === BACKUP_FORMAT;
}

const exportContext: FormatContext = {
  file: 'tessera-backup.json',
  formatId: 'tessera',
  formatName: 'Tessera backup',
};

/** Encrypts entries into a backup envelope (UTF-8 JSON bytes). */
export async function sealBackup(opts: {
  entries: BackupEntry[];
  password: string;
  kdf?: Argon2Params;
}): Promise<Uint8Array> {
  const kdf = opts.kdf ?? DEFAULT_BACKUP_KDF;
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await argon2idKey(exportContext, 'kdf', { password: opts.password, salt, dkLen: 32, ...kdf });
  const plaintext = utf8(JSON.stringify({ version: BACKUP_VERSION, entries: opts.entries }));
  const ciphertext = xchacha20poly1305(key, nonce, backupAad(BACKUP_VERSION, kdf, salt, nonce)).encrypt(
    plaintext,
  );
  const envelope: BackupEnvelope = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    kdf: { name: 'argon2id', ...kdf, salt: base64Encode(salt) },
    cipher: { name: 'xchacha20poly1305', nonce: base64Encode(nonce) },
    ciphertext: base64Encode(ciphertext),
  };
  return utf8(JSON.stringify(envelope, null, 2) + '\n');
}

function bytesField(ctx: FormatContext, value: unknown, field: string, length?: number): Uint8Array {
  const bytes = base64Decode(expectString(ctx, value, field));
  if (!bytes || (length !== undefined && bytes.length !== length)) {
    throw damaged(ctx, length ? `expected Base64 of ${length} bytes` : 'expected Base64', { field });
  }
  return bytes;
}

/** Decrypts a parsed envelope to the plaintext JSON value. */
export async function openBackup(ctx: FormatContext, json: unknown, password: string): Promise<string> {
  const env = expectObject(ctx, json);
  if (env.version !== BACKUP_VERSION) {
    throw unsupported(
      ctx,
      `backup version ${String(env.version)} is not supported by this Tessera (reads ${BACKUP_VERSION}); update Tessera`,
    );
  }
  const kdf = expectObject(ctx, env.kdf, 'kdf');
  const cipher = expectObject(ctx, env.cipher, 'cipher');
  if (kdf.name !== 'argon2id') throw unsupported(ctx, `kdf.name ${JSON.stringify(kdf.name)} is unknown`);
  if (cipher.name !== 'xchacha20poly1305')
    throw unsupported(ctx, `cipher.name ${JSON.stringify(cipher.name)} is unknown`);
  const params: Argon2Params = {
    memoryKiB: Number(kdf.memoryKiB),
    iterations: Number(kdf.iterations),
    parallelism: Number(kdf.parallelism),
  };
  const salt = bytesField(ctx, kdf.salt, 'kdf.salt');
  const nonce = bytesField(ctx, cipher.nonce, 'cipher.nonce', 24);
  const ciphertext = bytesField(ctx, env.ciphertext, 'ciphertext');
  if (ciphertext.length < 16)
    throw damaged(ctx, 'shorter than the authentication tag', { field: 'ciphertext' });
  const key = await argon2idKey(ctx, 'kdf', { password, salt, dkLen: 32, ...params });
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(key, nonce, backupAad(BACKUP_VERSION, params, salt, nonce)).decrypt(ciphertext);
  } catch {
    throw wrongPassword(ctx);
  }
  const text = decodeUtf8(plain);
  if (text === null) throw damaged(ctx, 'decrypted content is not UTF-8', { field: 'ciphertext' });
  return text;
}
