import { sha256 } from '@noble/hashes/sha2.js';
import type { FormatReader, ImportResult } from '../types.js';
import { looksLikePrefs, parsePrefs, requireStringPref } from '../util/android-prefs.js';
import { base64Decode, hexDecode } from '../util/bytes.js';
import { cbcTryOpen } from '../util/cbc.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, passwordRequired, wrongPassword, type FormatContext } from '../util/errors.js';
import { EntryProblem, expectArray, Fields } from '../util/fields.js';
import { isObject, parseJsonBounded } from '../util/json.js';
import { parseJsonOrThrow, readText, sniff } from '../util/sniff.js';
import { decodeUtf8, utf8 } from '../util/text.js';

/**
 * TOTP Authenticator (com.authenticator.authservice2), two forms:
 * - the backup file (`.bin`): Base64 text of AES-256-CBC (PKCS#7, all-zero IV) under SHA-256(password)
 *   — the app's scheme, not a real KDF, so there is no cost to cap. The plaintext is a JSON object whose
 *   first *key* is the JSON array of accounts (the value is a timestamp). Without a password of their
 *   own, backups use the app's built-in one, which is tried when none is given;
 * - the app's preferences (`shared_prefs/TOTP_Authenticator_Preferences.xml`), key
 *   `STATIC_TOTP_CODES_LIST`, the same array.
 * Accounts: `key` (the secret, encoded in `base` 16, 32 or 64), `issuer`, `name`, `digits` and `period`
 * (as strings); the app only computes SHA1 codes.
 */
const PREF_KEY = 'STATIC_TOTP_CODES_LIST';
const BUILT_IN_PASSWORD = 'TotpAuthenticator';
const ZERO_IV = new Uint8Array(16);
const BASE64_TEXT = /^[A-Za-z0-9+/=\r\n]+$/;
const OUTSIDE_BASE32 = /[a-z0189+/]/;

function secretOf(a: Fields): Uint8Array | string {
  const base = a.num('base');
  const key = a.str('key');
  if (base === 32) return key;
  const bytes = base === 16 ? hexDecode(key) : base === 64 ? base64Decode(key) : null;
  if (base !== 16 && base !== 64) throw new EntryProblem('base', `unsupported secret encoding: base ${base}`);
  if (!bytes) throw new EntryProblem('key', `is not base ${base}`);
  return bytes;
}

/** Some versions store each account as a JSON string inside the array. */
function accountValue(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const parsed = parseJsonBounded(raw, 8);
  if (!parsed.ok) throw new EntryProblem('entry', 'is not JSON');
  return parsed.value;
}

function entryInput(raw: unknown): EntryInput {
  const a = Fields.of(accountValue(raw));
  return {
    type: 'totp',
    secret: secretOf(a),
    algorithm: 'SHA1',
    digits: a.optNum('digits'),
    period: a.optNum('period'),
    issuer: a.optStr('issuer') ?? '',
    account: a.optStr('name') ?? '',
  };
}

function readAccounts(ctx: FormatContext, listText: string, field: string): ImportResult {
  const list = expectArray(ctx, parseJsonOrThrow(ctx, listText, field), field);
  const label = labelFrom('issuer', 'name');
  return collectEntries(ctx, list, (raw) => label(accountValue(raw)), entryInput);
}

/** The accounts array text inside a decrypted backup, or null when the key was wrong. */
function openBackup(sealed: Uint8Array, password: string): string | null {
  const plain = cbcTryOpen({ key: sha256(utf8(password)), iv: ZERO_IV, sealed });
  const text = plain && decodeUtf8(plain);
  if (text === null) return null;
  const parsed = parseJsonBounded(text);
  if (!parsed.ok || !isObject(parsed.value)) return null;
  return Object.keys(parsed.value)[0] ?? '[]';
}

function isBackup(text: string | null): boolean {
  if (text === null) return false;
  const t = text.trim();
  if (t.length < 64 || !BASE64_TEXT.test(t) || !OUTSIDE_BASE32.test(t)) return false;
  const bytes = base64Decode(t);
  return bytes !== null && bytes.length % 16 === 0;
}

export const totpAuthenticator: FormatReader = {
  id: 'totp-authenticator',
  name: 'TOTP Authenticator backup',
  encrypted: true,
  detect: (source) => {
    const text = sniff(source).text;
    return looksLikePrefs(text, PREF_KEY) || isBackup(text);
  },
  async read(source, { password }) {
    const ctx = contextOf(totpAuthenticator, source);
    const text = readText(ctx, source);
    if (looksLikePrefs(text, PREF_KEY))
      return readAccounts(ctx, requireStringPref(ctx, parsePrefs(ctx, text), PREF_KEY), PREF_KEY);
    const sealed = base64Decode(text.trim());
    if (!sealed || sealed.length % 16 !== 0) throw damaged(ctx, 'expected Base64 of AES blocks');
    // The built-in password is tried too: users often do not know whether they set one.
    const list = (password ? openBackup(sealed, password) : null) ?? openBackup(sealed, BUILT_IN_PASSWORD);
    if (list === null) throw password ? wrongPassword(ctx) : passwordRequired(ctx);
    return readAccounts(ctx, list, 'accounts');
  },
};
