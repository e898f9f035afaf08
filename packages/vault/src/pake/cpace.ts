/**
 * CPace (draft-irtf-cfrg-cpace) with the cipher suite CPACE-RISTR255-SHA512, in the
 * initiator-responder setting, plus the explicit key confirmation of the draft's §"Key confirmation".
 * Composed from @noble: ristretto255 and its RFC 9496 §4.3.4 element derivation, SHA-512 and HMAC.
 * Nothing here is a new primitive; this module only follows the draft's string encodings.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';

const Point = ristretto255.Point;
type RistrettoPoint = ReturnType<typeof Point.fromBytes>;
const encoder = new TextEncoder();

/** G_Ristretto255.DSI (draft §"CPace group objects G_Ristretto255 ..."). */
export const DSI = encoder.encode('CPaceRistretto255');
/** Input block size of SHA-512 (H.s_in_bytes). */
const S_IN_BYTES = 128;
/** G_Ristretto255.group_size_bits. */
const GROUP_SIZE_BITS = 252;

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** prepend_len: the LEB128 length of `data`, then `data` (draft appendix "prepend_len function"). */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = data.length;
  do {
    length.push(n < 128 ? n : (n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  } while (n > 0);
  return cat(Uint8Array.from(length), data);
}

/** lv_cat(a0, a1, ...) = prepend_len(a0) || prepend_len(a1) || ... */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return cat(...parts.map(prependLen));
}

/** True when `a` is lexicographically larger than `b` (draft appendix "lexiographical ordering"). */
export function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
  const min = Math.min(a.length, b.length);
  for (let i = 0; i < min; i++) {
    if (a[i]! > b[i]!) return true;
    if (a[i]! < b[i]!) return false;
  }
  return a.length > b.length;
}

/** o_cat: b"oc" then the larger string first (the draft's unordered, "symmetric" concatenation). */
export function oCat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return lexicographicallyLarger(a, b) ? cat(encoder.encode('oc'), a, b) : cat(encoder.encode('oc'), b, a);
}

/** transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb); Tessera's roles are fixed. */
export function transcriptIr(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return cat(lvCat(ya, ada), lvCat(yb, adb));
}

/** transcript_oc, for the symmetric setting (Tessera does not use it; the vectors check it). */
export function transcriptOc(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return oCat(lvCat(ya, ada), lvCat(yb, adb));
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): zero padding fills the first hash block after PRS. */
export function generatorString(options: { prs: Uint8Array; ci: Uint8Array; sid: Uint8Array }): Uint8Array {
  const zpad = Math.max(0, S_IN_BYTES - 1 - prependLen(options.prs).length - prependLen(DSI).length);
  return lvCat(DSI, options.prs, new Uint8Array(zpad), options.ci, options.sid);
}

/** G.calculate_generator: element_derivation(SHA-512(generator_string)) (RFC 9496 §4.3.4). */
function generatorPoint(options: { prs: Uint8Array; ci: Uint8Array; sid: Uint8Array }): RistrettoPoint {
  return ristretto255_hasher.deriveToCurve!(sha512(generatorString(options)));
}

/** The encoded generator (for the draft's vectors; the protocol keeps it internal). */
export function calculateGenerator(options: {
  prs: Uint8Array;
  ci: Uint8Array;
  sid: Uint8Array;
}): Uint8Array {
  return generatorPoint(options).toBytes();
}

/** Reads a little-endian scalar. */
function scalarFromLe(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/**
 * G.sample_scalar as the draft recommends: 32 random bytes with the bits above group_size_bits
 * cleared, read little-endian (so below the group order). Zero, at probability 2^-252, is redrawn.
 */
export function sampleScalar(random: (n: number) => Uint8Array): Uint8Array {
  for (;;) {
    const bytes = random(32);
    bytes[31]! &= (1 << (GROUP_SIZE_BITS - 248)) - 1;
    if (scalarFromLe(bytes) !== 0n) return bytes;
  }
}

/** G.scalar_mult(y, g): encode(y * g). */
export function scalarMult(y: Uint8Array, g: Uint8Array): Uint8Array {
  return Point.fromBytes(g).multiply(scalarFromLe(y)).toBytes();
}

/** G.I, the encoding of the identity. */
export const IDENTITY = new Uint8Array(32);

/** G.scalar_mult_vfy(y, X): G.I when X does not decode, else encode(y * decode(X)). */
export function scalarMultVfy(y: Uint8Array, x: Uint8Array): Uint8Array {
  let point;
  try {
    point = Point.fromBytes(x);
  } catch {
    return IDENTITY;
  }
  if (point.is0()) return IDENTITY;
  return point.multiply(scalarFromLe(y)).toBytes();
}

/** ISK = SHA-512(lv_cat(DSI || b"_ISK", sid, K) || transcript). */
export function deriveIsk(options: { sid: Uint8Array; k: Uint8Array; transcript: Uint8Array }): Uint8Array {
  return sha512(cat(lvCat(cat(DSI, encoder.encode('_ISK')), options.sid, options.k), options.transcript));
}

/** One side's state after it has sent its share. `y` is the secret scalar; never reuse it. */
export interface CpaceShare {
  y: Uint8Array;
  /** The public share Y = y * g, 32 bytes. */
  share: Uint8Array;
}

/** Starts one side: samples the scalar and computes the public share from PRS, CI and sid. */
export function startCpace(options: {
  prs: Uint8Array;
  ci: Uint8Array;
  sid: Uint8Array;
  random: (n: number) => Uint8Array;
}): CpaceShare {
  const g = generatorPoint(options);
  const y = sampleScalar(options.random);
  return { y, share: g.multiply(scalarFromLe(y)).toBytes() };
}

/** The outcome of a finished run: ISK and the two confirmation tags (draft §"Key confirmation"). */
export interface CpaceKeys {
  isk: Uint8Array;
  /** Tag the initiator sends: HMAC-SHA512(mac_key, lv_cat(Ya, ADa)). */
  tagA: Uint8Array;
  /** Tag the responder sends: HMAC-SHA512(mac_key, lv_cat(Yb, ADb)). */
  tagB: Uint8Array;
}

/**
 * Finishes a run from one side's scalar and both messages. Returns null (abort) when the peer's share
 * does not decode or K is the identity, as the draft requires.
 */
export function finishCpace(options: {
  y: Uint8Array;
  peerShare: Uint8Array;
  sid: Uint8Array;
  ya: Uint8Array;
  ada: Uint8Array;
  yb: Uint8Array;
  adb: Uint8Array;
}): CpaceKeys | null {
  const k = scalarMultVfy(options.y, options.peerShare);
  if (k.every((b) => b === 0)) return null;
  const isk = deriveIsk({
    sid: options.sid,
    k,
    transcript: transcriptIr(options.ya, options.ada, options.yb, options.adb),
  });
  const macKey = sha512(cat(encoder.encode('CPaceMac'), options.sid, isk));
  return {
    isk,
    tagA: hmac(sha512, macKey, lvCat(options.ya, options.ada)),
    tagB: hmac(sha512, macKey, lvCat(options.yb, options.adb)),
  };
}
