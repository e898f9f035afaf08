import type { Algorithm, OtpType } from './types.js';

/**
 * Every default and limit of the OTP engine, in one place.
 * Defaults follow the Key URI Format (Google Authenticator wiki): SHA1, 6 digits, 30 s, counter 0.
 */
export const DEFAULTS = Object.freeze({
  type: 'totp' as OtpType,
  algorithm: 'SHA1' as Algorithm,
  digits: 6,
  period: 30,
  /** HOTP counter when none is given to `normalizeEntry` (parseUri still requires one, per the wiki). */
  counter: 0,
  /** Steam Guard codes are fixed: 5 characters, HMAC-SHA1, 30-second steps. */
  steam: Object.freeze({ digits: 5, algorithm: 'SHA1' as Algorithm, period: 30 }),
  limits: Object.freeze({
    /** RFC 4226 §5.3 requires at least 6 digits; 10 is the most a 31-bit truncated value can fill. */
    minDigits: 6,
    maxDigits: 10,
    minPeriod: 1,
    /** Any period a person could mean (about 136 years); keeps arithmetic exact. */
    maxPeriod: 2 ** 32 - 1,
    /** HMAC accepts any key length; this caps what an untrusted input can make us hold. */
    maxSecretBytes: 1024,
    /** Caps an untrusted otpauth:// URI; long enough for Ente's `codeDisplay` JSON. */
    maxUriLength: 65536,
  }),
});

/** The algorithms Tessera computes (RFC 6238 §1.2), in the spelling entries use. */
export const ALGORITHMS: readonly Algorithm[] = Object.freeze(['SHA1', 'SHA256', 'SHA512']);

/** The kinds of entry. */
export const OTP_TYPES: readonly OtpType[] = Object.freeze(['totp', 'hotp', 'steam']);
