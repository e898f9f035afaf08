/**
 * A pending device gets the vault key by itself (docs/PROTOCOL.md §5 "Join by PIN" and "Join by
 * recovery key"): it opens the wrap addressed to `recovery` or `escrow`, checks that the key pair
 * is the one the circle names and that the vault key derives the circle key, then adds itself.
 */
import { ESCROW_RECIPIENT, LABELS, RECOVERY_RECIPIENT } from '@tessera/protocol';
import { b64u, fromB64u, utf8 } from './bytes.js';
import { buildLink, type CircleState } from './circle.js';
import { ESCROW_DESTROYED_MESSAGE, KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import {
  circleKey,
  escrowKeyPair,
  escrowSigningKey,
  realmEscrowKeys,
  recoveryKeyPair,
  recoverySigningKey,
  type X25519Holder,
} from './keys.js';
import * as opaque from './opaque.js';
import { checkPin, reachableSetup, setPin } from './pin.js';
import { recoverRealmPin, RealmError } from '../realms/index.js';
import { postLink, withCircleRetry } from './post-link.js';
import { startPrefetch } from './prefetch.js';
import { hkdf, open } from './primitives.js';
import { takeWraps } from './sign-in-fold.js';
import { parseRecoveryKey } from './recovery-key.js';
import { unwrapVaultKey } from './wrap.js';

/** Joins with the recovery key (text as written down; checked before any network call). */
export async function recoverWithRecoveryKey(keychain: Keychain, recoveryKeyText: string): Promise<void> {
  const rk = parseRecoveryKey(recoveryKeyText);
  requirePending(keychain);
  await keepSignIn(keychain, async () => {
    const holder = recoveryKeyPair(rk);
    const key = { encPub: b64u(holder.encPub), signPub: b64u(recoverySigningKey(rk).publicKey) };
    await checkedCircle(keychain, (circle) => checkRecoveryKeyIsCurrent(circle, key));
    await joinWith(keychain, { recipientId: RECOVERY_RECIPIENT, holder, via: 'recovery' });
  });
}

/**
 * Runs a join after `signInToRecover`, which left its state to the join's write: when the join fails
 * (a wrong PIN, a replaced recovery key, the network), the pending state is written then, so the user
 * can try again without signing in again, as when the sign-in wrote it. A write that fails here does
 * not hide the join's error. (A saved state makes this a no-op.)
 */
export async function keepSignIn(keychain: Keychain, join: () => Promise<void>): Promise<void> {
  // The items are read beside the join (a no-op when the sign-in already began it; prefetch.ts).
  startPrefetch(keychain);
  try {
    await join();
  } catch (err) {
    await keychain.save().catch(() => {});
    throw err;
  }
}

/** How old a circle view verified by the sign-in may be for a join to start from it. */
const RECENT_CIRCLE_MS = 10_000;

/**
 * The circle a joining key is checked against: the view the sign-in verified moments ago (the
 * signature chain and the server's head, as a refresh would), else a fresh one; a check that fails on
 * the recent view is made again on a fresh one (the key may have been replaced in between). A view
 * that moved before the add-device link is posted is refused by the server's compare-and-swap, and
 * `withCircleRetry` refreshes then. Saves the request and vault write of a second fetch (issue 14).
 */
async function checkedCircle(keychain: Keychain, check: (circle: CircleState) => void): Promise<void> {
  const recent = keychain.recentCircle(RECENT_CIRCLE_MS);
  if (recent) {
    try {
      check(recent);
      return;
    } catch {
      // Decided on a fresh view below.
    }
  }
  check(await keychain.refreshCircle());
}

/**
 * The recovery public key is public: only the latest recovery anchor of the circle, signed with the
 * key derived from rk, proves that this recovery key is the keychain's current one, so that the VK
 * wrapped to it is the real, current one (§7). A server showing a view from before a removal names
 * an older recovery key there; a key that a later link replaced is told so, with the date.
 */
function checkRecoveryKeyIsCurrent(circle: CircleState, key: { encPub: string; signPub: string }): void {
  const retired = circle.retiredRecovery?.find((r) => r.signPub === key.signPub);
  if (retired) {
    throw new KeychainError(
      'recovery-key-replaced',
      `This recovery key was replaced on ${retired.replacedAt.slice(0, 10)} (circle link ${retired.replacedSeq}); use the newer recovery key. Nothing was changed.`,
    );
  }
  if (key.encPub !== circle.recoveryPub) {
    throw new KeychainError(
      'recovery-key-invalid',
      'This recovery key is not the current recovery key of the keychain the server shows: it belongs to another account, or the server shows an old view from before this key was made; nothing was changed.',
    );
  }
  if (circle.recoverySignPub !== key.signPub) {
    throw new KeychainError(
      'circle-invalid',
      'The server presented a keychain that this recovery key did not create (its recovery key is not signed by this recovery key); nothing was changed.',
    );
  }
}

/** What joining by PIN did besides joining. */
export interface PinJoin {
  /** A PIN of the legacy single escrow was set again at the server's realms (§11 migration). */
  movedToRealms: boolean;
}

/**
 * Joins with the keychain PIN: through the realms the circle pins (each counts the guess; 10 wrong
 * and they delete the PIN), or the legacy escrow for a PIN set before realms, which is then set
 * again at the server's realms with the same PIN.
 */
export async function recoverWithPin(keychain: Keychain, pin: string): Promise<PinJoin> {
  requirePending(keychain);
  let realms = false;
  await keepSignIn(keychain, async () => {
    const circle = await keychain.refreshCircle();
    realms = Boolean(circle.escrowRealms);
    if (realms) await recoverWithRealms(keychain, circle, pin);
    else await recoverWithLegacyEscrow(keychain, pin);
  });
  return { movedToRealms: realms ? false : await moveToRealms(keychain, pin) };
}

async function recoverWithRealms(keychain: Keychain, circle: CircleState, pin: string): Promise<void> {
  checkPin(pin);
  const setup = reachableSetup(circle.escrowRealms!, keychain.requireState().server);
  let secret: Uint8Array;
  try {
    ({ secret } = await recoverRealmPin({ setup, pin, transport: keychain.realmTransport() }));
  } catch (err) {
    await reportToAccount(keychain, err);
    throw realmFailure(err);
  }
  const { holder, anchor } = realmEscrowKeys(secret);
  secret.fill(0);
  // The realms' answers are signed by the pinned keys; the secret they release must also derive
  // the escrow key this circle names and the key that signed its naming.
  if (circle.escrowPub !== b64u(holder.encPub)) throw pinChanged();
  if (circle.escrowSignPub !== b64u(anchor.publicKey)) throw notThisPinsKeychain();
  await joinWith(keychain, { recipientId: ESCROW_RECIPIENT, holder, via: 'pin' });
}

/**
 * Tells the account's devices of a wrong PIN (and, at the tenth, that the PIN is gone), as the
 * legacy escrow did; best effort, never masks the error.
 */
async function reportToAccount(keychain: Keychain, err: unknown): Promise<void> {
  if (!(err instanceof RealmError) || err.code !== 'wrong-pin') return;
  const body = { outcome: 'wrong', attemptsLeft: err.guessesLeft ?? 0 } as const;
  await keychain
    .client()
    .call('realmPinReport', { body })
    .catch(() => {});
}

/** §7: a removal or a new PIN replaces the escrow, so a view from before it names a stale one. */
const pinChanged = () =>
  new KeychainError(
    'circle-invalid',
    'The escrow key does not match the one the circle names: the PIN was changed after the view of the keychain this server shows (a rollback), or on another device just now; nothing was changed.',
  );

/** The set-escrow link of the view must be signed by the key this PIN's secret derives (§2). */
const notThisPinsKeychain = () =>
  new KeychainError(
    'circle-invalid',
    'The server presented a keychain whose PIN setting this escrow key did not sign (a keychain this PIN did not protect); nothing was changed.',
  );

function realmFailure(err: unknown): Error {
  if (!(err instanceof RealmError)) return err as Error;
  switch (err.code) {
    case 'wrong-pin': {
      const left = err.guessesLeft ?? 0;
      return new KeychainError(
        'wrong-pin',
        left > 0
          ? `Wrong keychain PIN; ${left} attempt${left === 1 ? '' : 's'} left before the PIN is locked for good.`
          : 'Wrong keychain PIN; that was the last attempt, the PIN is now locked for good. Use the recovery key or approval.',
        { attemptsLeft: left, realms: err.realms },
      );
    }
    case 'destroyed':
      return new KeychainError('escrow-destroyed', ESCROW_DESTROYED_MESSAGE, { realms: err.realms });
    case 'replaced':
      return pinChanged();
    case 'invalid':
      return new KeychainError('circle-invalid', `The circle pins an unusable realm setup: ${err.message}.`);
    default:
      return new KeychainError('escrow-unavailable', `The PIN could not be checked: ${err.message}.`, {
        realms: err.realms,
      });
  }
}

/** §11 migration: a PIN that opened the legacy escrow is set again at the realms (best effort). */
async function moveToRealms(keychain: Keychain, pin: string): Promise<boolean> {
  try {
    const meta = await keychain.serverMeta();
    if (!meta.escrowRealms) return false;
    await setPin(keychain, pin);
    return true;
  } catch {
    // The PIN still works through the legacy escrow; the next PIN use or set tries again.
    return false;
  }
}

async function recoverWithLegacyEscrow(keychain: Keychain, pin: string): Promise<void> {
  const state = keychain.requireState();
  const client = keychain.client();
  const status = await client.call('escrowStatus');
  if (status.destroyed) {
    throw new KeychainError('escrow-destroyed', ESCROW_DESTROYED_MESSAGE);
  }
  if (!status.enabled)
    throw new KeychainError(
      'escrow-missing',
      'No keychain PIN is set for this account; use the recovery key or approval from a trusted device.',
    );
  const meta = await keychain.serverMeta();
  const start = await opaque.startLogin(pin);
  const attempt = await client.call('escrowLoginStart', {
    body: { startLoginRequest: start.startLoginRequest },
  });
  const finished = await opaque.finishLogin({
    secret: pin,
    state: start.clientLoginState,
    loginResponse: attempt.loginResponse,
    expectedServerKey: meta.escrowOpaquePublicKey,
  });
  if (!finished) {
    throw new KeychainError(
      'wrong-pin',
      attempt.attemptsLeft > 0
        ? `Wrong keychain PIN; ${attempt.attemptsLeft} attempt${attempt.attemptsLeft === 1 ? '' : 's'} left before the PIN is locked for good.`
        : 'Wrong keychain PIN; that was the last attempt, the PIN is now locked for good. Use the recovery key or approval.',
      { attemptsLeft: attempt.attemptsLeft },
    );
  }
  const { sealedEscrowKey } = await client.call('escrowLoginFinish', {
    body: { attemptId: attempt.attemptId, finishLoginRequest: finished.finishLoginRequest },
  });
  const releaseKey = hkdf({ ikm: finished.sessionKey, info: LABELS.escrowRelease });
  const ek = open(
    releaseKey,
    fromB64u(sealedEscrowKey, 'sealedEscrowKey'),
    utf8(`${LABELS.escrowRelease}|${state.accountId}`),
  );
  if (!ek || ek.length !== 32)
    throw new KeychainError(
      'circle-invalid',
      'The escrow released a key that does not open; nothing was changed.',
    );
  const holder = escrowKeyPair(ek, finished.exportKey);
  const circle = await keychain.refreshCircle();
  if (!circle.escrowPub || b64u(holder.encPub) !== circle.escrowPub) {
    // The escrow record was replaced, so a view from before names a key it no longer releases.
    throw pinChanged();
  }
  // escrowPub is public too: the set-escrow link naming it must be signed with the key only EK and
  // the PIN's export key derive (applyLinks verified that signature and the chain from the genesis).
  if (circle.escrowSignPub !== b64u(escrowSigningKey(ek, finished.exportKey).publicKey)) {
    throw notThisPinsKeychain();
  }
  await joinWith(keychain, { recipientId: ESCROW_RECIPIENT, holder, via: 'pin' });
}

export function requirePending(keychain: Keychain): void {
  const state = keychain.requireState();
  if (state.status === 'trusted')
    throw new KeychainError('already-trusted', 'This device is already trusted; nothing to recover.');
  if (state.status === 'removed') keychain.requireTrusted();
}

/**
 * Opens the current epoch's wrap to `recipientId` with `holder`, checks that the vault key derives
 * the circle key, and adds this device to the circle itself. Callers first check that `holder` is
 * the key the verified circle anchors for that path.
 */
export async function joinWith(
  keychain: Keychain,
  options: { recipientId: string; holder: X25519Holder; via: 'recovery' | 'pin' | 'passkey' },
): Promise<void> {
  const state = keychain.requireState();
  // The wraps the sign-in's answer carried (sign-in-fold.ts), else asked for now; checked the same.
  const wraps =
    takeWraps(keychain, options.recipientId) ??
    (await keychain.client().call('keys', { query: { recipient: options.recipientId } })).wraps;
  await withCircleRetry(keychain, async () => {
    const circle = state.circle!;
    const wrap = wraps.find((w) => w.epoch === circle.epoch);
    if (!wrap)
      throw new KeychainError(
        'circle-invalid',
        `The server holds no ${options.recipientId} wrap of the current key epoch ${circle.epoch}.`,
      );
    const vk = await unwrapVaultKey({
      accountId: state.accountId,
      recipientId: options.recipientId,
      epoch: wrap.epoch,
      wrapped: wrap.wrapped,
      recipient: options.holder,
    });
    keychain.checkVaultKeyMatchesCircle(vk, wrap.epoch);
    const self = await keychain.selfDevice();
    const link = buildLink(circle, {
      op: 'add-device',
      by: self.id,
      device: self,
      via: options.via,
      signer: circleKey(vk),
    });
    // Only this device's own wrap: every other recipient already holds the epoch's key.
    const own = [keychain.wrapForDevice(self, vk, circle.epoch)];
    const next = await postLink(keychain, link, own);
    state.vaultKeys[String(circle.epoch)] = b64u(vk);
    state.status = 'trusted';
    await keychain.adoptCircle(next);
  });
}
