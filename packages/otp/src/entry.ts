import { base32Encode, isCanonicalBase32 } from './base32.js';
import { DEFAULTS, OTP_TYPES } from './defaults.js';
import { OtpError } from './errors.js';
import type { OtpEntry, OtpType } from './types.js';
import {
  checkAlgorithm,
  checkDigits,
  checkEntryCounter,
  checkPeriod,
  quote,
  secretBytes,
} from './validate.js';

/** Input of {@link normalizeEntry}: any subset of an entry, with the secret as Base32 text or bytes. */
export type EntryInput = Partial<Omit<OtpEntry, 'secret'>> & { secret: string | Uint8Array };

/** otpauth:// parameters with a meaning of their own; an entry's `extra` may not use them. */
export const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  'secret',
  'issuer',
  'algorithm',
  'digits',
  'period',
  'counter',
]);

function checkType(value: unknown): OtpType {
  if (value === undefined) return DEFAULTS.type;
  if (typeof value === 'string' && (OTP_TYPES as readonly string[]).includes(value.toLowerCase())) {
    return value.toLowerCase() as OtpType;
  }
  throw new OtpError('type', `unsupported ${quote(value)}; use totp, hotp or steam`);
}

/** Text that can travel in a URI: a string of well-formed Unicode (no lone surrogates). */
function checkText(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new OtpError(field, 'must be text');
  try {
    encodeURIComponent(value);
  } catch {
    throw new OtpError(field, 'is not well-formed Unicode');
  }
  return value;
}

function checkLabel(field: 'issuer' | 'account', value: unknown): string {
  if (value === undefined || value === null) return '';
  // The Key URI Format allows spaces around the label's parts; they carry no meaning.
  return checkText(field, value).trim();
}

function checkExtra(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new OtpError('extra', 'must map names to text');
  const extra: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    if (name === '') throw new OtpError('extra', 'parameter names may not be empty');
    checkText('extra', name);
    checkText('extra', text);
    const lower = name.toLowerCase();
    if (RESERVED_PARAMETERS.has(lower)) {
      throw new OtpError('extra', `${quote(name)} is an entry field, not an extra parameter`);
    }
    if (lower === 'encoder' && text.toLowerCase() === 'steam') {
      throw new OtpError('extra', '"encoder=steam" is expressed by type "steam"');
    }
    extra[name] = text;
  }
  return Object.keys(extra).length > 0 ? extra : undefined;
}

/** The one fixed value Steam allows for a field, or that value when the field is absent. */
function steamFixed<T>(field: string, value: T | undefined | null, fixed: T): T {
  if (value === undefined || value === null || value === fixed) return fixed;
  throw new OtpError(field, `Steam codes always use ${String(fixed)}, got ${quote(value)}`);
}

/**
 * Validates every field of an entry and fills the defaults (the only place defaults are applied):
 * SHA1, 6 digits, 30 s; Steam: SHA1, 5 characters, 30 s; HOTP counter 0. The secret becomes canonical
 * Base32. HOTP entries get `period: null`, TOTP and Steam entries `counter: null`.
 * @throws OtpError naming the first invalid field.
 */
export function normalizeEntry(input: EntryInput): OtpEntry {
  if (typeof input !== 'object' || input === null) throw new OtpError('entry', 'must be an object');
  const type = checkType(input.type);
  // A stored secret is canonical already: checked as text rather than decoded and encoded again.
  const secret =
    typeof input.secret === 'string' && isCanonicalBase32(input.secret)
      ? input.secret
      : base32Encode(secretBytes(input.secret));
  let algorithm, digits, period, counter;
  if (type === 'steam') {
    algorithm = steamFixed(
      'algorithm',
      input.algorithm && checkAlgorithm(input.algorithm),
      DEFAULTS.steam.algorithm,
    );
    digits = steamFixed('digits', input.digits, DEFAULTS.steam.digits);
    period = steamFixed('period', input.period, DEFAULTS.steam.period);
    counter = null;
  } else {
    algorithm = checkAlgorithm(input.algorithm ?? DEFAULTS.algorithm);
    digits = checkDigits(input.digits ?? DEFAULTS.digits);
    period = type === 'totp' ? checkPeriod(input.period ?? DEFAULTS.period) : null;
    counter = type === 'hotp' ? checkEntryCounter(input.counter ?? DEFAULTS.counter) : null;
  }
  const entry: OtpEntry = {
    type,
    secret,
    algorithm,
    digits,
    period,
    counter,
    issuer: checkLabel('issuer', input.issuer),
    account: checkLabel('account', input.account),
  };
  const extra = checkExtra(input.extra);
  if (extra) entry.extra = extra;
  return entry;
}
