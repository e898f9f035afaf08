/**
 * A new device joins (docs/PROTOCOL.md §5 "Join by approval"): it signs in with the password, which
 * registers it as pending with its public keys, and shows its verification code; once a trusted
 * device has wrapped the vault key to it, `completeJoin` verifies and adopts it.
 */
import { b64u, randomBytes } from './bytes.js';
import { applyLinks, type CircleLink } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import * as opaque from './opaque.js';
import { newState } from './state.js';
import { verificationCode } from './verification-code.js';
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
  /** `1234-5678`; the user types it on a trusted device (`approve --code`). */
  verificationCode: string;
  status: 'pending' | 'trusted';
}

/** Signs in as a new pending device (a join request); returns its verification code. */
export async function login(keychain: Keychain, options: LoginOptions): Promise<LoginResult> {
  const existing = keychain.state;
  if (existing && existing.status !== 'removed') {
    throw new KeychainError(
      'already-trusted',
      `This device is already signed in to ${existing.email} on ${existing.server} (${existing.status}).`,
    );
  }
  checkPassword(options.password);
  const client = keychain.client(options.server);
  const meta = await keychain.serverMeta(client);
  const start = await opaque.startLogin(options.password);
  const { loginId, loginResponse } = await client.call('loginStart', {
    body: { email: options.email, startLoginRequest: start.startLoginRequest },
  });
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
  const session = await client.call('loginFinish', {
    body: { loginId, finishLoginRequest: finished.finishLoginRequest, device },
  });
  await keychain.setState(
    newState({
      server: client.server,
      email: options.email,
      accountId: session.accountId,
      deviceId: session.deviceId,
      deviceName: options.deviceName,
      session: session.session,
      nonce,
    }),
  );
  const state = keychain.requireState();
  // Trust on first use until a vault key arrives: the key then pins the circle (checkVaultKeyMatchesCircle).
  const res = await keychain.client().call('circle', { query: {} });
  state.circle = applyLinks(null, res.links as CircleLink[], res.head);
  await keychain.save();
  return {
    accountId: session.accountId,
    deviceId: session.deviceId,
    verificationCode: await ownVerificationCode(keychain),
    status: 'pending',
  };
}

/** The code this pending device shows, from its keys, nonce and the circle head it has verified. */
export async function ownVerificationCode(keychain: Keychain): Promise<string> {
  const state = keychain.requireState();
  const self = await keychain.selfDevice();
  return verificationCode({
    accountId: state.accountId,
    deviceId: state.deviceId,
    encPub: self.encPub,
    signPub: self.signPub,
    nonce: state.nonce,
    circleHead: state.circle?.head.hash ?? null,
  });
}

/**
 * Checks whether a trusted device has approved this one; when it has, verifies the circle, unwraps
 * the vault key and marks the device trusted. Returns true once trusted.
 */
export async function completeJoin(keychain: Keychain): Promise<boolean> {
  const state = keychain.requireState();
  if (state.status === 'trusted') return true;
  if (state.status === 'removed') keychain.requireTrusted();
  const { wraps } = await keychain.client().call('keys', { query: { recipient: state.deviceId } });
  if (wraps.length === 0) return false;
  const circle = await keychain.refreshCircle();
  const member = circle.devices[state.deviceId];
  if (member?.status !== 'trusted') {
    throw new KeychainError(
      'circle-invalid',
      'A vault key was wrapped to this device, but the circle does not include it; it was refused.',
    );
  }
  await keychain.acceptOwnWraps(wraps);
  if (!state.vaultKeys[String(circle.epoch)]) return false;
  state.status = 'trusted';
  await keychain.save();
  return true;
}
