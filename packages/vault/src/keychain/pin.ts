/**
 * Setting the keychain PIN (docs/PROTOCOL.md §1 "escrow key pair", §4 escrow routes): register the
 * PIN with the escrow by OPAQUE, hand it a random EK, and publish the escrow public key in a signed
 * `set-escrow` link with a wrap of the vault key.
 */
import { ESCROW_RECIPIENT } from '@tessera/protocol';
import { b64u, randomBytes } from './bytes.js';
import { buildLink } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey, escrowKeyPair, escrowSigningKey, type CircleKey } from './keys.js';
import * as opaque from './opaque.js';
import { postLink, withCircleRetry } from './post-link.js';
import { wrapVaultKey } from './wrap.js';

export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 64;

/** Refuses a PIN that is too short to survive 10 guesses, or absurdly long. */
export function checkPin(pin: string): void {
  if (pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH) {
    throw new KeychainError(
      'wrong-pin',
      `The keychain PIN must have ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} characters.`,
    );
  }
}

/** An escrow key registered with the escrow, ready to be named in a link (§1 "escrow key pair"). */
export interface RegisteredEscrow {
  escrowPub: Uint8Array;
  /** Signs the link naming `escrowPub` (§2): only who holds EK and the PIN's export key can. */
  anchor: CircleKey;
}

/**
 * Registers `pin` with the escrow under a fresh EK. This replaces any earlier record at the escrow
 * (the old EK is destroyed there), so a circle naming the old escrow key can no longer be unlocked.
 */
export async function registerEscrow(keychain: Keychain, pin: string): Promise<RegisteredEscrow> {
  checkPin(pin);
  keychain.requireTrusted();
  const client = keychain.client();
  const meta = await keychain.serverMeta();
  const reg = await opaque.startRegistration(pin);
  const { registrationResponse } = await client.call('escrowRegisterStart', {
    body: { registrationRequest: reg.registrationRequest },
  });
  const finished = await opaque.finishRegistration({
    secret: pin,
    state: reg.clientRegistrationState,
    registrationResponse,
    expectedServerKey: meta.escrowOpaquePublicKey,
  });
  if (!finished.serverKeyMatches)
    throw new KeychainError(
      'http',
      'The escrow answered with a key other than the one the server announced; the PIN was not set.',
    );
  const ek = randomBytes(32);
  await client.call('escrowRegisterFinish', {
    body: { registrationRecord: finished.registrationRecord, escrowKey: b64u(ek) },
  });
  return {
    escrowPub: escrowKeyPair(ek, finished.exportKey).encPub,
    anchor: escrowSigningKey(ek, finished.exportKey),
  };
}

/** Sets or replaces the PIN (the old escrow record is destroyed by the escrow). */
export async function setPin(keychain: Keychain, pin: string): Promise<void> {
  const state = keychain.requireTrusted();
  const { escrowPub, anchor } = await registerEscrow(keychain, pin);
  await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const { epoch, vk } = keychain.currentVaultKey();
    const link = buildLink(circle, {
      op: 'set-escrow',
      by: state.deviceId,
      escrowPub: b64u(escrowPub),
      signer: circleKey(vk),
      anchor,
    });
    const wrap = wrapVaultKey({
      accountId: state.accountId,
      recipientId: ESCROW_RECIPIENT,
      epoch,
      vk,
      recipientPub: escrowPub,
    });
    await keychain.adoptCircle(
      await postLink(keychain, link, [{ recipientId: ESCROW_RECIPIENT, epoch, wrapped: wrap }]),
    );
  });
}
