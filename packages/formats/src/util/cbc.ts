import { cbc } from '@noble/ciphers/aes.js';

/**
 * AES-CBC decryption with PKCS#7 padding (NIST SP 800-38A; RFC 5652 §6.3), as Authy, Stratum's
 * legacy backups and TOTP Authenticator use it. CBC has no authentication: a wrong key shows up as
 * bad padding (or, 1 time in ~256, as garbage the caller must reject), so this returns null rather
 * than deciding what a failure means.
 */
export function cbcTryOpen(opts: { key: Uint8Array; iv: Uint8Array; sealed: Uint8Array }): Uint8Array | null {
  if (opts.sealed.length === 0 || opts.sealed.length % 16 !== 0) return null;
  try {
    return cbc(opts.key, opts.iv).decrypt(opts.sealed);
  } catch {
    return null;
  }
}
