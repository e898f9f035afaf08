import { gcm } from '@noble/ciphers/aes.js';
import { wrongPassword, type FormatContext } from './errors.js';

/**
 * AES-256-GCM open (NIST SP 800-38D) with a 16-byte tag appended to the ciphertext. A tag failure
 * means a wrong password (or a tampered file): it becomes `wrong-password` naming the file and format.
 */
export function gcmOpen(
  ctx: FormatContext,
  opts: { key: Uint8Array; nonce: Uint8Array; sealed: Uint8Array; aad?: Uint8Array },
): Uint8Array {
  try {
    return gcm(opts.key, opts.nonce, opts.aad).decrypt(opts.sealed);
  } catch {
    throw wrongPassword(ctx);
  }
}

/** Like gcmOpen but returns null on failure (for trying several key slots). */
export function gcmTryOpen(opts: {
  key: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
  aad?: Uint8Array;
}): Uint8Array | null {
  try {
    return gcm(opts.key, opts.nonce, opts.aad).decrypt(opts.sealed);
  } catch {
    return null;
  }
}

export function gcmSeal(opts: {
  key: Uint8Array;
  nonce: Uint8Array;
  plaintext: Uint8Array;
  aad?: Uint8Array;
}): Uint8Array {
  return gcm(opts.key, opts.nonce, opts.aad).encrypt(opts.plaintext);
}
