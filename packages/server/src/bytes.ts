/** Small byte helpers over audited primitives (@noble/hashes, node:crypto randomness). */
import { randomBytes } from 'node:crypto';
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

export function sha256Hex(text: string): string {
  return Buffer.from(sha256(new TextEncoder().encode(text))).toString('hex');
}

export function sha256B64u(text: string): string {
  return b64u(sha256(new TextEncoder().encode(text)));
}
