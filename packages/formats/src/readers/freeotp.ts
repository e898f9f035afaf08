import type { FormatReader, ImportResult } from '../types.js';
import { looksLikePrefs, parsePrefs } from '../util/android-prefs.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import { contextOf, type FormatContext } from '../util/errors.js';
import { EntryProblem, Fields } from '../util/fields.js';
import { parseJsonBounded } from '../util/json.js';
import { readText, sniff } from '../util/sniff.js';

/**
 * FreeOTP's token store (`shared_prefs/tokens.xml`), which FreeOTP+ also kept before its database:
 * one string preference per token, named `issuer:label`, holding the token as JSON (Gson names of
 * FreeOTP's `Token` class), plus `tokenOrder`, a JSON array of those names. The counter is imported as
 * stored (FreeOTP keeps the URI counter minus one, having used it once). A TOTP token whose issuer is
 * "Steam" is a Steam token, as FreeOTP shows it.
 */

/** Java's signed bytes (-128..127; 128..255 accepted too) as raw bytes; `field` names the array in errors. */
export function fromJavaBytes(values: unknown[], field: string): Uint8Array {
  const out = new Uint8Array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -128 || v > 255) {
      throw new EntryProblem(field, `item ${i} is not a byte`);
    }
    out[i] = v & 0xff;
  });
  return out;
}

/**
 * One FreeOTP token object (also FreeOTP+'s JSON export tokens and the plaintext token metadata of
 * FreeOTP v2 backups) as an entry;
 * `secret` is given when it is stored apart from the token (v2).
 */
export function freeotpTokenInput(t: Fields, secret?: Uint8Array): EntryInput {
  const issuer = t.optStr('issuerAlt') || t.optStr('issuerExt') || t.optStr('issuerInt') || '';
  let type = (t.optStr('type') ?? 'TOTP').toLowerCase();
  if (type === 'totp' && issuer === 'Steam') type = 'steam';
  return {
    type,
    secret: secret ?? fromJavaBytes(t.arr('secret'), 'secret'),
    algorithm: t.optStr('algo'),
    digits: type === 'steam' ? undefined : t.optNum('digits'),
    period: type === 'totp' ? t.optNum('period') : null,
    counter: type === 'hotp' ? t.optNum('counter') : null,
    issuer,
    account: t.optStr('labelAlt') || t.optStr('label') || '',
  };
}

export const freeotpTokenLabel = labelFrom('issuerExt', 'label');

/** Token preferences in the user's order (`tokenOrder`), then any the order does not list. */
function orderedTokens(prefs: Map<string, { type: string; value: string }>): unknown[] {
  const order = prefs.get('tokenOrder');
  const parsed = order ? parseJsonBounded(order.value, 4) : null;
  const names =
    parsed?.ok && Array.isArray(parsed.value)
      ? parsed.value.filter((n): n is string => typeof n === 'string')
      : [];
  const keys = [...new Set([...names.filter((n) => prefs.has(n)), ...prefs.keys()])].filter(
    (k) => k !== 'tokenOrder',
  );
  return keys.flatMap((key) => {
    const pref = prefs.get(key);
    if (pref?.type !== 'string') return [];
    const token = parseJsonBounded(pref.value, 8);
    // An unparsable token is handed on as text, so the entry builder reports it as skipped.
    return [token.ok ? token.value : pref.value];
  });
}

/** Entries of a FreeOTP-style tokens.xml. */
export function readTokensXml(ctx: FormatContext, text: string): ImportResult {
  return collectEntries(ctx, orderedTokens(parsePrefs(ctx, text)), freeotpTokenLabel, (raw) =>
    freeotpTokenInput(Fields.of(raw)),
  );
}

/** tokens.xml names `tokenOrder` and holds tokens with FreeOTP's field names. */
export function isTokensXml(text: string | null): boolean {
  return (
    looksLikePrefs(text, 'tokenOrder') &&
    (text?.includes('issuerExt') || text?.includes('&quot;secret&quot;')) === true
  );
}

/** A reader of tokens.xml under the name of the app that wrote it (FreeOTP, FreeOTP+). */
export function tokensXmlReader(id: string, name: string): FormatReader {
  const reader: FormatReader = {
    id,
    name,
    encrypted: false,
    detect: (source) => isTokensXml(sniff(source).text),
    async read(source) {
      const ctx = contextOf(reader, source);
      return readTokensXml(ctx, readText(ctx, source));
    },
  };
  return reader;
}

export const freeotp = tokensXmlReader('freeotp', 'FreeOTP token store (tokens.xml)');
