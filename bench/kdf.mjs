// The deliberate KDF of a sign-in, timed alone: the client's OPAQUE finishLogin (Argon2id key
// stretching), against a server setup of its own. Shared by bench:restore (wall time) and
// bench:restore-cpu (CPU time); both time it beside every restore, since on a shared machine its cost
// drifts from minute to minute.
import * as opaque from '@serenity-kit/opaque';

/** Returns `once()`, which runs one finishLogin and returns what `clock()` (ms) advanced over it. */
export async function kdfTimer({ password, clock }) {
  await opaque.ready;
  const setup = opaque.server.createSetup();
  const reg = opaque.client.startRegistration({ password });
  const { registrationResponse } = opaque.server.createRegistrationResponse({
    serverSetup: setup,
    userIdentifier: 'u',
    registrationRequest: reg.registrationRequest,
  });
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState: reg.clientRegistrationState,
    registrationResponse,
    password,
  });
  const once = () => {
    const start = opaque.client.startLogin({ password });
    const { loginResponse } = opaque.server.startLogin({
      serverSetup: setup,
      registrationRecord,
      startLoginRequest: start.startLoginRequest,
      userIdentifier: 'u',
    });
    const t0 = clock();
    opaque.client.finishLogin({ clientLoginState: start.clientLoginState, loginResponse, password });
    return clock() - t0;
  };
  for (let i = 0; i < 3; i++) once();
  return once;
}
