/**
 * What the two sides of an approval share (docs/PROTOCOL.md §1.3): the fresh code, the CPace inputs
 * that bind the run to the account and to the pending device's id, nonce and public keys, the keys
 * derived from ISK, and the relay through the server's `/v1/join` slots.
 */
import { lvCat } from '../pake/index.js';
import { fromB64u, randomBytes, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { hkdf } from './primitives.js';

/** Digits of the code: 10^-8 per online guess, and one guess per join attempt. */
export const CODE_DIGITS = 8;
/** AD of the new device (initiator A) and of the trusted device (responder B). */
export const AD_NEW = utf8('tessera/v2/approval/new-device');
export const AD_TRUSTED = utf8('tessera/v2/approval/trusted-device');

/** A fresh uniformly random code, `1234-5678` (rejection sampling, no modulo bias). */
export function newCode(): string {
  const limit = Math.floor(2 ** 32 / 10 ** CODE_DIGITS) * 10 ** CODE_DIGITS;
  for (;;) {
    const b = randomBytes(4);
    const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (n >= limit) continue;
    const digits = String(n % 10 ** CODE_DIGITS).padStart(CODE_DIGITS, '0');
    return `${digits.slice(0, 4)}-${digits.slice(4)}`;
  }
}

/** Normalizes a typed code (hyphens and spaces ignored); throws when it is not 8 digits. */
export function normalizeCode(typed: string): string {
  const digits = typed.replace(/[\s-]/g, '');
  if (!/^\d{8}$/.test(digits)) {
    throw new KeychainError('code-not-found', 'An approval code has 8 digits, like 1234-5678.');
  }
  return digits;
}

/** The pending device as both sides name it; any field the server changes makes the run fail. */
export interface JoinSubject {
  accountId: string;
  deviceId: string;
  /** b64u 16-byte nonce registered with the device: CPace's sid. */
  nonce: string;
  encPub: string;
  signPub: string;
}

/** PRS, CI and sid of the run (draft-irtf-cfrg-cpace §"CPace inputs"). */
export function cpaceInputs(options: { code: string; subject: JoinSubject }) {
  const { subject } = options;
  return {
    prs: utf8(normalizeCode(options.code)),
    ci: lvCat(
      utf8('tessera/v2/approval'),
      utf8(subject.accountId),
      utf8(subject.deviceId),
      fromB64u(subject.encPub, 'encPub'),
      fromB64u(subject.signPub, 'signPub'),
    ),
    sid: fromB64u(subject.nonce, 'nonce'),
  };
}

/** The AEAD key of the sealed delivery and its associated data, from ISK (RFC 5869). */
export function sealKeyOf(options: { isk: Uint8Array; subject: JoinSubject }): {
  key: Uint8Array;
  aad: Uint8Array;
} {
  const { ci, sid } = cpaceInputs({ code: '00000000', subject: options.subject });
  return {
    key: hkdf({ ikm: options.isk, salt: sid, info: 'tessera/v2/approval/seal' }),
    aad: lvCat(utf8('tessera/v2/approval/sealed'), sid, ci),
  };
}

/** What the trusted device delivers inside the channel. */
export interface SealedDelivery {
  v: 2;
  /** The current epoch and its vault key (b64u). */
  epoch: number;
  vk: string;
  /** The circle head after the trusted device's add-device link: the true head. */
  head: { seq: number; hash: string };
  by: string;
}

export type Slot = 'a' | 'b' | 'confirm-a' | 'sealed' | 'fail';

/** The slots written so far of this device's join attempt. */
export async function readSlots(
  keychain: Keychain,
  deviceId: string,
): Promise<Partial<Record<Slot, string>>> {
  const { messages } = await keychain.client().call('joinMessages', { query: { deviceId } });
  const out: Partial<Record<Slot, string>> = {};
  for (const m of messages) out[m.slot] = m.body;
  return out;
}

/** Writes one slot. */
export async function writeSlot(
  keychain: Keychain,
  deviceId: string,
  slot: Slot,
  body: string,
): Promise<void> {
  await keychain.client().call('joinMessagePost', { body: { deviceId, slot, body } });
}

/** Marks the attempt failed on the server; ignores a failure to do so (the local side fails anyway). */
export async function burnAttempt(keychain: Keychain, deviceId: string): Promise<void> {
  await writeSlot(keychain, deviceId, 'fail', 'bWlzbWF0Y2g').catch(() => undefined);
}
