import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { Algorithm } from './types.js';

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;

// The RFC 4226 §5.2 moving factor, written in place: generation is synchronous, so one buffer serves.
const message = new Uint8Array(8);
const messageView = new DataView(message.buffer);
const outputs = { SHA1: new Uint8Array(20), SHA256: new Uint8Array(32), SHA512: new Uint8Array(64) };

/**
 * HMAC(key, counter as 8 big-endian bytes) reduced by RFC 4226 §5.3 dynamic truncation to a
 * 31-bit integer. Only noble's audited HMAC runs here; this file only lays out the bytes.
 */
export function truncatedHmac(algorithm: Algorithm, key: Uint8Array, counter: number | bigint): number {
  if (typeof counter === 'bigint') {
    messageView.setBigUint64(0, counter);
  } else {
    // A safe integer splits exactly into two 32-bit halves.
    messageView.setUint32(0, Math.floor(counter / 0x100000000));
    messageView.setUint32(4, counter >>> 0);
  }
  const mac = outputs[algorithm];
  hmac.create(HASHES[algorithm], key).update(message).digestInto(mac);
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  return (
    (((mac[offset] as number) & 0x7f) << 24) |
    ((mac[offset + 1] as number) << 16) |
    ((mac[offset + 2] as number) << 8) |
    (mac[offset + 3] as number)
  );
}
