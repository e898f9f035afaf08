import { parseUri } from '@tessera/otp';
import type { EntryInput } from './entries.js';
import { isObject, parseJsonBounded } from './json.js';

/** Ente's `codeDisplay` parameter: display state as URL-encoded JSON, holding tags (and a note we drop). */
function tagsFromCodeDisplay(value: string): string[] {
  const parsed = parseJsonBounded(value, 8);
  if (!parsed.ok || !isObject(parsed.value) || !Array.isArray(parsed.value.tags)) return [];
  return parsed.value.tags.filter((t): t is string => typeof t === 'string' && t.trim() !== '');
}

/** Ente (lines with `codeDisplay`) writes HOTP lines without a counter and reads them as counter 0. */
function enteDefaults(uri: string): string {
  if (/^otpauth:\/\/hotp\//i.test(uri) && /[?&]codeDisplay=/i.test(uri) && !/[?&]counter=/i.test(uri)) {
    return `${uri}&counter=0`;
  }
  return uri;
}

/**
 * An entry from an otpauth:// (or steam://) URI via the OTP engine's parser, with app extensions
 * mapped: Ente's `codeDisplay` becomes tags and is not kept (it may hold a note, outside the backup
 * perimeter). Throws OtpError naming the field.
 */
export function entryFromUri(uri: string): EntryInput {
  const entry = parseUri(enteDefaults(uri.trim()));
  const input: EntryInput = { ...entry };
  if (entry.extra) {
    const extra = { ...entry.extra };
    for (const key of Object.keys(extra)) {
      if (key.toLowerCase() === 'codedisplay') {
        input.tags = tagsFromCodeDisplay(extra[key]!);
        delete extra[key];
      }
    }
    if (Object.keys(extra).length > 0) input.extra = extra;
    else delete input.extra;
  }
  return input;
}

/**
 * Issuer and account as far as a broken URI shows them (its label path), for skipped-entry reports.
 * Anything else on the line is not shown: `steam://SECRET`, a query, or a line that is not a URI
 * at all may hold the secret.
 */
export function labelFromUri(uri: string): string {
  const m = /^[a-z-]+:\/\/[^/?]*\/([^?]*)/i.exec(uri.trim());
  if (!m) return '(unreadable line)';
  try {
    return decodeURIComponent(m[1]!) || '(unnamed)';
  } catch {
    return m[1]! || '(unnamed)';
  }
}
