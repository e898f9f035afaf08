/** The kinds of one-time password Tessera computes. */
export type OtpType = 'totp' | 'hotp' | 'steam';

/** HMAC hash functions allowed by RFC 6238 §1.2. */
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

/**
 * One OTP credential: everything needed to regenerate its codes, plus its labels.
 * This is the shape every part of Tessera exchanges (formats, vault, CLI JSON output).
 */
export interface OtpEntry {
  type: OtpType;
  /** Canonical Base32: upper case, no padding, no spaces. */
  secret: string;
  algorithm: Algorithm;
  /** 6 to 10 for TOTP/HOTP; 5 for Steam. */
  digits: number;
  /** Seconds; null for HOTP. */
  period: number | null;
  /** Next counter to use; null for TOTP and Steam. */
  counter: number | null;
  issuer: string;
  account: string;
  /** otpauth:// query parameters Tessera does not interpret, kept so a round trip loses nothing. */
  extra?: Record<string, string>;
}
