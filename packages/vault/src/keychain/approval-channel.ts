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
  held?: { seen: number; waitMs: number },
): Promise<Partial<Record<Slot, string>>> {
  const query = held ? { deviceId, seen: held.seen, wait: held.waitMs } : { deviceId };
  const { messages } = await keychain
    .client()
    .call('joinMessages', { query }, held ? { heldMs: held.waitMs } : {});
  const out: Partial<Record<Slot, string>> = {};
  for (const m of messages) out[m.slot] = m.body;
  return out;
}

/** How long each look at the relay may be held by the server (long polling), unless the caller says. */
export const DEFAULT_RELAY_WAIT_MS = 20_000;

/** Keychains whose server refused a long poll (one from before it, which knows no `wait`). */
const shortPollOnly = new WeakSet<Keychain>();

export interface RelayWait {
  /** How many slots the caller has seen: news is any other count. */
  seen: number;
  /** How long the server may hold a look for news (ms); 0 for short polling only. */
  waitMs: number;
  /** The pause after a look with nothing new, so that no server makes this a busy loop. */
  pollMs: number;
}

/**
 * The slots once there are not `wait.seen` of them, or, when there is no news, after the pause: the
 * caller checks its deadline and looks again. With long polling the server holds each look until
 * there is news; one that comes back without any is followed by a second look at once (the device's
 * status changed, or the wait ended), and only a second without news by the pause. A server that
 * answers at once with nothing new therefore costs two looks per pause, and one that never answers
 * ends in the client's timeout (the wait plus the usual one). A server that refuses `wait` (older
 * than long polling) is looked at without it from then on, every `pollMs`.
 */
export async function awaitSlots(
  keychain: Keychain,
  deviceId: string,
  wait: RelayWait,
): Promise<Partial<Record<Slot, string>>> {
  let slots: Partial<Record<Slot, string>> = {};
  for (let look = 0; look < 2; look++) {
    const longPoll = wait.waitMs > 0 && !shortPollOnly.has(keychain);
    slots = longPoll
      ? await readSlots(keychain, deviceId, { seen: wait.seen, waitMs: wait.waitMs }).catch(
          (err: unknown) => {
            if (!(err instanceof KeychainError) || err.details.status !== 400) throw err;
            shortPollOnly.add(keychain);
            return readSlots(keychain, deviceId);
          },
        )
      : await readSlots(keychain, deviceId);
    if (Object.keys(slots).length !== wait.seen) return slots;
    if (!longPoll || shortPollOnly.has(keychain)) break;
  }
  await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
  return slots;
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
