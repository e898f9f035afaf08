/**
 * The approval verification code (docs/PROTOCOL.md §1.3): 8 digits derived with Argon2id from both
 * the pending device's public keys and the circle head, so a server that swaps in its own key pair
 * must grind slow hashes to match the code on the user's screen (see docs/SECURITY.md).
 */
import { argon2id } from 'hash-wasm';
import { canon, LABELS } from '@tessera/protocol';
import { constantTimeEqual, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';

/** What both screens hash; every field is public. */
export interface VerificationInput {
  accountId: string;
  deviceId: string;
  /** b64u X25519 public key of the pending device. */
  encPub: string;
  /** b64u Ed25519 public key of the pending device. */
  signPub: string;
  /** b64u 16-byte nonce the pending device registered with. */
  nonce: string;
  /** Hash of the circle head both devices see (null before genesis). */
  circleHead: string | null;
}

/** Argon2id cost of the code: t=2, m=16 MiB, p=1 (fixed by the protocol, never taken from the server). */
const ARGON2 = { iterations: 2, memorySize: 16 * 1024, parallelism: 1, hashLength: 32 } as const;
const DIGITS = 8;

/** Computes the code, formatted `1234-5678`. */
export async function verificationCode(input: VerificationInput): Promise<string> {
  const material = canon({
    v: 1,
    account: input.accountId,
    device: input.deviceId,
    encPub: input.encPub,
    signPub: input.signPub,
    nonce: input.nonce,
    circleHead: input.circleHead,
  });
  const digest = await argon2id({
    password: utf8(material),
    salt: utf8(LABELS.sas),
    ...ARGON2,
    outputType: 'binary',
  });
  let value = 0n;
  for (const byte of digest) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** BigInt(DIGITS)).toString().padStart(DIGITS, '0');
  return `${digits.slice(0, 4)}-${digits.slice(4)}`;
}

/** Normalizes a typed code (hyphens and spaces ignored); throws when it is not 8 digits. */
export function normalizeCode(typed: string): string {
  const digits = typed.replace(/[\s-]/g, '');
  if (!/^\d{8}$/.test(digits)) {
    throw new KeychainError('code-not-found', 'A verification code has 8 digits, like 1234-5678.');
  }
  return digits;
}

/** Constant-time comparison of two codes in any accepted spelling. */
export function codesMatch(a: string, b: string): boolean {
  return constantTimeEqual(utf8(normalizeCode(a)), utf8(normalizeCode(b)));
}
