import { DEFAULTS } from './defaults.js';
import { OtpError } from './errors.js';
import { truncatedHmac } from './hmac.js';
import type { Algorithm, OtpEntry } from './types.js';
import { checkAlgorithm, checkCounter, checkDigits, checkPeriod, checkTime, quote } from './validate.js';

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
/** Steam Guard's 26 characters (Aegis `OTP.toSteamString`, Bitwarden `derive_steam_otp`). */
const STEAM_ALPHABET = '23456789BCDFGHJKMNPQRTVWXY';

/** Options of {@link hotp}. */
export interface HotpOptions {
  /** Base32 text (read leniently) or the key bytes. */
  secret: Uint8Array | string;
  /** The moving factor: a safe integer or a bigint up to 2^64 - 1. */
  counter: number | bigint;
  algorithm?: Algorithm;
  digits?: number;
}

/** Options of {@link totp}. */
export interface TotpOptions {
  secret: Uint8Array | string;
  /** Unix seconds (fractions allowed); defaults to now. */
  time?: number;
  period?: number;
  algorithm?: Algorithm;
  digits?: number;
}

/** Options of {@link steam}. */
export interface SteamOptions {
  secret: Uint8Array | string;
  time?: number;
}

function decimal(value: number, digits: number): string {
  // RFC 4226 §5.3 step 3: Snum mod 10^Digit, left-padded with zeros.
  return String(value % (POWERS_OF_TEN[digits] as number)).padStart(digits, '0');
}

/** An HOTP code (RFC 4226). */
export function hotp(options: HotpOptions): string {
  const counter = checkCounter(options.counter);
  const algorithm = checkAlgorithm(options.algorithm ?? DEFAULTS.algorithm);
  const digits = checkDigits(options.digits ?? DEFAULTS.digits);
  return decimal(truncatedHmac(algorithm, options.secret, counter), digits);
}

/** A TOTP code (RFC 6238): HOTP with T = floor((time - T0) / X), T0 = 0 (§4.2). */
export function totp(options: TotpOptions): string {
  const time = checkTime(options.time);
  const period = checkPeriod(options.period ?? DEFAULTS.period);
  const algorithm = checkAlgorithm(options.algorithm ?? DEFAULTS.algorithm);
  const digits = checkDigits(options.digits ?? DEFAULTS.digits);
  return decimal(truncatedHmac(algorithm, options.secret, Math.floor(time / period)), digits);
}

/** A Steam Guard code: TOTP-SHA1 over 30 s, the truncated value written in 5 Steam characters. */
export function steam(options: SteamOptions): string {
  const time = checkTime(options.time);
  let value = truncatedHmac(
    DEFAULTS.steam.algorithm,
    options.secret,
    Math.floor(time / DEFAULTS.steam.period),
  );
  let code = '';
  // Least significant character first, as Steam does.
  for (let i = 0; i < DEFAULTS.steam.digits; i++) {
    code += STEAM_ALPHABET[value % STEAM_ALPHABET.length];
    value = Math.floor(value / STEAM_ALPHABET.length);
  }
  return code;
}

/** The code an entry shows at `time` (HOTP: for `entry.counter`, which the caller advances). */
export function generateCode(options: { entry: OtpEntry; time?: number }): string {
  const { entry, time } = options;
  switch (entry.type) {
    case 'totp':
      return totp({
        secret: entry.secret,
        time,
        period: checkPeriod(entry.period),
        algorithm: entry.algorithm,
        digits: entry.digits,
      });
    case 'hotp':
      return hotp({
        secret: entry.secret,
        counter: checkCounter(entry.counter),
        algorithm: entry.algorithm,
        digits: entry.digits,
      });
    case 'steam':
      return steam({ secret: entry.secret, time });
    default:
      throw new OtpError(
        'type',
        `unsupported ${quote((entry as { type: unknown }).type)}; use totp, hotp or steam`,
      );
  }
}

/** Whole seconds until the current time step ends: 1 to `period`. */
export function secondsRemaining(options: { period: number; time?: number }): number {
  const period = checkPeriod(options.period);
  const time = checkTime(options.time);
  return period - (Math.floor(time) % period);
}
