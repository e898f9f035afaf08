import type { FormatReader, ImportResult } from '../types.js';
import { gcmOpen, gcmTryOpen } from '../util/aead.js';
import { checkEntryCount, EntryCollector, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, requirePassword, unsupported, type FormatContext } from '../util/errors.js';
import { EntryProblem, Fields } from '../util/fields.js';
import { parseJsonBounded } from '../util/json.js';
import {
  isJavaSerialization,
  JavaSerializationError,
  readJavaStringMap,
} from '../util/java-serialization.js';
import { pbkdf2Key, type Pbkdf2Hash } from '../util/kdf.js';
import { utf8 } from '../util/text.js';
import { freeotpTokenInput, freeotpTokenLabel, fromJavaBytes } from './freeotp.js';

/**
 * FreeOTP (v2, 2.0+) backups, `externalBackup.xml`: not XML but a Java-serialized
 * `HashMap<String, String>` (read by util/java-serialization.ts). Its values are JSON:
 * - `masterKey`: `{mAlgorithm: "PBKDF2withHmacSHA1"|"…SHA512", mIterations, mSalt: bytes,
 *   mEncryptedKey: {mCipher: "AES/GCM/NoPadding", mCipherText, mParameters, mToken}}` — the 32-byte
 *   master key, AES-GCM-encrypted under PBKDF2(password, mSalt, mIterations, 32 bytes);
 * - `<uuid>`: `{key: "<JSON of an encrypted key like mEncryptedKey>"}` — the token's secret, AES-GCM
 *   under the master key;
 * - `<uuid>-token`: the token's metadata, FreeOTP's usual token JSON without the secret.
 * Byte arrays are JSON arrays of signed Java bytes; mParameters is the DER encoding of the cipher's
 * parameters (an OCTET STRING nonce, optionally in a SEQUENCE with the tag length); mToken, the key's
 * algorithm name, is the GCM additional data.
 */
const HASHES: Record<string, Pbkdf2Hash> = {
  pbkdf2withhmacsha1: 'SHA-1',
  pbkdf2withhmacsha256: 'SHA-256',
  pbkdf2withhmacsha512: 'SHA-512',
};
const MAX_DER_DEPTH = 4;

/**
 * The nonce in DER-encoded cipher parameters (X.690 §8.7 OCTET STRING, §8.9 SEQUENCE): the first
 * OCTET STRING, at the top or inside a SEQUENCE. Null when there is none.
 */
export function nonceFromDer(der: Uint8Array, depth = 0): Uint8Array | null {
  let pos = 0;
  while (pos + 2 <= der.length) {
    const tag = der[pos]!;
    let length = der[pos + 1]!;
    pos += 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 2 || pos + n > der.length) return null;
      length = 0;
      for (let i = 0; i < n; i++) length = (length << 8) | der[pos + i]!;
      pos += n;
    }
    if (pos + length > der.length) return null;
    const body = der.subarray(pos, pos + length);
    if (tag === 0x04) return body;
    if (tag === 0x30 && depth < MAX_DER_DEPTH) {
      const inner = nonceFromDer(body, depth + 1);
      if (inner) return inner;
    }
    pos += length;
  }
  return null;
}

interface EncryptedKey {
  sealed: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
}

/** An `mEncryptedKey`-shaped object; problems are EntryProblem (the caller decides their scope). */
function encryptedKey(k: Fields): EncryptedKey {
  const cipher = k.str('mCipher');
  if (cipher !== 'AES/GCM/NoPadding')
    throw new EntryProblem('mCipher', `unsupported cipher ${JSON.stringify(cipher)}`);
  const nonce = nonceFromDer(fromJavaBytes(k.arr('mParameters'), 'mParameters'));
  if (!nonce || nonce.length === 0) throw new EntryProblem('mParameters', 'holds no nonce');
  return { sealed: fromJavaBytes(k.arr('mCipherText'), 'mCipherText'), nonce, aad: utf8(k.str('mToken')) };
}

function jsonFields(text: string | undefined, field: string): Fields {
  if (text === undefined) throw new EntryProblem(field, 'is missing');
  const parsed = parseJsonBounded(text, 8);
  if (!parsed.ok) throw new EntryProblem(field, 'is not JSON');
  return Fields.of(parsed.value, field);
}

async function unlockMasterKey(
  ctx: FormatContext,
  masterKeyJson: string | undefined,
  password: string,
): Promise<Uint8Array> {
  let mk: Fields;
  let sealed: EncryptedKey;
  let salt: Uint8Array;
  try {
    mk = jsonFields(masterKeyJson, 'masterKey');
    sealed = encryptedKey(mk.object('mEncryptedKey'));
    salt = fromJavaBytes(mk.arr('mSalt'), 'mSalt');
  } catch (err) {
    if (err instanceof EntryProblem) throw damaged(ctx, err.reason, { field: `masterKey.${err.field}` });
    throw err;
  }
  const algorithm = mk.optStr('mAlgorithm') ?? '';
  const hash = HASHES[algorithm.toLowerCase()];
  if (!hash)
    throw unsupported(ctx, `the master key uses ${JSON.stringify(algorithm)}, which Tessera does not know`);
  const passKey = await pbkdf2Key(ctx, 'masterKey.mIterations', {
    hash,
    password,
    salt,
    iterations: Number(mk.obj['mIterations']),
    dkLen: 32,
  });
  return gcmOpen(ctx, { key: passKey, nonce: sealed.nonce, sealed: sealed.sealed, aad: sealed.aad });
}

function tokenEntry(map: Map<string, string>, id: string, masterKey: Uint8Array): EntryInput {
  const token = jsonFields(map.get(`${id}-token`), `${id}-token`);
  const key = encryptedKey(jsonFields(jsonFields(map.get(id), id).str('key'), 'key'));
  const secret = gcmTryOpen({ key: masterKey, nonce: key.nonce, sealed: key.sealed, aad: key.aad });
  if (!secret) throw new EntryProblem('key', 'does not decrypt with the master key (damaged)');
  return freeotpTokenInput(token, secret);
}

function tokenLabel(map: Map<string, string>, id: string): string {
  const parsed = parseJsonBounded(map.get(`${id}-token`) ?? '', 8);
  return parsed.ok ? freeotpTokenLabel(parsed.value) : '(unnamed)';
}

function readMap(ctx: FormatContext, bytes: Uint8Array): Map<string, string> {
  try {
    return readJavaStringMap(bytes);
  } catch (err) {
    if (err instanceof JavaSerializationError)
      throw damaged(ctx, `not a readable FreeOTP backup: ${err.message}`);
    throw err;
  }
}

/** Serialized HashMap with a `masterKey` entry (looked for in the first MiB). */
function isFreeOtpBackup(bytes: Uint8Array): boolean {
  if (!isJavaSerialization(bytes)) return false;
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024 * 1024));
  return head.includes('java.util.HashMap') && head.includes('masterKey');
}

export const freeotpV2: FormatReader = {
  id: 'freeotp-v2',
  name: 'FreeOTP backup (externalBackup.xml)',
  encrypted: true,
  detect: (source) => isFreeOtpBackup(source.bytes),
  async read(source, { password }): Promise<ImportResult> {
    const ctx = contextOf(freeotpV2, source);
    const map = readMap(ctx, source.bytes);
    if (!map.has('masterKey')) throw damaged(ctx, 'no masterKey entry', { field: 'masterKey' });
    const ids = [...map.keys()].filter((k) => k !== 'masterKey' && !k.endsWith('-token'));
    checkEntryCount(ctx, ids.length);
    const masterKey = await unlockMasterKey(ctx, map.get('masterKey'), requirePassword(ctx, password));
    const collector = new EntryCollector(ctx);
    ids.forEach((id, i) => collector.add(i, tokenLabel(map, id), () => tokenEntry(map, id, masterKey)));
    return collector.result();
  },
};
