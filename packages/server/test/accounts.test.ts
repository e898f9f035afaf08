import { describe, expect, it } from 'vitest';
import * as opaque from '@serenity-kit/opaque';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Api,
  BACKENDS,
  FAST,
  accountRows,
  deviceProof,
  login,
  register,
  trustedAccount,
  uniqueEmail,
  useServer,
  useStore,
  type Json,
} from './helpers.js';

describe.each(BACKENDS)('accounts and sessions (%s)', (backend) => {
  const { store, api } = useServer(backend);

  /** A sign-in of `account` started with the server and finished by the client, not yet sent. */
  const clientSignIn = async (account: { email: string; password: string }) => {
    await opaque.ready;
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password: account.password });
    const start = await api.post('/v1/sessions/start', { email: account.email, startLoginRequest });
    const fin = opaque.client.finishLogin({
      clientLoginState,
      loginResponse: start.body.loginResponse,
      password: account.password,
      ...FAST,
    })!;
    return {
      loginId: start.body.loginId as string,
      finishLoginRequest: fin.finishLoginRequest,
      serverStaticPublicKey: fin.serverStaticPublicKey,
    };
  };

  it('publishes its version, the minimum client version and both OPAQUE public keys', async () => {
    const res = await api.get('/v1/meta');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ serverVersion: '0.2.0', protocolVersion: 2, minClientVersion: '0.2.0' });
    expect(res.body.opaquePublicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.escrowOpaquePublicKey).not.toBe(res.body.opaquePublicKey);
    expect(Math.abs(res.body.time - Date.now())).toBeLessThan(5000);
  });

  it('registers with OPAQUE and signs in again on the same device with the password', async () => {
    const account = await register(api, uniqueEmail());
    const devices = await account.api.get('/v1/devices');
    expect(devices.status).toBe(200);
    expect(devices.body.devices).toEqual([
      expect.objectContaining({ id: account.deviceId, status: 'pending', name: 'first' }),
    ]);

    const again = await login(api, {
      email: account.email.toUpperCase(),
      password: account.password,
      deviceId: account.deviceId,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      accountId: account.accountId,
      deviceId: account.deviceId,
      deviceStatus: 'pending',
    });
    expect(again.body.session).not.toBe(account.api.token);
    // The client pins the server key it registered with.
    const meta = await api.get('/v1/meta');
    expect((await clientSignIn(account)).serverStaticPublicKey).toBe(meta.body.opaquePublicKey);
  });

  // SECURITY.md "What each attacker gets", stolen database: the OPAQUE records cannot be checked
  // against a password guess without the server's OPAQUE secret, which is not in the database. The
  // thief runs the real server on the stolen database with a data directory (and so an OPAQUE
  // setup) of its own: not even the right password then completes, so no guess can be told right.
  it("a database thief without the server's OPAQUE secret cannot check a password, not even the right one", async () => {
    const account = await register(api, uniqueEmail('stolen'), 'the right password');
    const signIn = (server: Api, password: string) =>
      login(server, { email: account.email, password, deviceId: account.deviceId });
    // With the secret, a guess is checkable: the right password signs in, a wrong one is refused.
    expect((await signIn(api, 'the right password')).status).toBe(200);
    expect((await signIn(api, 'a wrong password')).body.error.code).toBe('client-rejected');
    const thiefDir = await mkdtemp(join(tmpdir(), 'tessera-db-thief-'));
    try {
      const thief = await store.start({ dataDir: thiefDir });
      const thiefApi = new Api(() => thief.url);
      expect((await thiefApi.get('/v1/meta')).body.opaquePublicKey).not.toBe(
        (await api.get('/v1/meta')).body.opaquePublicKey,
      );
      for (const password of ['the right password', 'a wrong password'])
        expect((await signIn(thiefApi, password)).body.error.code).toBe('client-rejected');
      await thief.close();
    } finally {
      await rm(thiefDir, { recursive: true, force: true });
    }
  });

  it('refuses a second account with the same email', async () => {
    const email = uniqueEmail();
    await register(api, email);
    await expect(register(api, email.toUpperCase())).rejects.toThrow(/409.*email-taken/);
  });

  it('answers an unknown email exactly like a known one, then refuses both the same way', async () => {
    const known = await register(api, uniqueEmail());
    await opaque.ready;
    const { startLoginRequest } = opaque.client.startLogin({ password: 'guess' });
    const a = await api.post('/v1/sessions/start', { email: known.email, startLoginRequest });
    const b = await api.post('/v1/sessions/start', { email: uniqueEmail('nobody'), startLoginRequest });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(Object.keys(b.body).sort()).toEqual(Object.keys(a.body).sort());
    expect(b.body.loginResponse.length).toBe(a.body.loginResponse.length);
    // A wrong password: the real client notices first and never finishes.
    expect(
      (await login(api, { email: known.email, password: 'wrong', deviceId: known.deviceId })).body.error.code,
    ).toBe('client-rejected');
    expect(
      (await login(api, { email: uniqueEmail('nobody'), password: 'x', deviceId: known.deviceId })).body.error
        .code,
    ).toBe('client-rejected');
    // A client that finishes anyway (garbage proof) gets the same 401 for both.
    for (const start of [a, b]) {
      const res = await api.post('/v1/sessions/finish', {
        loginId: start.body.loginId,
        finishLoginRequest: 'A'.repeat(86),
        deviceId: known.deviceId,
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: { code: 'invalid-credentials', message: 'The email or password is wrong.' },
      });
    }
  });

  it('uses a sign-in attempt once', async () => {
    const account = await register(api, uniqueEmail());
    const { loginId, finishLoginRequest } = await clientSignIn(account);
    const body = {
      loginId,
      finishLoginRequest,
      deviceId: account.deviceId,
      deviceProof: deviceProof(loginId, account.deviceId),
    };
    expect((await api.post('/v1/sessions/finish', body)).status).toBe(200);
    const replay = await api.post('/v1/sessions/finish', body);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('login-expired');
  });

  it('spends a sign-in attempt that was refused, in the same transaction as the refusal', async () => {
    // The finish runs as one write transaction and returns its refusals rather than throwing them, so
    // the attempt's deletion commits with a wrong proof or a refused resume too (issue 14).
    const account = await trustedAccount(api, uniqueEmail());
    const started = async () => {
      const { loginId, finishLoginRequest } = await clientSignIn(account);
      return {
        loginId,
        finishLoginRequest,
        deviceId: account.deviceId,
        deviceProof: deviceProof(loginId, account.deviceId),
      };
    };
    const expired = async (body: Json) => {
      const replay = await api.post('/v1/sessions/finish', body);
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('login-expired');
    };
    // A resume without the device's proof: refused after the proof of the password.
    const noProof = await started();
    const { deviceProof: _, ...withoutProof } = noProof;
    expect((await api.post('/v1/sessions/finish', withoutProof)).status).toBe(403);
    await expired(noProof);
    // A finish message that proves nothing.
    const wrong = await started();
    const bad = await api.post('/v1/sessions/finish', {
      ...wrong,
      finishLoginRequest: wrong.finishLoginRequest.slice(0, -4) + 'AAAA',
    });
    expect(bad.status).toBe(401);
    await expired(wrong);
  });

  it("resumes an existing device only with the device's own signature of this sign-in", async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const other = await register(api, uniqueEmail());
    const attempt = async (proof: (loginId: string) => string | undefined) => {
      const { loginId, finishLoginRequest } = await clientSignIn(account);
      const deviceProof = proof(loginId);
      return api.post('/v1/sessions/finish', {
        loginId,
        finishLoginRequest,
        deviceId: account.deviceId,
        ...(deviceProof ? { deviceProof } : {}),
      });
    };
    // The password alone: refused, though the password is right.
    expect((await attempt(() => undefined)).status).toBe(403);
    // Another device's key, or a proof of another sign-in: refused.
    expect((await attempt((loginId) => deviceProof(loginId, other.deviceId))).status).toBe(403);
    expect((await attempt(() => deviceProof('AAAAAAAAAAAAAAAAAAAAAA', account.deviceId))).status).toBe(403);
    const ok = await attempt((loginId) => deviceProof(loginId, account.deviceId));
    expect(ok.status).toBe(200);
    expect(ok.body.deviceStatus).toBe('trusted');
  });

  it('sets an HttpOnly SameSite=Strict cookie that authenticates the web app, and signs out', async () => {
    const account = await register(api, uniqueEmail());
    const res = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^tessera_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP on loopback
    const pair = cookie.split(';')[0]!;
    const viaCookie = await api.as(null).get('/v1/devices', { cookie: pair });
    expect(viaCookie.status).toBe(200);

    const out = await api.as(null).request('DELETE', '/v1/sessions/current', undefined, { cookie: pair });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/tessera_session=;/);
    expect((await api.as(null).get('/v1/devices', { cookie: pair })).status).toBe(401);
    // Signing out one session leaves the device's other sessions alone.
    expect((await account.api.get('/v1/devices')).status).toBe(200);
  });

  it('requires the client header on every /v1 request and answers 426 to an old client', async () => {
    // A trusted device: notices are for members of the keychain only.
    const account = await trustedAccount(api, uniqueEmail());
    const bare = new Api(api.url, account.api.token, null);
    const missing = await bare.get('/v1/devices');
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('client-header-required');
    for (const bad of ['tessera-cli', 'tessera-cli/1', 'tessera-cli/v1.0.0', 'x'.repeat(300) + '/1.0.0']) {
      expect((await bare.get('/v1/meta', { 'Tessera-Client': bad })).status).toBe(400);
    }
    const server = await store.start({ minClientVersion: '2.0.0' });
    const old = await new Api(server.url, account.api.token, 'tessera-web/1.9.9').get('/v1/devices');
    expect(old.status).toBe(426);
    expect(old.body).toEqual({
      error: {
        code: 'update-required',
        message: 'tessera-web 1.9.9 is too old for this server; update Tessera to 2.0.0 or later.',
        minimumVersion: '2.0.0',
      },
    });
    expect(
      (await new Api(server.url, account.api.token, 'tessera-web/2.0.0').get('/v1/devices')).status,
    ).toBe(200);
    expect((await new Api(server.url, null, 'tessera-web/2.0.0-rc.1').get('/v1/meta')).status).toBe(426);
    // Every device of the account is told, once, which device needs an update.
    await new Api(server.url, account.api.token, 'tessera-web/1.9.9').get('/v1/items');
    const notices = (await new Api(server.url, account.api.token, 'tessera-web/2.0.0').get('/v1/notices'))
      .body.notices;
    expect(notices.filter((n: Json) => n.kind === 'server')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          reason: 'update-required',
          deviceId: account.deviceId,
          minimumVersion: '2.0.0',
        }),
      }),
    ]);
    expect(notices.find((n: Json) => n.kind === 'server').data.message).toMatch(
      /"first" runs tessera-web 1\.9\.9; update it to 2\.0\.0/,
    );
  });

  it('deletes an account with everything it holds, and only that account', async () => {
    const other = await trustedAccount(api, uniqueEmail('other'));
    const doomed = await trustedAccount(api, uniqueEmail('doomed'));
    const pending = await register(api, uniqueEmail());
    expect((await pending.api.delete('/v1/accounts/current')).status).toBe(403);

    const res = await doomed.api.delete('/v1/accounts/current');
    expect(res.status).toBe(204);
    expect((await doomed.api.get('/v1/devices')).status).toBe(401);
    // The record is gone: the server answers with a fake one, which the real client refuses.
    expect(
      (await login(api, { email: doomed.email, password: doomed.password, deviceId: doomed.deviceId })).body
        .error.code,
    ).toBe('client-rejected');
    const rows = await accountRows(store, doomed.accountId);
    expect(
      Object.values(rows).every((n) => n === 0),
      JSON.stringify(rows),
    ).toBe(true);
    expect((await accountRows(store, other.accountId)).circle_links).toBe(1);
    expect((await other.api.get('/v1/circle')).body.links).toHaveLength(1);
    // The email is free again.
    expect((await register(api, doomed.email)).accountId).not.toBe(doomed.accountId);
  });
});

describe.each(BACKENDS)('sign-in rate limits shared by processes (%s)', (backend) => {
  const store = useStore(backend);

  it('counts failed sign-ins per account across two servers on one database, with back-off', async () => {
    const rule = { limit: 3, windowMs: 3_600_000, freeAttempts: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const loose = { limit: 1000, windowMs: 3_600_000, freeAttempts: 1000, baseDelayMs: 1, maxDelayMs: 1 };
    const options = { rateLimits: { signInAccount: rule, signInAddress: loose } };
    const a = new Api((await store.start(options)).url);
    const b = new Api((await store.start(options)).url);
    const account = await register(a, uniqueEmail());
    const wrong = { email: account.email, password: 'wrong', deviceId: account.deviceId };
    expect((await login(a, wrong)).body.error.code).toBe('client-rejected');
    expect((await login(b, wrong)).body.error.code).toBe('client-rejected');
    // Third attempt: past the free ones, so back-off begins; the fourth must wait.
    expect((await login(a, wrong)).body.error.code).toBe('client-rejected');
    const blocked = await login(b, { ...wrong, password: account.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate-limited');
    expect(blocked.body.error.retryAfter).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBe(blocked.body.error.retryAfter);
    // Another account is not affected.
    const other = await register(b, uniqueEmail());
    expect(
      (await login(a, { email: other.email, password: other.password, deviceId: other.deviceId })).status,
    ).toBe(200);
  });

  it('counts a sign-in start with a malformed message against the limit', async () => {
    // The hit and the stored attempt share one transaction; a message the OPAQUE server refuses
    // must still leave its hit counted (issue 14).
    const rule = { limit: 2, windowMs: 3_600_000, freeAttempts: 10, baseDelayMs: 1, maxDelayMs: 1 };
    const a = new Api((await store.start({ rateLimits: { signInAccount: rule } })).url);
    const account = await register(a, uniqueEmail());
    for (let i = 0; i < 2; i++) {
      const start = await a.post('/v1/sessions/start', { email: account.email, startLoginRequest: 'AAAA' });
      expect(start.status).toBe(400);
    }
    const blocked = await login(a, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    expect(blocked.status).toBe(429);
  });

  it('gives a successful sign-in back, so only failures count towards the limit', async () => {
    const rule = { limit: 2, windowMs: 3_600_000, freeAttempts: 10, baseDelayMs: 1, maxDelayMs: 1 };
    const a = new Api((await store.start({ rateLimits: { signInAccount: rule } })).url);
    const account = await register(a, uniqueEmail());
    for (let i = 0; i < 4; i++) {
      expect(
        (await login(a, { email: account.email, password: account.password, deviceId: account.deviceId }))
          .status,
      ).toBe(200);
    }
  });
});
