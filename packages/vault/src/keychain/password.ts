/**
 * A trusted device changes the account password (docs/PROTOCOL.md §10.4): one exchange proves the
 * current password by an OPAQUE sign-in and registers the new one, so neither password reaches the
 * server and a stolen session token alone cannot change it. The server then ends every other session
 * and evicts pending devices; other trusted devices sign in again with the new password.
 */
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import * as opaque from './opaque.js';
import { checkPassword } from './signup.js';

export interface ChangePasswordOptions {
  /** The password the account has now. */
  current: string;
  /** The new password (at least 8 characters). */
  next: string;
}

/** Changes the account password from this trusted device; this device keeps its session. */
export async function changePassword(keychain: Keychain, options: ChangePasswordOptions): Promise<void> {
  keychain.requireTrusted();
  checkPassword(options.next);
  const client = keychain.client();
  const meta = await keychain.serverMeta(client);
  const login = await opaque.startLogin(options.current);
  const registration = await opaque.startRegistration(options.next);
  const started = await client.call('passwordStart', {
    body: {
      startLoginRequest: login.startLoginRequest,
      registrationRequest: registration.registrationRequest,
    },
  });
  const proven = await opaque.finishLogin({
    secret: options.current,
    state: login.clientLoginState,
    loginResponse: started.loginResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  if (!proven) {
    throw new KeychainError('wrong-password', 'The current password is wrong; the password was not changed.');
  }
  const registered = await opaque.finishRegistration({
    secret: options.next,
    state: registration.clientRegistrationState,
    registrationResponse: started.registrationResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  if (!registered.serverKeyMatches) {
    throw new KeychainError(
      'wrong-password',
      'The server answered the new password with another OPAQUE key than it announced; nothing was changed.',
    );
  }
  await client.call('passwordFinish', {
    body: {
      loginId: started.loginId,
      finishLoginRequest: proven.finishLoginRequest,
      registrationRecord: registered.registrationRecord,
    },
  });
}
