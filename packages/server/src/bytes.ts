/** Small byte helpers over audited primitives (@noble/hashes, node:crypto hashing and randomness). */
import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';

export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes unpadded base64url; throws on characters outside the alphabet or a bad length. */
export function fromB64u(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('not unpadded base64url');
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

export function randomB64u(bytes: number): string {
  return b64u(randomBytes(bytes));
}

/** node:crypto's native SHA-256: every authenticated request hashes its token (the JS one was 3% of a pull). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function sha256B64u(text: string): string {
  return b64u(sha256(new TextEncoder().encode(text)));
}
