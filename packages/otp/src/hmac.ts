import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { nodeCrypto } from '@tessera/iso';
import type { Algorithm } from './types.js';
import { secretBytes } from './validate.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- noble's own type for a keyed HMAC
type KeyedHmac = _HMAC<any>;
type KeyStates = Partial<Record<Algorithm, KeyedHmac>>;

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;

/** node:crypto's names of the algorithms (node:crypto itself comes from @tessera/iso: Node only). */
const NODE_NAMES = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' } as const;

// The RFC 4226 §5.2 moving factor and the MAC, written in place: generation is synchronous, so one
// buffer of each serves every call.
const message = new Uint8Array(8);
const messageView = new DataView(message.buffer);
const outputs = { SHA1: new Uint8Array(20), SHA256: new Uint8Array(32), SHA512: new Uint8Array(64) };
const scratch: KeyStates = {};

/**
 * Keyed HMAC states by Base32 secret text. RFC 2104 §2 hashes `K xor ipad` and `K xor opad` before
 * the message; those two blocks depend on the key alone, so a code for a secret seen before costs
 * two hash compressions instead of four. Bounded; `forgetKeys()` empties it (e.g. when a vault locks).
 */
const keyCache = new Map<string, KeyStates>();
// Sized above a large personal vault (bench:otp measures 1,000 secrets): a smaller bound thrashes
// when a list of every entry refreshes, since an LRU walked in order evicts each key before reuse.
const KEY_CACHE_SIZE = 2048;

function keyStates(secret: string): KeyStates {
  let states = keyCache.get(secret);
  if (states === undefined) {
    if (keyCache.size >= KEY_CACHE_SIZE) {
      const [oldest, oldStates] = keyCache.entries().next().value as [string, KeyStates];
      keyCache.delete(oldest);
      for (const state of Object.values(oldStates)) state.destroy();
    }
    states = {};
    keyCache.set(secret, states);
  }
  return states;
}

/** Drops every cached key state, wiping noble's buffers. Codes stay correct; the next ones recompute. */
export function forgetKeys(): void {
  for (const states of keyCache.values()) for (const state of Object.values(states)) state.destroy();
  keyCache.clear();
}

/**
 * HMAC(secret, counter as 8 big-endian bytes) reduced by RFC 4226 §5.3 dynamic truncation to a 31-bit
 * integer. noble (or, for a secret's first code on Node, node:crypto) computes the HMAC; this file
 * only lays out the bytes and reuses keyed states.
 * @param secret Base32 text (its keyed state is cached under the text) or key bytes.
 */
export function truncatedHmac(algorithm: Algorithm, secret: unknown, counter: number | bigint): number {
  if (typeof counter === 'bigint') {
    messageView.setBigUint64(0, counter);
  } else {
    // A safe integer splits exactly into two 32-bit halves.
    messageView.setUint32(0, Math.floor(counter / 0x100000000));
    messageView.setUint32(4, counter >>> 0);
  }
  const mac = outputs[algorithm];
  if (typeof secret === 'string') {
    const states = keyCache.get(secret);
    let template = states?.[algorithm];
    if (template === undefined) {
      const key = secretBytes(secret); // validates the text before anything is cached under it
      if (states === undefined && nodeCrypto) {
        // First sight of this secret on Node: one native HMAC. A cold process computing each of
        // 1,000 codes once (`tessera list`) spends most of its time in noble's not-yet-optimised
        // JavaScript otherwise. The text is remembered, so a second code builds the cached state.
        keyStates(secret);
        // Copied into the usual buffer: `truncate` then only ever sees one array type (a Buffer
        // there too makes its loads polymorphic and slows every cached code after).
        mac.set(nodeCrypto.createHmac(NODE_NAMES[algorithm], key).update(message).digest());
        key.fill(0);
        return truncate(mac);
      }
      template = keyStates(secret)[algorithm] = hmac.create(HASHES[algorithm], key);
      key.fill(0);
    }
    const keyed = (scratch[algorithm] = template._cloneInto(scratch[algorithm]));
    keyed.update(message).digestInto(mac);
  } else {
    hmac.create(HASHES[algorithm], secretBytes(secret)).update(message).digestInto(mac);
  }
  return truncate(mac);
}

/** RFC 4226 §5.3 dynamic truncation of a MAC to a 31-bit integer. */
function truncate(mac: Uint8Array): number {
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  return (
    (((mac[offset] as number) & 0x7f) << 24) |
    ((mac[offset + 1] as number) << 16) |
    ((mac[offset + 2] as number) << 8) |
    (mac[offset + 3] as number)
  );
}
