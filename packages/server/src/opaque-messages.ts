/**
 * Calls into @serenity-kit/opaque with client-supplied messages. A malformed message makes the
 * library throw; that is the client's mistake (400), never a server error.
 */
import * as opaque from '@serenity-kit/opaque';
import { randomB64u } from './bytes.js';
import { HttpError } from './http-error.js';

export function withClientMessage<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new HttpError(400, 'bad-request', `${field} is not a valid OPAQUE message.`);
  }
}

/**
 * Refuses a registration record that could never be used to sign in, by starting a throwaway
 * login against it (the library has no separate validator); a bad record stored would only fail later.
 */
export function checkRegistrationRecord(
  serverSetup: string,
  userIdentifier: string,
  registrationRecord: string,
): void {
  const { startLoginRequest } = opaque.client.startLogin({ password: randomB64u(16) });
  withClientMessage('registrationRecord', () =>
    opaque.server.startLogin({ serverSetup, userIdentifier, registrationRecord, startLoginRequest }),
  );
}
