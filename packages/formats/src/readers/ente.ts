import type { FormatReader } from '../types.js';
import { base64Decode } from '../util/bytes.js';
import { contextOf, damaged, requirePassword, wrongPassword } from '../util/errors.js';
import { expectObject } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { argon2idKey } from '../util/kdf.js';
import { LIMITS } from '../util/limits.js';
import { readJson, sniff } from '../util/sniff.js';
import { loadSodium } from '../util/sodium.js';
import { decodeUtf8 } from '../util/text.js';
import { readUriLines } from './otpauth-list.js';

/**
 * Ente Auth encrypted export (spec §6.2): Argon2id v1.3 (libsodium crypto_pwhash: memLimit in bytes,
 * opsLimit passes, one lane) then one libsodium secretstream XChaCha20-Poly1305 message whose header
 * is `encryptionNonce`. The plaintext is Ente's plain export: one otpauth URI per line.
 * (Ente plain exports are URI lists and go through the `otpauth` reader.)
 */
function isEnte(json: unknown): boolean {
  return isObject(json) && isObject(json.kdfParams) && 'encryptedData' in json && 'encryptionNonce' in json;
}

export const enteEncrypted: FormatReader = {
  id: 'ente',
  name: 'Ente Auth encrypted export',
  encrypted: true,
  detect: (source) => isEnte(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(enteEncrypted, source);
    const json = expectObject(ctx, readJson(ctx, source));
    const kdf = expectObject(ctx, json.kdfParams, 'kdfParams');
    const salt = typeof kdf.salt === 'string' ? base64Decode(kdf.salt) : null;
    if (!salt || salt.length < 8)
      throw damaged(ctx, 'expected Base64 of at least 8 bytes', { field: 'kdfParams.salt' });
    const header = typeof json.encryptionNonce === 'string' ? base64Decode(json.encryptionNonce) : null;
    if (!header || header.length !== 24)
      throw damaged(ctx, 'expected Base64 of 24 bytes', { field: 'encryptionNonce' });
    const sealed = typeof json.encryptedData === 'string' ? base64Decode(json.encryptedData) : null;
    if (!sealed || sealed.length < 17)
      throw damaged(ctx, 'expected Base64 ciphertext', { field: 'encryptedData' });
    const memLimit = Number(kdf.memLimit);
    const key = await argon2idKey(ctx, 'kdfParams', {
      password: requirePassword(ctx, password),
      salt,
      // libsodium counts bytes; Argon2 counts KiB. Oversized values stay oversized so the cap reports them.
      memoryKiB:
        memLimit > LIMITS.argon2MaxMemoryKiB * 1024
          ? LIMITS.argon2MaxMemoryKiB + 1
          : Math.floor(memLimit / 1024),
      iterations: Number(kdf.opsLimit),
      parallelism: 1,
      dkLen: 32,
    });
    const sodium = await loadSodium();
    let message: Uint8Array | null = null;
    try {
      const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
      const pulled = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, null) as unknown as
        { message: Uint8Array; tag: number } | false;
      // Ente writes TAG_MESSAGE (0); other writers end with TAG_FINAL (3). Accept both.
      if (pulled && (pulled.tag === 0 || pulled.tag === 3)) message = pulled.message;
    } catch {
      message = null;
    }
    if (!message) throw wrongPassword(ctx);
    const text = decodeUtf8(message);
    if (text === null) throw damaged(ctx, 'decrypted content is not UTF-8', { field: 'encryptedData' });
    return readUriLines(ctx, text);
  },
};
