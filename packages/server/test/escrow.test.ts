import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as opaque from '@serenity-kit/opaque';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ESCROW_MAX_FAILED_ATTEMPTS } from '@tessera/protocol';
import {
  Api,
  BACKENDS,
  FAST,
  b64u,
  login,
  makeLink,
  newDevice,
  query,
  randomKey,
  trustedAccount,
  uniqueEmail,
  useServer,
  type Json,
} from './helpers.js';

const PIN = '482916';
const loose = { limit: 1000, windowMs: 3_600_000, freeAttempts: 1000, baseDelayMs: 1, maxDelayMs: 1 };
// PIN attempts also count against the sign-in limits (credential-limits.ts); these tests count PINs.
const options = {
  rateLimits: { recoveryAccount: loose, recoveryAddress: loose, signInAccount: loose, signInAddress: loose },
};

/** Sets the PIN with the real OPAQUE client; returns EK. */
async function setPin(api: Api, pin = PIN): Promise<Uint8Array> {
  await opaque.ready;
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password: pin });
  const start = await api.post('/v1/escrow/register/start', { registrationRequest });
  expect(start.status).toBe(200);
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState,
    registrationResponse: start.body.registrationResponse,
    password: pin,
    ...FAST,
  });
  const ek = new Uint8Array(randomBytes(32));
  const finish = await api.post('/v1/escrow/register/finish', { registrationRecord, escrowKey: b64u(ek) });
  expect(finish.status).toBe(204);
  return ek;
}

/** One PIN proof; returns EK when released, or the status/body of the refusal. */
async function tryPin(api: Api, accountId: string, pin: string) {
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password: pin });
  const start = await api.post('/v1/escrow/login/start', { startLoginRequest });
  if (start.status !== 200) return { start };
  const fin = opaque.client.finishLogin({
    clientLoginState,
    loginResponse: start.body.loginResponse,
    password: pin,
    ...FAST,
  });
  if (!fin) return { start, rejected: true };
  const finish = await api.post('/v1/escrow/login/finish', {
    attemptId: start.body.attemptId,
    finishLoginRequest: fin.finishLoginRequest,
  });
  if (finish.status !== 200) return { start, finish };
  // PROTOCOL.md §4: EK sealed under HKDF(sessionKey, "", "tessera/v1/escrow-release").
  const key = hkdf(
    sha256,
    Buffer.from(fin.sessionKey, 'base64url'),
    new Uint8Array(0),
    new TextEncoder().encode('tessera/v1/escrow-release'),
    32,
  );
  const sealed = Buffer.from(finish.body.sealedEscrowKey, 'base64url');
  const aad = new TextEncoder().encode(`tessera/v1/escrow-release|${accountId}`);
  const ek = xchacha20poly1305(key, sealed.subarray(0, 24), aad).decrypt(sealed.subarray(24));
  return { start, finish, ek };
}

describe.each(BACKENDS)('escrow (%s)', (backend) => {
  const {
    store,
    apis: [a, b],
  } = useServer(backend, options, options);

  async function joiningDevice(account: { email: string; password: string }, api = a) {
    const res = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice('new phone'),
    });
    expect(res.status).toBe(200);
    return api.as(res.body.session);
  }

  it('releases EK to a pending device after a correct PIN proof, sealed to the OPAQUE session', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    expect((await account.api.get('/v1/escrow/status')).body).toEqual({
      enabled: false,
      attemptsLeft: 0,
      destroyed: false,
    });
    const ek = await setPin(account.api);
    expect((await account.api.get('/v1/escrow/status')).body).toEqual({
      enabled: true,
      attemptsLeft: 10,
      destroyed: false,
    });
    const phone = await joiningDevice(account);
    const result = await tryPin(phone, account.accountId, PIN);
    expect(result.start.body.attemptsLeft).toBe(9);
    expect(result.ek).toEqual(ek);
    expect((await phone.get('/v1/escrow/status')).body.attemptsLeft).toBe(10);
  });

  it('only lets trusted devices set the PIN', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const phone = await joiningDevice(account);
    expect((await phone.post('/v1/escrow/register/start', { registrationRequest: randomKey() })).status).toBe(
      403,
    );
  });

  it('counts an attempt from its start, gives it back only on success', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    await setPin(account.api);
    const phone = await joiningDevice(account);
    for (let i = 0; i < 3; i++)
      expect((await tryPin(phone, account.accountId, '000000')).rejected).toBe(true);
    // A client that sends a proof anyway fails on the server too.
    const start = await phone.post('/v1/escrow/login/start', {
      startLoginRequest: opaque.client.startLogin({ password: '1' }).startLoginRequest,
    });
    const garbage = await phone.post('/v1/escrow/login/finish', {
      attemptId: start.body.attemptId,
      finishLoginRequest: 'A'.repeat(86),
    });
    expect(garbage.status).toBe(401);
    expect(garbage.body).toMatchObject({ error: { code: 'pin-incorrect', attemptsLeft: 6 } });
    expect((await phone.get('/v1/escrow/status')).body.attemptsLeft).toBe(6);
    const ok = await tryPin(phone, account.accountId, PIN);
    expect(ok.ek).toBeDefined();
    expect((await phone.get('/v1/escrow/status')).body.attemptsLeft).toBe(6);
    const kinds = (await account.api.get('/v1/notices')).body.notices.filter(
      (n: Json) => n.kind === 'pin-attempt-failed',
    );
    expect(kinds.map((n: Json) => n.data.attemptsLeft)).toEqual([9, 8, 7, 6]);
    // An attempt is used once.
    const replay = await phone.post('/v1/escrow/login/finish', {
      attemptId: ok.start.body.attemptId,
      finishLoginRequest: 'A'.repeat(86),
    });
    expect(replay.body.error.code).toBe('attempt-expired');
  });

  it(`destroys the record after ${ESCROW_MAX_FAILED_ATTEMPTS} failures counted across processes, and tells every device`, async () => {
    const account = await trustedAccount(a, uniqueEmail());
    await setPin(account.api);
    const onA = await joiningDevice(account, a);
    const onB = new Api(b.url, onA.token);
    for (let i = 0; i < ESCROW_MAX_FAILED_ATTEMPTS; i++) {
      const r = await tryPin(i % 2 ? onB : onA, account.accountId, `99999${i}`);
      expect(r.start.body.attemptsLeft).toBe(ESCROW_MAX_FAILED_ATTEMPTS - 1 - i);
    }
    const final = await tryPin(onA, account.accountId, PIN);
    expect(final.start.status).toBe(410);
    expect(final.start.body.error.code).toBe('escrow-destroyed');
    expect((await tryPin(onB, account.accountId, PIN)).start.status).toBe(410);
    expect((await account.api.get('/v1/escrow/status')).body).toEqual({
      enabled: false,
      attemptsLeft: 0,
      destroyed: true,
    });
    const notices = (await account.api.get('/v1/notices')).body.notices;
    expect(notices.filter((n: Json) => n.kind === 'pin-attempt-failed')).toHaveLength(
      ESCROW_MAX_FAILED_ATTEMPTS,
    );
    expect(notices.filter((n: Json) => n.kind === 'escrow-destroyed')).toHaveLength(1);
    // Nothing that could test a PIN or release EK remains in the escrow.
    const rows = await query(
      store,
      'SELECT opaque_record, sealed_ek FROM escrow_records WHERE account_id = ?',
      [account.accountId],
      { escrow: true },
    );
    expect(rows).toEqual([{ opaque_record: '', sealed_ek: '' }]);
    // Setting a new PIN starts afresh.
    await setPin(account.api, '123123');
    expect((await account.api.get('/v1/escrow/status')).body).toEqual({
      enabled: true,
      attemptsLeft: 10,
      destroyed: false,
    });
  });

  it('lets an attempt expire; a late finish is refused and stays counted', async () => {
    const server = await store.start({ ...options, escrowAttemptTtlMs: 150 });
    const api = new Api(server.url);
    const account = await trustedAccount(api, uniqueEmail());
    await setPin(account.api);
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password: PIN });
    const start = await account.api.post('/v1/escrow/login/start', { startLoginRequest });
    const fin = opaque.client.finishLogin({
      clientLoginState,
      loginResponse: start.body.loginResponse,
      password: PIN,
      ...FAST,
    })!;
    await new Promise((r) => setTimeout(r, 300));
    const late = await account.api.post('/v1/escrow/login/finish', {
      attemptId: start.body.attemptId,
      finishLoginRequest: fin.finishLoginRequest,
    });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('attempt-expired');
    expect((await account.api.get('/v1/escrow/status')).body.attemptsLeft).toBe(9);
  });

  it('makes an abandoned attempt a failure and tells every device', async () => {
    const server = await store.start({ ...options, escrowAttemptTtlMs: 100, maintenanceIntervalMs: 100 });
    const api = new Api(server.url);
    const account = await trustedAccount(api, uniqueEmail());
    await setPin(account.api);
    const phone = await joiningDevice(account, api);
    expect((await tryPin(phone, account.accountId, '111111')).rejected).toBe(true);
    const deadline = Date.now() + 5000;
    let notices: Json[] = [];
    while (Date.now() < deadline) {
      notices = (await account.api.get('/v1/notices')).body.notices.filter(
        (n: Json) => n.kind === 'pin-attempt-failed',
      );
      if (notices.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(notices.map((n) => n.data)).toEqual([{ attemptsLeft: 9 }]);
  });

  it('removes the PIN escrow when a set-escrow link clears escrowPub', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    await setPin(account.api);
    const link = makeLink({
      signer: account.circleKey,
      op: 'set-escrow',
      seq: 1,
      prev: account.head.hash,
      by: account.deviceId,
      escrowPub: null,
    });
    expect((await account.api.post('/v1/circle', { link, wraps: [] })).status).toBe(200);
    expect((await account.api.get('/v1/escrow/status')).body.enabled).toBe(false);
    expect(
      (
        await query(
          store,
          'SELECT count(*) AS n FROM escrow_records WHERE account_id = ?',
          [account.accountId],
          { escrow: true },
        )
      )[0].n,
    ).toEqual(backend === 'postgres' ? '0' : 0);
  });
});
