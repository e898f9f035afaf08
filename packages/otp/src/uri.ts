import { DEFAULTS } from './defaults.js';
import { normalizeEntry, RESERVED_PARAMETERS, type EntryInput } from './entry.js';
import { OtpError } from './errors.js';
import type { OtpEntry } from './types.js';
import { quote } from './validate.js';

// Parsing uses indexOf/slice only (no backtracking regular expressions), so any input costs linear time.

function percentDecode(field: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new OtpError(field, 'has invalid percent-encoding');
  }
}

/** Query values are form-encoded in the wild (2FAS and Ente write `issuer=Air+Canada`). */
function formDecode(field: string, text: string): string {
  return percentDecode(field, text.replaceAll('+', ' '));
}

function wholeNumber(field: string, text: string): number | undefined {
  if (text === '') return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) throw new OtpError(field, `must be a whole number, got ${quote(text)}`);
    value = value * 10 + digit;
    if (value > Number.MAX_SAFE_INTEGER) throw new OtpError(field, 'is too large');
  }
  return value;
}

function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--;
  return text.slice(0, end);
}

/** The query as ordered (name, value) pairs: names percent-decoded, values form-decoded; empty names dropped. */
function queryParameters(query: string): Map<string, string> {
  const parameters = new Map<string, string>();
  if (query === '') return parameters;
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const name = percentDecode('uri', equals < 0 ? pair : pair.slice(0, equals));
    if (name === '') continue;
    const lower = name.toLowerCase();
    const field = RESERVED_PARAMETERS.has(lower) ? lower : 'uri';
    const value = equals < 0 ? '' : formDecode(field, pair.slice(equals + 1));
    // Duplicates: the last one wins, as in the otpauth library.
    parameters.delete(name);
    parameters.set(name, value);
  }
  return parameters;
}

/** Removes and returns a parameter, matching its name case-insensitively (`SECRET=` works). */
function take(parameters: Map<string, string>, name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of parameters) {
    if (key.toLowerCase() === name) {
      found = value;
      parameters.delete(key);
    }
  }
  return found;
}

/**
 * Parses a Key URI (`otpauth://TYPE/LABEL?PARAMETERS`, export-formats.md §8) into a normalized entry.
 * Accepts `totp`, `hotp`, Steam as `otpauth://steam/…`, `otpauth://totp/…&encoder=steam` and
 * `steam://SECRET`. The `issuer` parameter wins over the label prefix; a label splits at its first
 * colon. Unknown parameters are kept in `extra`.
 * @throws OtpError naming the field and the reason.
 */
export function parseUri(uri: string): OtpEntry {
  if (typeof uri !== 'string') throw new OtpError('uri', 'must be text');
  if (uri.length > DEFAULTS.limits.maxUriLength) {
    throw new OtpError('uri', `longer than ${DEFAULTS.limits.maxUriLength} characters`);
  }
  const text = uri.trim();
  const schemeEnd = text.indexOf('://');
  const scheme = schemeEnd < 0 ? '' : text.slice(0, schemeEnd).toLowerCase();
  const rest = text.slice(schemeEnd + 3);
  if (scheme === 'steam') {
    // Bitwarden and Proton: the whole remainder is the Base32 secret.
    return normalizeEntry({ type: 'steam', secret: percentDecode('secret', withoutTrailingSlashes(rest)) });
  }
  if (scheme === 'otpauth-migration') {
    throw new OtpError('uri', 'is a Google Authenticator export holding several entries; import it instead');
  }
  if (scheme !== 'otpauth') throw new OtpError('uri', 'must start with otpauth://');

  const queryStart = rest.indexOf('?');
  const path = queryStart < 0 ? rest : rest.slice(0, queryStart);
  const slash = path.indexOf('/');
  const host = (slash < 0 ? path : path.slice(0, slash)).toLowerCase();
  if (host !== 'totp' && host !== 'hotp' && host !== 'steam') {
    throw new OtpError('type', `unsupported ${quote(host)}; use totp, hotp or steam`);
  }
  const label = percentDecode('label', slash < 0 ? '' : path.slice(slash + 1));
  const parameters = queryParameters(queryStart < 0 ? '' : rest.slice(queryStart + 1));

  let type: OtpEntry['type'] = host;
  const encoder = take(parameters, 'encoder');
  if (encoder !== undefined && encoder.toLowerCase() === 'steam') {
    // KeePassXC's spelling of Steam (`encoder=steam` on a totp URI).
    if (type === 'hotp') throw new OtpError('type', 'encoder=steam needs a time-based URI, not hotp');
    type = 'steam';
  } else if (encoder !== undefined) {
    parameters.set('encoder', encoder);
  }

  // Label: `issuer ":" *" " account`; more colons belong to the account.
  const colon = label.indexOf(':');
  const prefix = colon < 0 ? '' : label.slice(0, colon);
  const account = colon < 0 ? label : label.slice(colon + 1);
  const issuerParameter = take(parameters, 'issuer')?.trim() ?? '';

  const secret = take(parameters, 'secret');
  const algorithm = take(parameters, 'algorithm');
  const digits = wholeNumber('digits', take(parameters, 'digits') ?? '');
  const period = wholeNumber('period', take(parameters, 'period') ?? '');
  const counter = wholeNumber('counter', take(parameters, 'counter') ?? '');
  if (secret === undefined || secret.trim() === '') throw new OtpError('secret', 'is missing from the URI');
  if (type === 'hotp' && counter === undefined) throw new OtpError('counter', 'is required for HOTP');

  const input: EntryInput = {
    type,
    secret,
    algorithm: (algorithm || undefined) as EntryInput['algorithm'],
    digits,
    // The wiki gives period to totp only and counter to hotp only; Ente writes period=30 on hotp lines.
    period: type === 'hotp' ? undefined : period,
    counter: type === 'hotp' ? counter : undefined,
    // Most apps let the parameter win over the label prefix (export-formats.md §8.3).
    issuer: issuerParameter !== '' ? issuerParameter : prefix,
    account,
  };
  if (parameters.size > 0) input.extra = Object.fromEntries(parameters);
  return normalizeEntry(input);
}

function encodeLabelPart(text: string): string {
  // `@` is legal in a path segment (RFC 3986 §3.3) and keeps e-mail accounts readable.
  return encodeURIComponent(text).replaceAll('%40', '@');
}

/**
 * Writes an entry as a Key URI with both a label prefix and an `issuer` parameter, as the wiki
 * recommends. Steam is written `otpauth://steam/` (Aegis, 2FAS, Ente). `parseUri` reads the result
 * back to the same entry.
 * @throws OtpError when the entry is invalid.
 */
export function formatUri(entry: OtpEntry): string {
  const e = normalizeEntry(entry);
  // A colon in the issuer cannot go in the label prefix (the label splits at its first colon), so
  // such an issuer travels in the parameter only; a leading ":" keeps an account's colons intact.
  const prefix = e.issuer !== '' && !e.issuer.includes(':') ? encodeLabelPart(e.issuer) : '';
  const account = encodeLabelPart(e.account);
  const label = prefix !== '' || e.account.includes(':') ? `${prefix}:${account}` : account;
  const parameters: [string, string][] = [['secret', e.secret]];
  if (e.issuer !== '') parameters.push(['issuer', e.issuer]);
  parameters.push(['algorithm', e.algorithm], ['digits', String(e.digits)]);
  if (e.type === 'hotp') parameters.push(['counter', String(e.counter)]);
  else parameters.push(['period', String(e.period)]);
  for (const [name, value] of Object.entries(e.extra ?? {})) parameters.push([name, value]);
  const query = parameters
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return `otpauth://${e.type}/${label}?${query}`;
}
