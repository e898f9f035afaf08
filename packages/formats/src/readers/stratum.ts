import type { FormatReader, ImportResult, ImportSource } from '../types.js';
import { gcmOpen } from '../util/aead.js';
import { cbcTryOpen } from '../util/cbc.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, requirePassword, wrongPassword, type FormatContext } from '../util/errors.js';
import { EntryProblem, expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { argon2idKey, pbkdf2Key } from '../util/kdf.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { intColumn, selectRows, sqliteSchemaMentions, textColumn } from '../util/sqlite.js';
import { decodeUtf8 } from '../util/text.js';

/**
 * Stratum (formerly Authenticator Pro) backups, all four kinds:
 * - plain JSON `{"Authenticators": [...], "Categories": [...], ...}`;
 * - encrypted `.bin`: `"AUTHENTICATORPRO" ‖ salt16 ‖ iv12 ‖ AES-256-GCM(ct ‖ tag16)`, key
 *   Argon2id(password, salt, t=3, m=64 MiB, p=4, 32 bytes) — fixed parameters, not read from the file;
 * - legacy encrypted `.bin`: `"AuthenticatorPro" ‖ salt20 ‖ iv16 ‖ AES-256-CBC(PKCS#7)`, key
 *   PBKDF2-HMAC-SHA1(password, salt, 64000, 32 bytes);
 * - the app's own SQLite database (`authenticator.db3`), table `authenticator`.
 * Types: 1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex; algorithm 0 SHA1, 1 SHA256, 2 SHA512.
 */
const HEADER = 'AUTHENTICATORPRO';
const HEADER_LEGACY = 'AuthenticatorPro';
const TYPES: Record<number, string> = { 1: 'hotp', 2: 'totp', 4: 'steam' };
const UNSUPPORTED_TYPES: Record<number, string> = { 3: 'mOTP', 5: 'Yandex OTP' };
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'];

function startsWithText(bytes: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

function isStratumJson(json: unknown): boolean {
  return isObject(json) && Array.isArray(json.Authenticators);
}

function isStratumDb(bytes: Uint8Array): boolean {
  return sqliteSchemaMentions(bytes, ['"authenticator"', '"authenticatorcategory"']);
}

interface StratumRow {
  type: number;
  issuer: string;
  username: string;
  secret: string;
  algorithm: number;
  digits: number;
  period: number;
  counter: number;
}

function toEntry(f: StratumRow): EntryInput {
  const type = TYPES[f.type];
  if (!type) {
    const known = UNSUPPORTED_TYPES[f.type];
    throw new EntryProblem(
      'Type',
      known ? `${known} codes are not supported by Tessera` : `unknown type ${f.type}`,
    );
  }
  const algorithm = ALGORITHMS[f.algorithm];
  if (!algorithm) throw new EntryProblem('Algorithm', `unknown algorithm ${f.algorithm}`);
  return {
    type,
    secret: f.secret,
    algorithm,
    digits: f.digits,
    period: type === 'hotp' ? null : f.period,
    counter: type === 'hotp' ? f.counter : null,
    issuer: f.issuer,
    account: f.username,
  };
}

function fromJson(ctx: FormatContext, json: unknown): ImportResult {
  const list = expectArray(ctx, expectObject(ctx, json).Authenticators, 'Authenticators');
  return collectEntries(ctx, list, labelFrom('Issuer', 'Username'), (raw) => {
    const a = Fields.of(raw);
    return toEntry({
      type: a.num('Type'),
      issuer: a.optStr('Issuer') ?? '',
      username: a.optStr('Username') ?? '',
      secret: a.str('Secret'),
      algorithm: a.optNum('Algorithm') ?? 0,
      digits: a.num('Digits'),
      period: a.optNum('Period') ?? 30,
      counter: a.optNum('Counter') ?? 0,
    });
  });
}

function decryptedJson(ctx: FormatContext, plain: Uint8Array | null): unknown {
  const text = plain && decodeUtf8(plain);
  // CBC has no tag: a wrong key gives bad padding, or (rarely) garbage that is not JSON.
  if (text === null || !text.trimStart().startsWith('{')) throw wrongPassword(ctx);
  return parseJsonOrThrow(ctx, text);
}

async function decrypt(ctx: FormatContext, bytes: Uint8Array, password: string): Promise<unknown> {
  if (startsWithText(bytes, HEADER)) {
    if (bytes.length < 44 + 16) throw damaged(ctx, 'too short for an encrypted Stratum backup');
    const salt = bytes.subarray(16, 32);
    const iv = bytes.subarray(32, 44);
    const key = await argon2idKey(ctx, 'argon2', {
      password,
      salt,
      memoryKiB: 64 * 1024,
      iterations: 3,
      parallelism: 4,
      dkLen: 32,
    });
    const plain = gcmOpen(ctx, { key, nonce: iv, sealed: bytes.subarray(44) });
    return decryptedJson(ctx, plain);
  }
  if (bytes.length < 52 + 16) throw damaged(ctx, 'too short for a legacy encrypted Stratum backup');
  const salt = bytes.subarray(16, 36);
  const iv = bytes.subarray(36, 52);
  const key = await pbkdf2Key(ctx, 'pbkdf2', {
    hash: 'SHA-1',
    password,
    salt,
    iterations: 64_000,
    dkLen: 32,
  });
  return decryptedJson(ctx, cbcTryOpen({ key, iv, sealed: bytes.subarray(52) }));
}

async function fromDatabase(ctx: FormatContext, bytes: Uint8Array): Promise<ImportResult> {
  const rows = await selectRows({
    ctx,
    bytes,
    table: 'authenticator',
    query:
      'SELECT type, issuer, username, secret, algorithm, digits, period, counter FROM authenticator ORDER BY ranking',
  });
  return collectEntries(ctx, rows, labelFrom('issuer', 'username'), (raw) => {
    const row = raw as Record<string, unknown>;
    return toEntry({
      type: intColumn(row, 'type'),
      issuer: textColumn(row, 'issuer'),
      username: textColumn(row, 'username'),
      secret: textColumn(row, 'secret'),
      algorithm: intColumn(row, 'algorithm'),
      digits: intColumn(row, 'digits', 6),
      period: intColumn(row, 'period', 30),
      counter: intColumn(row, 'counter'),
    });
  });
}

function isEncrypted(source: ImportSource): boolean {
  return startsWithText(source.bytes, HEADER) || startsWithText(source.bytes, HEADER_LEGACY);
}

export const stratum: FormatReader = {
  id: 'stratum',
  name: 'Stratum / Authenticator Pro backup',
  encrypted: true,
  detect: (source) => isEncrypted(source) || isStratumJson(sniff(source).json) || isStratumDb(source.bytes),
  async read(source, { password }) {
    const ctx = contextOf(stratum, source);
    if (isStratumDb(source.bytes)) return fromDatabase(ctx, source.bytes);
    if (isEncrypted(source))
      return fromJson(ctx, await decrypt(ctx, source.bytes, requirePassword(ctx, password)));
    return fromJson(ctx, readJson(ctx, source));
  },
};
