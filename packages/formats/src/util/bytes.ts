/** Small byte helpers over standard APIs (atob/btoa exist in Node 20 and browsers). */

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard Base64 (RFC 4648 §4). Accepts missing padding, surrounding whitespace and the
 * URL-safe alphabet (§5); returns null for anything else.
 */
export function base64Decode(text: string): Uint8Array | null {
  let t = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!B64_RE.test(t)) return null;
  t = t.replace(/=+$/, '');
  if (t.length % 4 === 1) return null;
  t += '='.repeat((4 - (t.length % 4)) % 4);
  try {
    const bin = atob(t);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Standard Base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

/** Lower- or upper-case hex; null when malformed. */
export function hexDecode(text: string): Uint8Array | null {
  const t = text.trim();
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) return null;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function hexEncode(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Cryptographically random bytes from WebCrypto (Node 20 and browsers). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}
