/**
 * Unpadded base64url (RFC 4648 §5) on the platform's native codec. A restore decodes a ciphertext of
 * about a kilobyte per entry, and @scure/base's table-driven JavaScript decoder was a tenth of a
 * 1,000-entry restore. The input is checked first exactly as strictly as @scure/base's
 * `base64urlnopad` checks it (alphabet, no padding, no stray length, zero unused bits), so the native
 * decoder, which would skip bad characters or ignore stray bits, only ever sees canonical text.
 * @scure/base stays the fallback where no native codec exists.
 */
import { base64urlnopad } from '@scure/base';

const ALPHABET = /^[A-Za-z0-9_-]*$/;
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The codecs a platform may offer; each exists only where the platform has it. */
interface NativeCodec {
  decode(text: string): Uint8Array;
  encode(bytes: Uint8Array): string;
}

type FromBase64 = (text: string, options: { alphabet: 'base64url' }) => Uint8Array;
type ToBase64 = (this: Uint8Array, options: { alphabet: 'base64url'; omitPadding: true }) => string;
interface NodeBuffer {
  from(
    buffer: ArrayBufferLike,
    offset: number,
    length: number,
  ): {
    toString(encoding: 'base64url'): string;
    write(text: string, offset: number, length: number, encoding: 'base64url'): number;
  };
}

/** ES2026 `Uint8Array.fromBase64` / `toBase64` (recent browsers and Node). */
function es2026Codec(): NativeCodec | null {
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  const toBase64 = (Uint8Array.prototype as unknown as { toBase64?: ToBase64 }).toBase64;
  if (typeof fromBase64 !== 'function' || typeof toBase64 !== 'function') return null;
  return {
    decode: (text) => fromBase64(text, { alphabet: 'base64url' }),
    encode: (bytes) => toBase64.call(bytes, { alphabet: 'base64url', omitPadding: true }),
  };
}

/** Node's Buffer (present in Node, absent from browser bundles). */
function bufferCodec(): NativeCodec | null {
  const buffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  if (!buffer) return null;
  return {
    // Decoded straight into a Uint8Array of its own (a small Buffer would be a view of a shared pool).
    decode: (text) => {
      const out = new Uint8Array(Math.floor((text.length * 3) / 4));
      buffer.from(out.buffer, 0, out.length).write(text, 0, out.length, 'base64url');
      return out;
    },
    encode: (bytes) => buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'),
  };
}

/** `atob` (every browser and Node) for decoding; @scure/base encodes. */
function atobCodec(): NativeCodec | null {
  if (typeof globalThis.atob !== 'function') return null;
  return {
    decode: (text) => {
      const binary = globalThis.atob(text.replace(/-/g, '+').replace(/_/g, '/'));
      const out = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
      return out;
    },
    encode: (bytes) => base64urlnopad.encode(bytes),
  };
}

/** Every codec this platform offers, best first (tests compare each with @scure/base). */
export function availableCodecs(): { name: string; codec: NativeCodec }[] {
  const found: { name: string; codec: NativeCodec | null }[] = [
    { name: 'Uint8Array.fromBase64', codec: es2026Codec() },
    { name: 'Buffer', codec: bufferCodec() },
    { name: 'atob', codec: atobCodec() },
  ];
  return found.filter((c): c is { name: string; codec: NativeCodec } => c.codec !== null);
}

const scure: NativeCodec = {
  decode: (t) => base64urlnopad.decode(t),
  encode: (b) => base64urlnopad.encode(b),
};
const codec: NativeCodec = availableCodecs()[0]?.codec ?? scure;

/**
 * True when `text` is canonical unpadded base64url: only the 64 letters, a length that is not 1 more
 * than a multiple of 4, and zero bits in what the last letter holds beyond the last byte.
 */
export function isCanonicalBase64url(text: string): boolean {
  if (!ALPHABET.test(text)) return false;
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = DIGITS.indexOf(text[text.length - 1]!);
  // 2 letters carry 1 byte (4 spare bits), 3 letters carry 2 bytes (2 spare bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes unpadded base64url; throws a TypeError on anything @scure/base's strict decoder refuses. */
export function decodeBase64url(text: string, codecToUse: NativeCodec = codec): Uint8Array {
  if (typeof text !== 'string' || !isCanonicalBase64url(text)) throw new TypeError('not unpadded base64url');
  return codecToUse.decode(text);
}

/** Node's `Buffer.from`, where there is one (never in a browser bundle). */
const nodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64url'): Uint8Array } })
  .Buffer;

/**
 * `decodeBase64url` (the same strict check) for bytes that are read once and dropped, such as an
 * item's ciphertext: on Node the result may be a view of the small-buffer pool that Node shares among
 * short-lived buffers, which saves an allocation per item in a restore of 1,000. Never keep it, hand it
 * on or read its `.buffer`; `decodeBase64url` gives memory of its own.
 */
export function decodeBase64urlTransient(text: string): Uint8Array {
  if (typeof text !== 'string' || !isCanonicalBase64url(text)) throw new TypeError('not unpadded base64url');
  if (!nodeBuffer) return codec.decode(text);
  const bytes = nodeBuffer.from(text, 'base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array, codecToUse: NativeCodec = codec): string {
  return codecToUse.encode(bytes);
}
