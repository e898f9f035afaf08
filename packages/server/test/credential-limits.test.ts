/**
 * Online password guessing: registration is no OPRF oracle for an existing account, and every route
 * that touches a credential counts against the same per-account and per-address limits.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import * as opaque from '@serenity-kit/opaque';
import {
  Api,
  BACKENDS,
  b64u,
  login,
  query,
  rateRule,
  register,
  trustedAccount,
  uniqueEmail,
  useServer,
} from './helpers.js';

const loose = rateRule(10_000);

/** The first 32 bytes of an OPAQUE KE1 or registration request: the blinded OPRF element (RFC 9807 §5). */
const head = (message: string) => Buffer.from(message, 'base64url').subarray(0, 32);

describe.each(BACKENDS)('credential rate limits (%s)', (backend) => {
  const { store } = useServer(backend); // its first process creates the tables
  // Limits live in the database, shared by every server of this file: each test starts from none.
  beforeEach(() => query(store, 'DELETE FROM rate_limits'));

  it("never evaluates a registration under an existing account's OPRF key", async () => {
    await opaque.ready;
    const api = new Api((await store.start()).url);
    const account = await register(api, uniqueEmail());
    // The attacker's one sign-in start: its answer begins with the OPRF evaluation of the blinded guess.
    const { startLoginRequest } = opaque.client.startLogin({ password: 'guess 1' });
    const signIn = await api.post('/v1/sessions/start', { email: account.email, startLoginRequest });
    expect(signIn.status).toBe(200);
    const evaluated = head(signIn.body.loginResponse);
    const blinded = b64u(head(startLoginRequest));
    // A fresh email is evaluated (so this request is well formed and the refusal below is specific)...
    const fresh = await api.post('/v1/accounts/register/start', {
      email: uniqueEmail(),
      registrationRequest: blinded,
    });
    expect(fresh.status).toBe(200);
    expect(head(fresh.body.registrationResponse).equals(evaluated)).toBe(false);
    // ...the existing one, however spelled, is refused before any evaluation: nothing to compare.
    for (const email of [account.email, account.email.toUpperCase()]) {
      const res = await api.post('/v1/accounts/register/start', { email, registrationRequest: blinded });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        error: {
          code: 'email-taken',
          message: 'An account with this email already exists; sign in instead.',
        },
      });
    }
  });

  it('counts registration, sign-in, PIN attempts and recovery wraps against one per-address limit', async () => {
    const server = await store.start({
      rateLimits: {
        signInAddress: rateRule(4),
        signInAccount: loose,
        recoveryAccount: loose,
        recoveryAddress: loose,
      },
    });
    const api = new Api(server.url);
    // A completed sign-up gives its hit back, so the account costs nothing.
    const account = await trustedAccount(api, uniqueEmail());
    const attempts = [
      () => api.post('/v1/accounts/register/start', { email: account.email, registrationRequest: 'AAAA' }),
      () => login(api, { email: account.email, password: 'wrong', deviceId: account.deviceId }),
      () => account.api.post('/v1/escrow/login/start', { startLoginRequest: 'AAAA' }),
      () => account.api.get('/v1/keys?recipient=recovery'),
    ];
    const statuses = [];
    for (const attempt of attempts) statuses.push((await attempt()).status);
    // 409 email taken, 0 = the client refused the server's answer (wrong password), 404 no PIN set, 200 wraps.
    expect(statuses).toEqual([409, 0, 404, 200]);
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate-limited');
    }
    const fresh = opaque.client.startRegistration({ password: 'x'.repeat(12) }).registrationRequest;
    expect(
      (await api.post('/v1/accounts/register/start', { email: uniqueEmail(), registrationRequest: fresh }))
        .status,
    ).toBe(429);
  });

  it('counts registration attempts and PIN attempts against the per-account sign-in limit', async () => {
    const server = await store.start({
      rateLimits: {
        signInAccount: rateRule(3),
        signInAddress: loose,
        recoveryAccount: loose,
        recoveryAddress: loose,
      },
    });
    const api = new Api(server.url);
    const victim = await trustedAccount(api, uniqueEmail('victim'));
    const bystander = await trustedAccount(api, uniqueEmail('bystander'));
    const { registrationRequest } = opaque.client.startRegistration({ password: 'guess' });
    for (let i = 0; i < 2; i++)
      expect(
        (await api.post('/v1/accounts/register/start', { email: victim.email, registrationRequest })).status,
      ).toBe(409);
    expect((await victim.api.post('/v1/escrow/login/start', { startLoginRequest: 'AAAA' })).status).toBe(404);
    const res = await login(api, {
      email: victim.email,
      password: victim.password,
      deviceId: victim.deviceId,
    });
    expect(res.status).toBe(429);
    expect(
      (await api.post('/v1/accounts/register/start', { email: victim.email, registrationRequest })).status,
    ).toBe(429);
    // The limit is the victim's: another account signs in.
    expect(
      (
        await login(api, {
          email: bystander.email,
          password: bystander.password,
          deviceId: bystander.deviceId,
        })
      ).status,
    ).toBe(200);
  });
});
