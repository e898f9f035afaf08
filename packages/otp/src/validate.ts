import { base32Decode } from './base32.js';
import { ALGORITHMS, DEFAULTS } from './defaults.js';
import { OtpError } from './errors.js';
import type { Algorithm } from './types.js';

const MAX_COUNTER = (1n << 64n) - 1n;

/** A value for an error message: short, and never the secret (callers don't pass it). */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

/** The secret as key bytes: Base32 text (lenient) or bytes. */
export function secretBytes(secret: unknown): Uint8Array {
  if (secret === undefined || secret === null || secret === '') throw new OtpError('secret', 'is missing');
  if (typeof secret === 'string') return base32Decode(secret);
  if (secret instanceof Uint8Array) {
    if (secret.length === 0) throw new OtpError('secret', 'is empty');
    if (secret.length > DEFAULTS.limits.maxSecretBytes) {
      throw new OtpError('secret', `longer than ${DEFAULTS.limits.maxSecretBytes} bytes`);
    }
    return secret;
  }
  throw new OtpError('secret', 'must be Base32 text or bytes');
}

/** `SHA1`, `sha256`, `SHA-512` … → the canonical spelling; anything else is refused. */
export function checkAlgorithm(value: unknown): Algorithm {
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    if ((ALGORITHMS as readonly string[]).includes(upper)) return upper as Algorithm;
    const unhyphenated = upper.replace('SHA-', 'SHA');
    if ((ALGORITHMS as readonly string[]).includes(unhyphenated)) return unhyphenated as Algorithm;
  }
  throw new OtpError('algorithm', `unsupported ${quote(value)}; use SHA1, SHA256 or SHA512`);
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new OtpError(field, `must be a whole number, got ${quote(value)}`);
  }
  if (value < min || value > max) throw new OtpError(field, `must be ${min} to ${max}, got ${value}`);
  return value;
}

/** Digits of a decimal code (RFC 4226 §5.3: at least 6). */
export function checkDigits(value: unknown): number {
  return checkInteger('digits', value, DEFAULTS.limits.minDigits, DEFAULTS.limits.maxDigits);
}

/** TOTP time step X in seconds (RFC 6238 §4.1). */
export function checkPeriod(value: unknown): number {
  return checkInteger('period', value, DEFAULTS.limits.minPeriod, DEFAULTS.limits.maxPeriod);
}

/** A counter an entry can store (a JSON number, so at most 2^53 - 1). */
export function checkEntryCounter(value: unknown): number {
  return checkInteger('counter', value, 0, Number.MAX_SAFE_INTEGER);
}

/** The 8-byte moving factor of RFC 4226 §5.2, as a bigint or a safe integer. */
export function checkCounter(value: unknown): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > MAX_COUNTER) throw new OtpError('counter', 'must be 0 to 2^64 - 1');
    return value;
  }
  if (value === undefined || value === null) throw new OtpError('counter', 'is required for HOTP');
  return checkEntryCounter(value);
}

/** Unix time in seconds; fractions allowed. Defaults to now. */
export function checkTime(value: unknown): number {
  if (value === undefined) return Date.now() / 1000;
  // Up to 2^53 - 1 seconds (some 285 million years), so the step counter is an exact integer.
  if (typeof value !== 'number' || !(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
    throw new OtpError('time', `must be Unix seconds from 0 to 2^53 - 1, got ${quote(value)}`);
  }
  return value;
}
