import { cbc } from '@noble/ciphers/aes.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { FormatReader, ImportResult } from '../types.js';
import { base64Decode, concatBytes } from '../util/bytes.js';
import { parseCsv } from '../util/csv.js';
import { checkEntryCount, EntryCollector, labelOf, type EntryInput } from '../util/entries.js';
import {
  contextOf,
  damaged,
  requirePassword,
  unsupported,
  wrongPassword,
  type FormatContext,
} from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { argon2idKey, pbkdf2Key } from '../util/kdf.js';
import { LIMITS } from '../util/limits.js';
import { parseJsonOrThrow, readJson, readText, sniff } from '../util/sniff.js';
import { decodeUtf8, utf8 } from '../util/text.js';
import { entryFromUri } from '../util/uri.js';

/**
 * Bitwarden exports (spec §5): unencrypted JSON (password manager and Authenticator app), CSV, and the
 * password-protected JSON (PBKDF2-SHA256 or Argon2id, HKDF-Expand to enc/mac keys, EncString type 2 =
 * AES-256-CBC + HMAC-SHA256). TOTP data is `login.totp`: an otpauth URI, `steam://SECRET` or a bare
 * Base32 secret (SHA1/6/30).
 */

/** Entry from a `login.totp` value; item name and username fill what the value lacks. */
export function entryFromTotpField(totp: string, itemName: string, username: string): EntryInput {
  const value = totp.trim();
  if (/^(otpauth|steam):\/\//i.test(value)) {
    const input = entryFromUri(value);
    if (!input.issuer) input.issuer = itemName;
    if (!input.account) input.account = username;
    return input;
  }
  return { type: 'totp', secret: value, issuer: itemName, account: username };
}

function readItems(ctx: FormatContext, json: Record<string, unknown>): ImportResult {
  const items = expectArray(ctx, json.items, 'items');
  checkEntryCount(ctx, items.length);
  const collector = new EntryCollector(ctx);
  items.forEach((raw, i) => {
    if (
      !isObject(raw) ||
      !isObject(raw.login) ||
      typeof raw.login.totp !== 'string' ||
      raw.login.totp.trim() === ''
    )
      return;
    const login = raw.login;
    collector.add(i, labelOf(raw.name, login.username), () => {
      const item = Fields.of(raw);
      return entryFromTotpField(
        login.totp as string,
        item.optStr('name') ?? '',
        Fields.of(login).optStr('username') ?? '',
      );
    });
  });
  return collector.result();
}

// --- password-protected export -------------------------------------------------------------------

interface EncString {
  iv: Uint8Array;
  ct: Uint8Array;
  mac: Uint8Array;
}

function parseEncString(ctx: FormatContext, value: unknown, field: string): EncString {
  const m = typeof value === 'string' ? /^2\.([^|]+)\|([^|]+)\|([^|]+)$/.exec(value) : null;
  const [iv, ct, mac] = m ? [m[1]!, m[2]!, m[3]!].map((p) => base64Decode(p)) : [];
  if (
    !iv ||
    !ct ||
    !mac ||
    iv.length !== 16 ||
    mac.length !== 32 ||
    ct.length % 16 !== 0 ||
    ct.length === 0
  ) {
    throw damaged(ctx, 'expected an EncString "2.<iv>|<ciphertext>|<mac>"', { field });
  }
  return { iv, ct, mac };
}

function openEncString(
  ctx: FormatContext,
  keys: { enc: Uint8Array; mac: Uint8Array },
  s: EncString,
  field: string,
): Uint8Array {
  const mac = hmac(sha256, keys.mac, concatBytes(s.iv, s.ct));
  // noble's comparison has no early exit: timing shows nothing of where the MACs differ.
  if (!equalBytes(mac, s.mac)) throw wrongPassword(ctx);
  try {
    return cbc(keys.enc, s.iv).decrypt(s.ct);
  } catch {
    throw damaged(ctx, 'bad padding after a valid MAC', { field });
  }
}

async function deriveKeys(
  ctx: FormatContext,
  json: Record<string, unknown>,
  password: string,
): Promise<{ enc: Uint8Array; mac: Uint8Array }> {
  const f = Fields.of(json);
  if (typeof json.salt !== 'string' || json.salt === '') throw damaged(ctx, 'missing', { field: 'salt' });
  // The Base64 TEXT of the salt is the KDF input, not its decoded bytes (spec §5.2).
  const salt = utf8(json.salt);
  const kdfType = Number(json.kdfType);
  let key: Uint8Array;
  if (kdfType === 0) {
    key = await pbkdf2Key(ctx, 'kdfIterations', {
      hash: 'SHA-256',
      password,
      salt,
      iterations: Number(json.kdfIterations),
      dkLen: 32,
    });
  } else if (kdfType === 1) {
    const memoryMiB = Number(json.kdfMemory);
    const memoryKiB =
      memoryMiB > LIMITS.argon2MaxMemoryKiB ? LIMITS.argon2MaxMemoryKiB + 1 : memoryMiB * 1024;
    key = await argon2idKey(ctx, 'kdf', {
      password,
      salt: sha256(salt),
      memoryKiB,
      iterations: Number(json.kdfIterations),
      parallelism: Number(json.kdfParallelism),
      dkLen: 32,
    });
  } else throw unsupported(ctx, `kdfType ${String(f.obj.kdfType)} is unknown (0 PBKDF2, 1 Argon2id)`);
  return { enc: expand(sha256, key, utf8('enc'), 32), mac: expand(sha256, key, utf8('mac'), 32) };
}

async function decryptExport(
  ctx: FormatContext,
  json: Record<string, unknown>,
  password: string,
): Promise<Record<string, unknown>> {
  const validation = parseEncString(ctx, json.encKeyValidation_DO_NOT_EDIT, 'encKeyValidation_DO_NOT_EDIT');
  const data = parseEncString(ctx, json.data, 'data');
  const keys = await deriveKeys(ctx, json, password);
  openEncString(ctx, keys, validation, 'encKeyValidation_DO_NOT_EDIT');
  const text = decodeUtf8(openEncString(ctx, keys, data, 'data'));
  if (text === null) throw damaged(ctx, 'decrypted data is not UTF-8', { field: 'data' });
  return expectObject(ctx, parseJsonOrThrow(ctx, text, 'data'), 'data');
}

function isBitwardenJson(json: unknown): boolean {
  return (
    isObject(json) &&
    typeof json.encrypted === 'boolean' &&
    (Array.isArray(json.items) || json.passwordProtected === true)
  );
}

export const bitwardenJson: FormatReader = {
  id: 'bitwarden',
  name: 'Bitwarden export',
  encrypted: true,
  detect: (source) => isBitwardenJson(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(bitwardenJson, source);
    const json = expectObject(ctx, readJson(ctx, source));
    if (json.encrypted !== true) return readItems(ctx, json);
    if (json.passwordProtected !== true) {
      throw unsupported(
        ctx,
        'this is an "account restricted" encrypted export, readable only by the Bitwarden account that made it; export again with "password protected" or unencrypted',
      );
    }
    return readItems(ctx, await decryptExport(ctx, json, requirePassword(ctx, password)));
  },
};

// --- CSV -----------------------------------------------------------------------------------------

function csvHeader(text: string | null): string[] | null {
  if (text === null) return null;
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const header = firstLine.trim().split(',');
  return header.includes('login_totp') ? header : null;
}

export const bitwardenCsv: FormatReader = {
  id: 'bitwarden-csv',
  name: 'Bitwarden CSV export',
  encrypted: false,
  detect: (source) => csvHeader(sniff(source).text) !== null,
  async read(source) {
    const ctx = contextOf(bitwardenCsv, source);
    let rows: string[][];
    try {
      rows = parseCsv(readText(ctx, source), LIMITS.maxEntries + 1);
    } catch (err) {
      throw damaged(ctx, (err as Error).message);
    }
    const header = (rows.shift() ?? []).map((h) => h.trim());
    const col = (name: string) => header.indexOf(name);
    const totpAt = col('login_totp');
    if (totpAt < 0) throw damaged(ctx, 'no login_totp column in the header', { field: 'login_totp' });
    const collector = new EntryCollector(ctx);
    rows.forEach((row, i) => {
      const totp = row[totpAt]?.trim() ?? '';
      if (totp === '') return;
      const name = row[col('name')] ?? '';
      const username = row[col('login_username')] ?? '';
      collector.add(i, labelOf(name, username), () => entryFromTotpField(totp, name.trim(), username.trim()));
    });
    return collector.result();
  },
};
