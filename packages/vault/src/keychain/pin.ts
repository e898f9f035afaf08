/**
 * Setting the keychain PIN (docs/PROTOCOL.md §1 "escrow key pair", §11): register the PIN at the
 * escrow realms the server names (t of n must later help to check a guess), derive the escrow key
 * pair from the unlock secret they hold, and publish its public key, with the realm set pinned, in a
 * signed `set-escrow` link with a wrap of the vault key. A server without realms (older versions)
 * gets the single OPAQUE escrow of §4.
 */
import { ESCROW_RECIPIENT, type MetaResponse } from '@tessera/protocol';
import {
  deleteRealmPin,
  fetchRealmPin,
  RealmError,
  registerRealmPin,
  type RealmOutcome,
  type RealmPin,
  type RealmSetup,
} from '../realms/index.js';
import { pinProblem } from '../pin-rule.js';
import { b64u, fromB64u, randomBytes } from './bytes.js';
import { buildLink, type CircleState } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import {
  circleKey,
  escrowKeyPair,
  escrowSigningKey,
  realmDeleteKey,
  realmEscrowKeys,
  type CircleKey,
} from './keys.js';
import * as opaque from './opaque.js';
import { postLink, withCircleRetry } from './post-link.js';
import { wrapVaultKey } from './wrap.js';

export { PIN_MAX_LENGTH, PIN_MIN_LENGTH } from '../pin-rule.js';

/** Refuses a PIN that is too short to survive 10 guesses, or absurdly long. */
export function checkPin(pin: string): void {
  const problem = pinProblem(pin);
  if (problem) throw new KeychainError('wrong-pin', problem);
}

/** An escrow key registered with the escrow, ready to be named in a link (§1 "escrow key pair"). */
export interface RegisteredEscrow {
  escrowPub: Uint8Array;
  /** Signs the link naming `escrowPub` (§2): only who holds the unlock secret can. */
  anchor: CircleKey;
  /** The realm set to pin with it (§11); absent for the legacy escrow. */
  realms?: RealmSetup;
}

/** A realm URL as announced: absolute, or a path on the keychain server (its embedded realm). */
export function realmUrl(url: string, server: string): string {
  return url.startsWith('/') ? `${server.replace(/\/+$/, '')}${url}` : url;
}

/** The setup with each pinned URL made absolute for this device's server address. */
export function reachableSetup(setup: RealmSetup, server: string): RealmSetup {
  return { ...setup, realms: setup.realms.map((r) => ({ ...r, url: realmUrl(r.url, server) })) };
}

/** Each realm's key, read from the realm itself (what the circle will pin). */
async function announcedRealms(
  keychain: Keychain,
  announced: NonNullable<MetaResponse['escrowRealms']>,
): Promise<RealmPin[]> {
  const server = keychain.requireState().server;
  try {
    return await Promise.all(
      announced.urls.map((url) => fetchRealmPin(realmUrl(url, server), keychain.realmTransport())),
    );
  } catch (err) {
    throw new KeychainError(
      'escrow-unavailable',
      `The PIN was not set: ${(err as Error).message}. Every realm must answer to set a PIN; try again later.`,
    );
  }
}

/**
 * Registers `pin` under a fresh escrow key: at the server's realms (t of n), or at the legacy escrow
 * of an older server (which replaces its earlier record there).
 */
export async function registerEscrow(keychain: Keychain, pin: string): Promise<RegisteredEscrow> {
  checkPin(pin);
  keychain.requireTrusted();
  const meta = await keychain.serverMeta();
  if (!meta.escrowRealms) return registerLegacyEscrow(keychain, pin, meta.escrowOpaquePublicKey);
  const announced = meta.escrowRealms.urls;
  const realms = await announcedRealms(keychain, meta.escrowRealms);
  const { vk } = keychain.currentVaultKey();
  try {
    const registered = await registerRealmPin({
      realms,
      threshold: meta.escrowRealms.threshold,
      pin,
      deleteKey: realmDeleteKey(vk),
      transport: keychain.realmTransport(),
    });
    const { holder, anchor } = realmEscrowKeys(registered.secret);
    registered.secret.fill(0);
    // Pinned as announced: the embedded realm stays "/realm" of whichever address reaches this server.
    const setup: RealmSetup = {
      ...registered.setup,
      realms: registered.setup.realms.map((r, i) => ({ ...r, url: announced[i]! })),
    };
    return { escrowPub: holder.encPub, anchor, realms: setup };
  } catch (err) {
    if (err instanceof RealmError)
      throw new KeychainError('escrow-unavailable', `The PIN was not set: ${err.message}.`, {
        realms: err.realms,
      });
    throw err;
  }
}

async function registerLegacyEscrow(
  keychain: Keychain,
  pin: string,
  expectedServerKey: string,
): Promise<RegisteredEscrow> {
  const client = keychain.client();
  const reg = await opaque.startRegistration(pin);
  const { registrationResponse } = await client.call('escrowRegisterStart', {
    body: { registrationRequest: reg.registrationRequest },
  });
  const finished = await opaque.finishRegistration({
    secret: pin,
    state: reg.clientRegistrationState,
    registrationResponse,
    expectedServerKey,
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

/**
 * Deletes the realm records of the PIN `before` named, once a link replaced or removed it, so the old
 * PIN opens nothing even where a hostile server kept the old wrap. Needs the vault key of the epoch
 * the PIN was set in; returns the realms that could not be reached (their records stay until asked
 * again, and still count guesses).
 */
export async function forgetRealmPin(keychain: Keychain, before: CircleState): Promise<RealmOutcome[]> {
  const setup = before.escrowRealms;
  if (!setup || before.escrowRealmsEpoch === undefined) return [];
  const vk = keychain.requireState().vaultKeys[String(before.escrowRealmsEpoch)];
  if (!vk) return [];
  const outcomes = await deleteRealmPin({
    setup: reachableSetup(setup, keychain.requireState().server),
    deleteKey: realmDeleteKey(fromB64u(vk, 'vault key')),
    transport: keychain.realmTransport(),
  });
  return outcomes.filter((o) => o.kind !== 'ok');
}

/** Sets or replaces the PIN; the old PIN's records are deleted where they are held. */
export async function setPin(keychain: Keychain, pin: string): Promise<void> {
  const state = keychain.requireTrusted();
  const escrow = await registerEscrow(keychain, pin);
  const before = await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const { epoch, vk } = keychain.currentVaultKey();
    const link = buildLink(circle, {
      op: 'set-escrow',
      by: state.deviceId,
      escrowPub: b64u(escrow.escrowPub),
      signer: circleKey(vk),
      anchor: escrow.anchor,
      ...(escrow.realms ? { escrowRealms: escrow.realms } : {}),
    });
    const wrap = wrapVaultKey({
      accountId: state.accountId,
      recipientId: ESCROW_RECIPIENT,
      epoch,
      vk,
      recipientPub: escrow.escrowPub,
    });
    await keychain.adoptCircle(
      await postLink(keychain, link, [{ recipientId: ESCROW_RECIPIENT, epoch, wrapped: wrap }]),
    );
    return circle;
  });
  await forgetRealmPin(keychain, before);
}
