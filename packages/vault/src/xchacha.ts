/**
 * XChaCha20-Poly1305 from two audited parts where the platform has OpenSSL: HChaCha20 from
 * @noble/ciphers derives the subkey, and OpenSSL's ChaCha20-Poly1305 (RFC 8439, through
 * node:crypto) does the bulk work with the nonce `0x00000000 || nonce[16..24]`
 * (draft-irtf-cfrg-xchacha-03 §2.3). Same bytes as noble's xchacha20poly1305, several times faster
 * before the JIT has warmed up: a CLI start decrypts the whole vault, a restore 1,000 items.
 * Browser-safe: node:crypto comes from @tessera/iso (fetched at run time, never imported), and
 * elsewhere `platformXChaCha` is @noble/ciphers.
 */
import { hchacha } from '@noble/ciphers/chacha.js';
import { nodeCrypto, type NodeCrypto } from '@tessera/iso';
import { nobleXChaCha, type XChaChaAead } from './file-format.js';

/** The part of node:crypto used here. */
export type NodeChaCha = Pick<NodeCrypto, 'createCipheriv' | 'createDecipheriv'>;

const TAG = 16;

/** XChaCha20-Poly1305 on `crypto` (node:crypto). */
export function xchachaOnNode(crypto: NodeChaCha): XChaChaAead {
  return {
    encrypt(key, nonce, aad, plaintext) {
      const cipher = chachaContext(crypto, 'createCipheriv', key, nonce);
      cipher.setAAD(aad, { plaintextLength: plaintext.length });
      return join([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    decrypt(key, nonce, aad, sealed) {
      if (sealed.length < TAG) throw new Error('ciphertext shorter than its tag');
      const decipher = chachaContext(crypto, 'createDecipheriv', key, nonce);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      decipher.setAAD(aad, { plaintextLength: sealed.length - TAG });
      const body = decipher.update(sealed.subarray(0, sealed.length - TAG));
      // final() checks the tag (it throws on a mismatch). A stream cipher leaves nothing for it to
      // return, so the plaintext is `update`'s output, viewed rather than copied (a restore opens
      // 1,000 items); node:crypto gives each output a memory of its own, never a shared pool.
      const rest = decipher.final();
      return rest.length === 0
        ? new Uint8Array(body.buffer, body.byteOffset, body.length)
        : join([body, rest]);
    },
  };
}

/** The fastest XChaCha20-Poly1305 here: OpenSSL's on Node, @noble/ciphers elsewhere (same bytes). */
export const platformXChaCha: XChaChaAead = nodeCrypto ? xchachaOnNode(nodeCrypto) : nobleXChaCha;

/** "expand 32-byte k" (RFC 8439 §2.3), as the little-endian words HChaCha20 takes. */
const SIGMA = words(new TextEncoder().encode('expand 32-byte k'));

// Scratch words for HChaCha20's key, nonce and output, and the inner nonce, reused by every call
// rather than allocated per call (a restore opens 1,000 items: these were ~1.6 MB of its garbage).
// `chachaContext` fills them right before createCipheriv / createDecipheriv, which copy key and IV
// into OpenSSL's context, and clears them right after; the calls are synchronous.
const keyWords = new Uint32Array(8);
const keyBytes = new Uint8Array(keyWords.buffer);
const nonceWords = new Uint32Array(4);
const nonceBytes = new Uint8Array(nonceWords.buffer);
const subkeyWords = new Uint32Array(8);
const subkeyBytes = new Uint8Array(subkeyWords.buffer);
const innerNonceBytes = new Uint8Array(12);
const AEAD_OPTIONS = { authTagLength: TAG } as const;

/** HChaCha20(key, nonce[0..16]) into `subkeyBytes`, `0x00000000 || nonce[16..24]` into `innerNonceBytes`. */
function deriveSubkey(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32 || nonce.length !== 24)
    throw new Error('XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce');
  // Copied into the aligned scratch words (noble byte-swaps them on big-endian hosts) by indexed
  // loops rather than through subarray views, so no object is made per call.
  for (let i = 0; i < 32; i++) keyBytes[i] = key[i]!;
  for (let i = 0; i < 16; i++) nonceBytes[i] = nonce[i]!;
  hchacha(SIGMA, keyWords, nonceWords, subkeyWords);
  for (let i = 0; i < 8; i++) innerNonceBytes[4 + i] = nonce[16 + i]!;
}

/** `crypto[make]` for ChaCha20-Poly1305 under XChaCha20's subkey and inner nonce of `key` and `nonce`. */
function chachaContext<M extends 'createCipheriv' | 'createDecipheriv'>(
  crypto: NodeChaCha,
  make: M,
  key: Uint8Array,
  nonce: Uint8Array,
): ReturnType<NodeChaCha[M]> {
  try {
    deriveSubkey(key, nonce);
    return crypto[make]('chacha20-poly1305', subkeyBytes, innerNonceBytes, AEAD_OPTIONS) as ReturnType<
      NodeChaCha[M]
    >;
  } finally {
    keyWords.fill(0);
    nonceWords.fill(0);
    subkeyWords.fill(0);
    innerNonceBytes.fill(0);
  }
}

/** An aligned copy of `bytes` viewed as 32-bit words (noble byte-swaps on big-endian hosts). */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(new Uint8Array(bytes).buffer);
}

/** The parts one after another, in a Uint8Array of its own. */
function join(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
