/** Credential lifecycle (docs/PROTOCOL.md §10): evicting a pending device. */
import * as opaque from '@serenity-kit/opaque';
import { describe, expect, it } from 'vitest';
import {
  Api,
  BACKENDS,
  FAST,
  createStore,
  joinRequest,
  login,
  newDevice,
  trustedAccount,
  uniqueEmail,
  useServer,
} from './helpers.js';

describe.each(BACKENDS)('credential lifecycle (%s)', (backend) => {
  const { api } = useServer(backend);

  it('lists a pending device and evicts it: its session then says the join request was removed', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const pending = await joinRequest(api, account);
    // The pending device works before the eviction (and its session is cached by this request).
    expect((await pending.api.get('/v1/devices')).status).toBe(200);
    const listed = await account.api.get('/v1/devices');
    expect(listed.body.devices.find((d: { id: string }) => d.id === pending.deviceId)).toMatchObject({
      status: 'pending',
      name: 'phone',
    });

    const evicted = await account.api.post('/v1/devices/evict', { deviceId: pending.deviceId });
    expect(evicted.status).toBe(204);

    const after = await pending.api.get('/v1/circle');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('join-removed');
    expect(after.body.error.message).toMatch(/request to join was removed/);
    const devices = (await account.api.get('/v1/devices')).body.devices;
    expect(devices.find((d: { id: string }) => d.id === pending.deviceId).status).toBe('removed');
    // The trusted device's own session is untouched.
    expect((await account.api.get('/v1/circle')).status).toBe(200);
  });

  it('lock-account ends every session, evicts pending devices, leaves a notice; trusted devices resume', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const pending = await joinRequest(api, account);
    const second = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    expect(second.status).toBe(200);
    const other = api.as(second.body.session);
    expect((await other.get('/v1/circle')).status).toBe(200);

    expect((await pending.api.post('/v1/accounts/lock', null)).status).toBe(403);
    expect((await account.api.post('/v1/accounts/lock', null)).status).toBe(204);

    // Every session of the trusted device, the caller's included, is gone.
    expect((await account.api.get('/v1/circle')).status).toBe(401);
    expect((await other.get('/v1/circle')).status).toBe(401);
    const evicted = await pending.api.get('/v1/circle');
    expect(evicted.status).toBe(401);
    expect(evicted.body.error.code).toBe('join-removed');

    // The trusted device signs in again with the password and its device key: still trusted.
    const again = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    expect(again.status).toBe(200);
    expect(again.body.deviceStatus).toBe('trusted');
    const fresh = api.as(again.body.session);
    const notices = (await fresh.get('/v1/notices')).body.notices as { kind: string }[];
    expect(notices.map((n) => n.kind)).toContain('account-locked');
    const devices = (await fresh.get('/v1/devices')).body.devices as { id: string; status: string }[];
    expect(devices.find((d) => d.id === pending.deviceId)!.status).toBe('removed');
    // The evicted pending device cannot resume: it must start over.
    const resumed = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: pending.deviceId,
    });
    expect(resumed.status).toBe(403);
  });

  it('password change: refuses without proof of the current password; then ends other sessions and evicts pending devices', async () => {
    await opaque.ready;
    const account = await trustedAccount(api, uniqueEmail());
    const other = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    const otherApi = api.as(other.body.session);
    const pending = await joinRequest(api, account);
    const change = (startLoginRequest: string, next: string) => {
      const reg = opaque.client.startRegistration({ password: next });
      return account.api
        .post('/v1/accounts/password/start', {
          startLoginRequest,
          registrationRequest: reg.registrationRequest,
        })
        .then((res) => ({ res, reg, next }));
    };
    const record = (c: Awaited<ReturnType<typeof change>>) =>
      opaque.client.finishRegistration({
        password: c.next,
        clientRegistrationState: c.reg.clientRegistrationState,
        registrationResponse: c.res.body.registrationResponse,
        ...FAST,
      }).registrationRecord;

    // A session-token thief without the password: replays a proof made for another sign-in.
    const real = opaque.client.startLogin({ password: account.password });
    const realStart = await api.post('/v1/sessions/start', {
      email: account.email,
      startLoginRequest: real.startLoginRequest,
    });
    const captured = opaque.client.finishLogin({
      clientLoginState: real.clientLoginState,
      loginResponse: realStart.body.loginResponse,
      password: account.password,
      ...FAST,
    })!.finishLoginRequest;
    const guess = opaque.client.startLogin({ password: 'a guessed password' });
    const thief = await change(guess.startLoginRequest, 'the thief password');
    expect(thief.res.status).toBe(200);
    const refused = await account.api.post('/v1/accounts/password/finish', {
      loginId: thief.res.body.loginId,
      finishLoginRequest: captured,
      registrationRecord: record(thief),
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({
      code: 'invalid-credentials',
      message: expect.stringMatching(/current password is wrong/),
    });
    // client-rejected: the server's OPAQUE record does not open with that password.
    expect(
      (await login(api, { email: account.email, password: 'the thief password', device: newDevice() })).body
        .error.code,
    ).toBe('client-rejected');
    expect((await otherApi.get('/v1/circle')).status).toBe(200);

    // The owner, proving the current password.
    const mine = opaque.client.startLogin({ password: account.password });
    const owner = await change(mine.startLoginRequest, 'the new password 42');
    const proof = opaque.client.finishLogin({
      clientLoginState: mine.clientLoginState,
      loginResponse: owner.res.body.loginResponse,
      password: account.password,
      ...FAST,
    })!.finishLoginRequest;
    const done = await account.api.post('/v1/accounts/password/finish', {
      loginId: owner.res.body.loginId,
      finishLoginRequest: proof,
      registrationRecord: record(owner),
    });
    expect(done.status).toBe(204);
    expect((await account.api.get('/v1/circle')).status).toBe(200);
    expect((await otherApi.get('/v1/circle')).status).toBe(401);
    expect((await pending.api.get('/v1/circle')).body.error.code).toBe('join-removed');
    expect(
      (await login(api, { email: account.email, password: account.password, device: newDevice() })).body.error
        .code,
    ).toBe('client-rejected');
    expect(
      (
        await login(api, {
          email: account.email,
          password: 'the new password 42',
          deviceId: account.deviceId,
        })
      ).status,
    ).toBe(200);
    const notices = (await account.api.get('/v1/notices')).body.notices as { kind: string }[];
    expect(notices.map((n) => n.kind)).toContain('password-changed');
  });

  it('ends a session at its absolute lifetime however recently it was used (session-expired)', async () => {
    let offset = 0;
    const timed = await createStore(backend);
    try {
      const url = (await timed.start({ sessionAbsoluteLifetimeMs: 60_000, clock: () => Date.now() + offset }))
        .url;
      const account = await trustedAccount(new Api(url), uniqueEmail());
      offset = 59_000;
      expect((await account.api.get('/v1/circle')).status).toBe(200);
      offset = 60_000;
      const expired = await account.api.get('/v1/circle');
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('session-expired');
      expect(expired.body.error.message).toMatch(/^Signed out: .*sign in again/);
      // A new sign-in starts a new lifetime.
      const again = await login(new Api(url), {
        email: account.email,
        password: account.password,
        deviceId: account.deviceId,
      });
      expect(again.status).toBe(200);
    } finally {
      await timed.cleanup();
    }
  });

  it('refuses eviction from a pending session, of a trusted device, and of another account', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const pending = await joinRequest(api, account);
    const other = await trustedAccount(api, uniqueEmail());

    const byPending = await pending.api.post('/v1/devices/evict', { deviceId: pending.deviceId });
    expect(byPending.status).toBe(403);
    const trusted = await pending.api.as(account.api.token).post('/v1/devices/evict', {
      deviceId: account.deviceId,
    });
    expect(trusted.status).toBe(400);
    expect(trusted.body.error.message).toMatch(/is trusted, not pending/);
    const foreign = await other.api.post('/v1/devices/evict', { deviceId: pending.deviceId });
    expect(foreign.status).toBe(404);
    // Nothing changed: the pending device still works.
    expect((await pending.api.get('/v1/circle')).status).toBe(200);
  });
});
