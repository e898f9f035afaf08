/**
 * A new device joins (docs/PROTOCOL.md §1.3 and §5 "Join by approval"): it signs in with the password,
 * which registers it as pending with its public keys and nonce; it draws a fresh code that never
 * leaves it and posts its CPace share. The user types the code on a trusted device; `completeJoin`
 * then checks the trusted device's confirmation tag, answers with its own, opens the sealed delivery
 * (vault key and true circle head) and adopts the circle only if it ends at or extends that head.
 */
import { ESCROW_RECIPIENT, JOIN_REQUEST_TTL_MS, RECOVERY_RECIPIENT } from '@tessera/protocol';
import { finishCpace, startCpace } from '../pake/index.js';
import { b64u, constantTimeEqual, fromB64u, fromUtf8, randomBytes } from './bytes.js';
import { applyLinks, type CircleLink, type CircleState } from './circle.js';
import {
  AD_NEW,
  AD_TRUSTED,
  awaitSlots,
  burnAttempt,
  DEFAULT_RELAY_WAIT_MS,
  cpaceInputs,
  newCode,
  readSlots,
  sealKeyOf,
  writeSlot,
  type JoinSubject,
  type RelayWait,
  type SealedDelivery,
} from './approval-channel.js';
import { CODE_MISMATCH_MESSAGE, KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import * as opaque from './opaque.js';
import { startPrefetch } from './prefetch.js';
import { holdWraps } from './sign-in-fold.js';
import { open } from './primitives.js';
import { newState } from './state.js';
import { checkPassword } from './signup.js';

export interface LoginOptions {
  server: string;
  email: string;
  password: string;
  deviceName: string;
}

export interface LoginResult {
  accountId: string;
  deviceId: string;
  /** `1234-5678`, fresh and random; the user types it on a trusted device. Never sent anywhere. */
  verificationCode: string;
  status: 'pending' | 'trusted';
}

/** Signs in as a new pending device (a join request), starts the approval run; returns its code. */
export async function login(keychain: Keychain, options: LoginOptions): Promise<LoginResult> {
  const session = await signIn(keychain, options, { approval: true });
  const code = keychain.requireState().join!.code;
  return { ...session, verificationCode: code, status: 'pending' };
}

/**
 * Signs in as a new pending device that joins by itself next (`recoverWithRecoveryKey`,
 * `recoverWithPin`, `recoverWithPasskey`): `login` without the approval run, so no code, no CPace
 * share and no relay slot, which that path never reads (issue 14). The sign-in, the device's
 * registration and the circle check are the same. Its state is not written here: the join that
 * follows writes it with the circle and the vault key, one write instead of two (`keepSignIn` writes
 * it when that join fails, so it can be tried again without signing in again).
 */
export async function signInToRecover(
  keychain: Keychain,
  options: LoginOptions & {
    /**
     * The join that follows, when known: its wraps (`recovery` or `escrow`) come with the sign-in's
     * answer from a server that folds them (counted against the recovery-wrap limits as the fetch
     * they replace; sign-in-fold.ts). Without it, the join fetches them as before.
     */
    joinBy?: 'recovery-key' | 'pin';
  },
): Promise<{ accountId: string; deviceId: string }> {
  const wraps =
    options.joinBy === 'recovery-key'
      ? RECOVERY_RECIPIENT
      : options.joinBy === 'pin'
        ? ESCROW_RECIPIENT
        : undefined;
  return signIn(keychain, options, { approval: false, wraps });
}

/**
 * The sign-in both share: OPAQUE, the device's registration, the state saved, the circle verified;
 * with `approval`, the approval run started too (its code, its CPace share posted to the relay).
 */
async function signIn(
  keychain: Keychain,
  options: LoginOptions,
  { approval, wraps }: { approval: boolean; wraps?: typeof RECOVERY_RECIPIENT | typeof ESCROW_RECIPIENT },
): Promise<{ accountId: string; deviceId: string }> {
  const existing = keychain.state;
  // A pending device may sign in afresh (its run failed or expired); that request is left to expire.
  if (existing && existing.status === 'trusted') {
    throw new KeychainError(
      'already-trusted',
      `This device is already signed in to ${existing.email} on ${existing.server} (${existing.status}).`,
    );
  }
  checkPassword(options.password);
  const client = keychain.client(options.server);
  // The server's OPAQUE key (from meta) is first needed by finishLogin, so meta and the sign-in's
  // first message go out at once: one round trip, not two (issue 14).
  const start = await opaque.startLogin(options.password);
  const [meta, { loginId, loginResponse }] = await Promise.all([
    keychain.serverMeta(client),
    client.call('loginStart', {
      body: { email: options.email, startLoginRequest: start.startLoginRequest },
    }),
  ]);
  const finished = await opaque.finishLogin({
    secret: options.password,
    state: start.clientLoginState,
    loginResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  if (!finished) throw new KeychainError('wrong-password', 'Wrong email or password for this keychain.');
  const keys = await keychain.newDeviceKeys();
  const nonce = b64u(randomBytes(16));
  const device = { name: options.deviceName, encPub: b64u(keys.encPub), signPub: b64u(keys.signPub), nonce };
  // A server that folds (§5 "Sign-in answers folded") answers with what this device asks next: the
  // circle and, for a join by recovery key or PIN, its wraps. Each is checked exactly as the separate
  // answer; one left out is asked for apart, as from an older server, which is never sent `include`
  // (its schema refuses unknown fields). The first page of items stays its own request (below): in
  // this answer it would delay the circle by its 1.5 MB (bench/FINDINGS.md).
  const include = meta.signInFold ? { circle: true as const, wraps } : undefined;
  const session = await client.call('loginFinish', {
    body: { loginId, finishLoginRequest: finished.finishLoginRequest, device, include },
  });
  const state = newState({
    server: client.server,
    email: options.email,
    accountId: session.accountId,
    deviceId: session.deviceId,
    deviceName: options.deviceName,
    session: session.session,
    nonce,
  });
  let share: string | null = null;
  if (approval) {
    const code = newCode();
    const subject = {
      accountId: session.accountId,
      deviceId: session.deviceId,
      nonce,
      encPub: device.encPub,
      signPub: device.signPub,
    };
    const run = startCpace({ ...cpaceInputs({ code, subject }), random: randomBytes });
    share = b64u(run.share);
    state.join = { code, y: b64u(run.y), share, startedAt: keychain.now() };
  }
  // The circle is fetched and the share posted at once, then the state is written once, with the
  // verified circle that `status` shows (issue 14: one vault write, not one beside the fetch and one
  // after it). A device stopped before that write signs in again, as after any failed run; its posted
  // share is then never answered. One that joins by itself next leaves the write to that join (see
  // `signInToRecover`).
  keychain.setStateUnsaved(state);
  // The items are read while the device joins, and used by its first round once it is trusted.
  startPrefetch(keychain);
  if (wraps && session.wraps) holdWraps(keychain, session.session, wraps, session.wraps.wraps);
  const [res] = await Promise.all([
    session.circle ?? keychain.client().call('circle', { query: {} }),
    share === null ? null : writeSlot(keychain, session.deviceId, 'a', share),
  ]);
  // Shown for orientation only: the circle is adopted once a trusted device has sent its head (or
  // the device joined by itself, which checks its key against this verified view first).
  state.circle = applyLinks(null, res.links as CircleLink[], res.head);
  keychain.noteCircleVerified();
  if (approval) await keychain.save();
  return { accountId: session.accountId, deviceId: session.deviceId };
}

/** The code this pending device shows (null once its attempt is over). */
export async function ownVerificationCode(keychain: Keychain): Promise<string | null> {
  return keychain.requireState().join?.code ?? null;
}

/**
 * The code of this pending device's approval run while the server still relays it (the join request
 * lives JOIN_REQUEST_TTL_MS); null when the run failed or expired and a new sign-in is needed.
 */
export function liveJoinCode(keychain: Keychain): string | null {
  const state = keychain.state;
  const join = state?.status === 'pending' ? state.join : undefined;
  if (!join || join.startedAt === undefined) return null;
  return keychain.now() - join.startedAt < JOIN_REQUEST_TTL_MS ? join.code : null;
}

async function ownSubject(keychain: Keychain): Promise<JoinSubject> {
  const state = keychain.requireState();
  const self = await keychain.selfDevice();
  return {
    accountId: state.accountId,
    deviceId: state.deviceId,
    nonce: state.nonce,
    encPub: self.encPub,
    signPub: self.signPub,
  };
}

async function fail(keychain: Keychain, burn: boolean): Promise<never> {
  const state = keychain.requireState();
  if (burn) await burnAttempt(keychain, state.deviceId);
  delete state.join;
  state.lastError = CODE_MISMATCH_MESSAGE;
  await keychain.save();
  throw new KeychainError('code-mismatch', CODE_MISMATCH_MESSAGE);
}

/**
 * Advances the approval run: answers the trusted device's confirmation, and once the sealed delivery
 * is there, verifies the circle against its head and becomes trusted. Returns true once trusted.
 * Throws `code-mismatch` when the code did not match (the attempt is spent on both sides).
 * With `wait`, each look at the relay waits for news (`awaitSlots`: held by the server, or paused
 * for), and the look for the delivery follows the confirmation in the same call.
 */
export async function completeJoin(keychain: Keychain, wait?: Omit<RelayWait, 'seen'>): Promise<boolean> {
  const state = keychain.requireState();
  if (state.status === 'trusted') return true;
  if (state.status === 'removed') keychain.requireTrusted();
  startPrefetch(keychain);
  const join = state.join;
  if (!join) {
    throw new KeychainError(
      'code-mismatch',
      'This device has no approval in progress; run `tessera keychain login` again for a new code.',
    );
  }
  // Seen so far: a (posted at sign-in), then b and confirm-a too once the seal key is saved.
  let slots = wait
    ? await awaitSlots(keychain, state.deviceId, { ...wait, seen: join.sealKey ? 3 : 1 })
    : await readSlots(keychain, state.deviceId);
  if (slots.fail !== undefined) return fail(keychain, false);
  const subject = await ownSubject(keychain);
  if (!join.sealKey) {
    if (slots.b === undefined) return false;
    const message = fromB64u(slots.b, 'join message b');
    if (message.length !== 32 + 64) return fail(keychain, true);
    const yb = message.subarray(0, 32);
    const ya = fromB64u(join.share);
    const keys = finishCpace({
      y: fromB64u(join.y),
      peerShare: yb,
      sid: fromB64u(subject.nonce),
      ya,
      ada: AD_NEW,
      yb,
      adb: AD_TRUSTED,
    });
    // One guess per attempt: a wrong tag (wrong code, or a share that is not the trusted device's)
    // ends it, so a server impersonating the trusted device learns one bit for one guess.
    if (!keys || !constantTimeEqual(keys.tagB, message.subarray(32))) return fail(keychain, true);
    join.sealKey = b64u(sealKeyOf({ isk: keys.isk, subject }).key);
    // The confirmation goes out while the seal key is saved, not after it (the trusted device waits for
    // it; issue 14). A device stopped in between runs CPace again from its saved share on its next
    // round and finds its confirmation already posted (each slot is written once): it saves the key.
    const confirm =
      slots['confirm-a'] === undefined
        ? writeSlot(keychain, state.deviceId, 'confirm-a', b64u(keys.tagA))
        : Promise.resolve();
    const saved = keychain.save();
    if (!wait) {
      await Promise.all([saved, confirm]);
      return false;
    }
    // The look for the delivery goes out once the confirmation is posted, while the seal key is still
    // being saved (a whole-vault write): the save is off the relay's path, but the delivery is opened
    // only after it, so the saved states keep their order (seal key, then trusted).
    [, slots] = await Promise.all([
      saved,
      confirm.then(() => awaitSlots(keychain, state.deviceId, { ...wait, seen: 3 })),
    ]);
    if (slots.fail !== undefined) return fail(keychain, false);
  }
  if (slots.sealed === undefined) return false;
  const { aad } = sealKeyOf({ isk: new Uint8Array(64), subject });
  const plain = open(fromB64u(join.sealKey), fromB64u(slots.sealed, 'sealed delivery'), aad);
  if (!plain) {
    throw new KeychainError(
      'circle-invalid',
      'The approval delivery did not open with the key agreed with the trusted device; it was refused.',
    );
  }
  const delivery = JSON.parse(fromUtf8(plain)) as SealedDelivery;
  const circle = await circleThrough(keychain, delivery.head);
  const member = circle.devices[state.deviceId];
  if (member?.status !== 'trusted') {
    throw new KeychainError(
      'circle-invalid',
      'The approving device sent its circle head, but that circle does not include this device; it was refused.',
    );
  }
  state.circle = circle;
  const vk = fromB64u(delivery.vk, 'vault key');
  keychain.checkVaultKeyMatchesCircle(vk, delivery.epoch);
  state.vaultKeys[String(delivery.epoch)] = b64u(vk);
  if (!state.vaultKeys[String(circle.epoch)]) {
    const { wraps } = await keychain.client().call('keys', { query: { recipient: state.deviceId } });
    await keychain.acceptOwnWraps(wraps);
    if (!state.vaultKeys[String(circle.epoch)]) return false;
  }
  delete state.join;
  state.status = 'trusted';
  state.lastError = null;
  await keychain.adoptCircle(circle);
  return true;
}

/**
 * Verifies the whole circle afresh and requires that it passes through `head`, the head the trusted
 * device sent inside the channel: a server showing an older or forked circle is refused (§1.3).
 */
async function circleThrough(keychain: Keychain, head: { seq: number; hash: string }): Promise<CircleState> {
  const res = await keychain.client().call('circle', { query: {} });
  const links = res.links as CircleLink[];
  const upTo = links.filter((l) => l.seq <= head.seq);
  const atHead = upTo.length > 0 ? applyLinks(null, upTo) : null;
  if (!atHead || atHead.head.seq !== head.seq || atHead.head.hash !== head.hash) {
    throw new KeychainError(
      'circle-rollback',
      `The server shows a circle that does not contain the head the approving device sent (link ${head.seq}); it may be an older or forked circle, and it was refused.`,
    );
  }
  return applyLinks(
    atHead,
    links.filter((l) => l.seq > head.seq),
    res.head,
  );
}

/**
 * Waits until this device is approved, or the run fails: each look at the relay is held by the server
 * up to `waitMs` (long polling), or, on a server without it (or with `waitMs` 0), made every `pollMs`.
 */
export async function awaitApproval(
  keychain: Keychain,
  options: { pollMs?: number; waitMs?: number } = {},
): Promise<void> {
  const wait = { pollMs: options.pollMs ?? 300, waitMs: options.waitMs ?? DEFAULT_RELAY_WAIT_MS };
  while (!(await completeJoin(keychain, wait)));
}
