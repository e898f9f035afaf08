export type { OtpEntry, OtpType, Algorithm } from './types.js';
export { OtpError } from './errors.js';
export { DEFAULTS, ALGORITHMS, OTP_TYPES } from './defaults.js';
export { base32Decode, base32Encode } from './base32.js';
export { hotp, totp, steam, generateCode, secondsRemaining } from './codes.js';
export type { HotpOptions, TotpOptions, SteamOptions } from './codes.js';
export { normalizeEntry } from './entry.js';
export type { EntryInput } from './entry.js';
export { parseUri, formatUri } from './uri.js';
