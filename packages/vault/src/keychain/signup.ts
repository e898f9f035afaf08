/** Sign-up of the first device (docs/PROTOCOL.md §5 "Sign-up"). */
import { RECOVERY_RECIPIENT } from '@tessera/protocol';
import { b64u, randomBytes } from './bytes.js';
import { buildLink } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey, newVaultKey, recoveryKeyPair, recoverySigningKey } from './keys.js';
import * as opaque from './opaque.js';
import { postLink } from './post-link.js';
import { formatRecoveryKey, newRecoveryKey, parseRecoveryKey } from './recovery-key.js';
import { newState } from './state.js';
import { wrapVaultKey } from './wrap.js';

export interface SignupOptions {
  server: string;
  email: string;
  password: string;
  deviceName: string;
  /**
   * Receives the formatted recovery key before anything is sent, so it is saved (or the user has
   * typed it back) before anything depends on it. Throwing aborts the sign-up with nothing created.
   */
  keepRecoveryKey: (recoveryKey: string) => Promise<void>;
  /**
   * A recovery key made for this sign-up earlier and never used (a sign-up resumed after the page
   * closed): the account gets this one rather than a new one, so the key written down stays good.
   */
  recoveryKey?: string;
}

export interface SignupResult {
  accountId: string;
  deviceId: string;
}

/**
 * Creates the account, this device, the vault key (epoch 1), the recovery key and the circle. The
 * caller then sets a PIN (optional) and runs a sync round to back up every entry.
 */
export async function signup(keychain: Keychain, options: SignupOptions): Promise<SignupResult> {
  if (keychain.state && keychain.state.status !== 'removed') {
    throw new KeychainError(
      'already-trusted',
      `This device is already signed in to ${keychain.state.email} on ${keychain.state.server}.`,
    );
  }
  checkPassword(options.password);
  const rk = options.recoveryKey !== undefined ? parseRecoveryKey(options.recoveryKey) : newRecoveryKey();
  await options.keepRecoveryKey(formatRecoveryKey(rk));
  const client = keychain.client(options.server);
  const meta = await keychain.serverMeta(client);
  const keys = await keychain.newDeviceKeys();
  const nonce = b64u(randomBytes(16));
  const reg = await opaque.startRegistration(options.password);
  const { registrationResponse } = await client.call('registerStart', {
    body: { email: options.email, registrationRequest: reg.registrationRequest },
  });
  const finished = await opaque.finishRegistration({
    secret: options.password,
    state: reg.clientRegistrationState,
    registrationResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  if (!finished.serverKeyMatches) {
    throw new KeychainError(
      'http',
      'The server signed the registration with a key other than the one it announced; sign-up stopped.',
    );
  }
  const device = { name: options.deviceName, encPub: b64u(keys.encPub), signPub: b64u(keys.signPub), nonce };
  const account = await client.call('registerFinish', {
    body: { email: options.email, registrationRecord: finished.registrationRecord, device },
  });
  await keychain.setState(
    newState({
      server: client.server,
      email: options.email,
      accountId: account.accountId,
      deviceId: account.deviceId,
      deviceName: options.deviceName,
      session: account.session,
      nonce,
    }),
  );

  const vk = newVaultKey();
  const key = circleKey(vk);
  const recoveryPub = recoveryKeyPair(rk).encPub;
  const self = await keychain.selfDevice();
  const genesis = buildLink(null, {
    op: 'genesis',
    by: self.id,
    device: self,
    via: 'genesis',
    recoveryPub: b64u(recoveryPub),
    signer: key,
    // Anchors the circle to the recovery key: only its holder can make this signature (§2).
    anchor: recoverySigningKey(rk),
    nextCirclePub: key.publicKey,
  });
  const ctx = { accountId: account.accountId, epoch: 1, vk };
  const circle = await postLink(keychain, genesis, [
    {
      recipientId: self.id,
      epoch: 1,
      wrapped: wrapVaultKey({ ...ctx, recipientId: self.id, recipientPub: keys.encPub }),
    },
    {
      recipientId: RECOVERY_RECIPIENT,
      epoch: 1,
      wrapped: wrapVaultKey({ ...ctx, recipientId: RECOVERY_RECIPIENT, recipientPub: recoveryPub }),
    },
  ]);
  const state = keychain.requireState();
  state.circle = circle;
  state.vaultKeys = { '1': b64u(vk) };
  state.status = 'trusted';
  await keychain.save();
  return { accountId: account.accountId, deviceId: account.deviceId };
}

/** The account password only protects sign-in, but a trivially short one invites online guessing. */
export function checkPassword(password: string): void {
  if (password.length < 8)
    throw new KeychainError('wrong-password', 'The keychain password must have at least 8 characters.');
}
