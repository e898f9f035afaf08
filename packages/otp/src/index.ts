export type { OtpEntry, OtpType, Algorithm } from './types.js';
export { OtpError } from './errors.js';
