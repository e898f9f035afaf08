/**
 * A trusted device whose session ended (locked account, absolute lifetime, password change) signs
 * in again (docs/PROTOCOL.md §10.2): OPAQUE with the password, then the server resumes the existing
 * device when it signs `resume|loginId|deviceId` with its device key (§4 `POST /v1/sessions/finish`).
 * Its keys are still in the circle, so no approval is needed; a removed device is refused.
 */
import { LABELS } from '@tessera/protocol';
import { b64u } from './bytes.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import * as opaque from './opaque.js';

export interface SignInAgainOptions {
  password: string;
}

/** Gets a new session for this (trusted) device; the keychain state keeps everything else. */
export async function signInAgain(keychain: Keychain, options: SignInAgainOptions): Promise<void> {
  const state = keychain.requireState();
  if (state.status !== 'trusted') {
    throw new KeychainError(
      'not-trusted',
      'Only a trusted device signs in again; a pending or removed device joins anew.',
    );
  }
  const client = keychain.client();
  const meta = await keychain.serverMeta(client);
  const start = await opaque.startLogin(options.password);
  const { loginId, loginResponse } = await client.call('loginStart', {
    body: { email: state.email, startLoginRequest: start.startLoginRequest },
  });
  const finished = await opaque.finishLogin({
    secret: options.password,
    state: start.clientLoginState,
    loginResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  if (!finished) throw new KeychainError('wrong-password', 'Wrong email or password for this keychain.');
  const keys = await keychain.deviceKeys();
  const proof = await keys.sign(new TextEncoder().encode(`${LABELS.resume}|${loginId}|${state.deviceId}`));
  const session = await client
    .call('loginFinish', {
      body: {
        loginId,
        finishLoginRequest: finished.finishLoginRequest,
        deviceId: state.deviceId,
        deviceProof: b64u(proof),
      },
    })
    .catch(async (err: unknown) => {
      // The server no longer lists this device: it was removed. Said once here, then the device
      // joins anew (its local codes stay; the removal already rotated every key it held).
      if (err instanceof KeychainError && err.details.code === 'device-removed') {
        state.status = 'removed';
        state.lastError = 'This device was removed from the keychain.';
        await keychain.save();
        throw new KeychainError(
          'not-trusted',
          'This device was removed from the keychain; run `tessera keychain login` again to join as a new device.',
        );
      }
      throw err;
    });
  state.session = session.session;
  await keychain.save();
}
