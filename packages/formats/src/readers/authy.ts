import type { FormatReader } from '../types.js';
import { looksLikePrefs, parsePrefs } from '../util/android-prefs.js';
import { base64Decode, hexDecode } from '../util/bytes.js';
import { cbcTryOpen } from '../util/cbc.js';
import { checkEntryCount, EntryCollector, labelOf, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, requirePassword, wrongPassword, type FormatContext } from '../util/errors.js';
import { EntryProblem, expectArray, Fields } from '../util/fields.js';
import { pbkdf2Key } from '../util/kdf.js';
import { parseJsonOrThrow, readText, sniff } from '../util/sniff.js';
import { decodeUtf8, utf8 } from '../util/text.js';

/**
 * Authy for Android's token store (`shared_prefs/com.authy.storage.tokens.authenticator.xml`, and
 * `…tokens.authy.xml` for Authy's own accounts): one string preference holding a JSON array of
 * tokens. Newer versions encrypt each secret with the user's backup password:
 * key = PBKDF2-HMAC-SHA1(password, salt as UTF-8 text, 1000 iterations, 32 bytes),
 * AES-256-CBC with an all-zero IV and PKCS#7 padding; the plaintext is the Base32 secret.
 * Authy has no algorithm or period per token: third-party tokens are SHA1/30 s; Authy's own tokens
 * (`secretSeed`, hex) are SHA1/10 s.
 */
const KEYS = ['com.authy.storage.tokens.authenticator.key', 'com.authy.storage.tokens.authy.key'];
const ITERATIONS = 1000;
const ZERO_IV = new Uint8Array(16);

interface Names {
  issuer: string;
  account: string;
}

/** Issuer and account from Authy's naming fields, in the order Authy fills them. */
function names(t: Fields): Names {
  const name = t.optStr('name') ?? '';
  if (t.has('secretSeed')) return { issuer: name, account: '' };
  const originalName = t.optStr('originalName');
  let issuer = t.optStr('originalIssuer');
  let separator = '';
  if (issuer === undefined && originalName?.includes(':')) {
    issuer = originalName.slice(0, originalName.indexOf(':'));
    separator = ':';
  } else if (issuer === undefined && name.includes(' - ')) {
    issuer = name.slice(0, name.indexOf(' - '));
    separator = ' - ';
  } else if (issuer === undefined) {
    const type = t.optStr('accountType') ?? '';
    issuer = type.charAt(0).toUpperCase() + type.slice(1);
  }
  let account = issuer ? name.replace(issuer + separator, '') : name;
  if (account.startsWith(': ')) account = account.slice(2);
  return { issuer, account };
}

/** Decrypts one `encryptedSecret`; null when the key does not fit (bad padding or not Base32). */
async function decryptSecret(
  ctx: FormatContext,
  t: Fields,
  password: string,
  index: number,
): Promise<string | null> {
  const sealed = base64Decode(t.str('encryptedSecret'));
  if (!sealed) throw new EntryProblem('encryptedSecret', 'is not Base64');
  const key = await pbkdf2Key(ctx, `[${index}].salt`, {
    hash: 'SHA-1',
    password,
    salt: utf8(t.str('salt')),
    iterations: ITERATIONS,
    dkLen: 32,
  });
  const plain = cbcTryOpen({ key, iv: ZERO_IV, sealed });
  const text = plain && decodeUtf8(plain);
  return text && /^[A-Z2-7=\s]+$/i.test(text) ? text : null;
}

function entryInput(t: Fields, secret: string | Uint8Array): EntryInput {
  const authyOwn = t.has('secretSeed');
  return {
    type: 'totp',
    secret,
    algorithm: 'SHA1',
    digits: t.num('digits'),
    period: authyOwn ? 10 : 30,
    ...names(t),
  };
}

function isObjectWith(raw: unknown, key: string): boolean {
  return typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>)[key] !== undefined;
}

function labelOfToken(raw: unknown): string {
  try {
    const n = names(Fields.of(raw));
    return labelOf(n.issuer, n.account);
  } catch {
    return '(unnamed)';
  }
}

async function readTokens(ctx: FormatContext, tokens: unknown[], password: string | undefined) {
  checkEntryCount(ctx, tokens.length);
  const encrypted = tokens.some(
    (raw) =>
      isObjectWith(raw, 'encryptedSecret') &&
      !isObjectWith(raw, 'decryptedSecret') &&
      !isObjectWith(raw, 'secretSeed'),
  );
  const pass = encrypted ? requirePassword(ctx, password) : '';
  const collector = new EntryCollector(ctx);
  let opened = 0;
  // The secret of one token: stored plain, as Authy's hex seed, or encrypted under the password.
  const secretOf = async (t: Fields, index: number): Promise<string | Uint8Array> => {
    if (t.has('secretSeed')) {
      const seed = hexDecode(t.str('secretSeed'));
      if (!seed) throw new EntryProblem('secretSeed', 'is not hex');
      return seed;
    }
    if (t.has('decryptedSecret')) return t.str('decryptedSecret');
    const text = await decryptSecret(ctx, t, pass, index);
    if (text === null) {
      // Every token shares the password: if none has opened yet, the password is wrong.
      if (opened === 0) throw wrongPassword(ctx);
      throw new EntryProblem(
        'encryptedSecret',
        'does not decrypt with the password that opened the other tokens',
      );
    }
    opened++;
    return text;
  };
  for (const [i, raw] of tokens.entries()) {
    const label = labelOfToken(raw);
    let input: EntryInput;
    try {
      const t = Fields.of(raw);
      input = entryInput(t, await secretOf(t, i));
    } catch (err) {
      if (!(err instanceof EntryProblem)) throw err;
      collector.skip(i, label, `${err.field}: ${err.reason}`);
      continue;
    }
    collector.add(i, label, () => input);
  }
  return collector.result();
}

export const authy: FormatReader = {
  id: 'authy',
  name: 'Authy (Android token store)',
  encrypted: true,
  detect: (source) => KEYS.some((key) => looksLikePrefs(sniff(source).text, key)),
  async read(source, { password }) {
    const ctx = contextOf(authy, source);
    const prefs = parsePrefs(ctx, readText(ctx, source));
    const tokens: unknown[] = [];
    for (const key of KEYS) {
      const pref = prefs.get(key);
      if (pref?.type === 'string')
        tokens.push(...expectArray(ctx, parseJsonOrThrow(ctx, pref.value, key), key));
    }
    if (!KEYS.some((key) => prefs.has(key)))
      throw damaged(ctx, `no ${KEYS[0]} preference`, { field: KEYS[0] });
    return readTokens(ctx, tokens, password);
  },
};
