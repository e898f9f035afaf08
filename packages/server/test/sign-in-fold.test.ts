// `sessions/finish` answering with what a new device asks next (docs/PROTOCOL.md §5 "Sign-in answers
// folded", issue 14): the circle and the recovery or escrow wraps, each what its own request answers
// that session, under the same rules (the recovery-wrap limits). No page of items is folded, so the
// epoch rule of a pending device's page is only ever applied by `GET /v1/items`. Real server, SQLite
// and PostgreSQL.
import { randomBytes, randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { describe, expect, it } from 'vitest';
import {
  Api,
  BACKENDS,
  FAST,
  b64u,
  fakeWrap,
  login,
  newDevice,
  rotateLink,
  trustedAccount,
  uniqueEmail,
  useServer,
} from './helpers.js';

const cipher = () => b64u(randomBytes(300));
const ALL = { circle: true, wraps: 'recovery' } as const;

describe.each(BACKENDS)('sign-in answers folded into sessions/finish (%s)', (backend) => {
  const { store, api } = useServer(backend);

  it('meta says the server folds; without `include` the answer is as before', async () => {
    expect((await api.get('/v1/meta')).body.signInFold).toBe(true);
    const account = await trustedAccount(api, uniqueEmail());
    const res = await login(api, { email: account.email, password: account.password, device: newDevice() });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['accountId', 'deviceId', 'deviceStatus', 'session']);
  });

  it('answers with exactly what GET /v1/circle and /v1/keys answer that session', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const res = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice('joining'),
      include: ALL,
    });
    expect(res.status).toBe(200);
    expect(res.body.deviceStatus).toBe('pending');
    const joining = api.as(res.body.session);
    expect(res.body.circle).toEqual((await joining.get('/v1/circle')).body);
    expect(res.body.wraps).toEqual((await joining.get('/v1/keys?recipient=recovery')).body);
    expect(res.body.wraps.wraps).toHaveLength(1);
    expect(res.body.items).toBeUndefined();
  });

  /** A sign-in attempt whose proof is another attempt's: a wrong proof, as from a wrong password. */
  async function wrongProof(on: Api, email: string, password: string) {
    await opaque.ready;
    const first = opaque.client.startLogin({ password });
    const second = opaque.client.startLogin({ password });
    const a = await on.post('/v1/sessions/start', { email, startLoginRequest: first.startLoginRequest });
    const b = await on.post('/v1/sessions/start', { email, startLoginRequest: second.startLoginRequest });
    if (a.status !== 200) return a;
    const proof = opaque.client.finishLogin({
      clientLoginState: second.clientLoginState,
      loginResponse: b.body.loginResponse,
      password,
      ...FAST,
    })!;
    return on.post('/v1/sessions/finish', {
      loginId: a.body.loginId,
      finishLoginRequest: proof.finishLoginRequest,
      device: newDevice(),
      include: ALL,
    });
  }

  it('a failed sign-in gets nothing folded', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const res = await wrongProof(api, account.email, account.password);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid-credentials');
    expect(res.body.circle).toBeUndefined();
    expect(res.body.wraps).toBeUndefined();
  });

  it('folds no page of items: a pending device reads them only through GET /v1/items and its epoch rule', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const pushed = await account.api.post('/v1/items', {
      items: [{ id: randomUUID(), baseVersion: 0, epoch: 1, ciphertext: cipher(), deleted: false }],
    });
    expect(pushed.status).toBe(200);
    const rotated = await account.api.post('/v1/circle', {
      link: rotateLink(account),
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(rotated.status).toBe(200);
    // Asking for a page is not part of `include` (refused before the attempt is spent) ...
    const include = { ...ALL, items: true } as unknown as typeof ALL;
    const asked = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice(),
      include,
    });
    expect(asked.status).toBe(400);
    // ... and a folded answer carries none: the item under epoch 1 stays refused to the pending device.
    const signedIn = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice(),
      include: ALL,
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.circle.head.seq).toBe(account.head.seq + 1);
    expect(signedIn.body.items).toBeUndefined();
    expect((await api.as(signedIn.body.session).get('/v1/items')).status).toBe(403);
  });

  it('counts the folded wraps against the recovery-wrap limits; a refused fold counts nothing', async () => {
    const rule = { limit: 2, windowMs: 3_600_000, freeAttempts: 100, baseDelayMs: 1, maxDelayMs: 1 };
    const server = await store.start({ rateLimits: { recoveryAccount: rule } });
    const own = new Api(server.url);
    const account = await trustedAccount(own, uniqueEmail());
    const signIn = () =>
      login(own, { email: account.email, password: account.password, device: newDevice(), include: ALL });
    expect((await signIn()).body.wraps.wraps).toHaveLength(1);
    expect((await new Api(server.url, account.api.token).get('/v1/keys?recipient=recovery')).status).toBe(
      200,
    );
    // The limit is reached: the sign-in still succeeds, without the wraps, and their own request is refused.
    const third = await signIn();
    expect(third.status).toBe(200);
    expect(third.body.wraps).toBeUndefined();
    expect(third.body.circle).toBeDefined();
    expect((await own.as(third.body.session).get('/v1/keys?recipient=recovery')).status).toBe(429);
  });

  it('the sign-in limits apply to a sign-in that asks for folded answers', async () => {
    const rule = { limit: 2, windowMs: 3_600_000, freeAttempts: 100, baseDelayMs: 1, maxDelayMs: 1 };
    const server = await store.start({ rateLimits: { signInAccount: rule } });
    const own = new Api(server.url);
    const account = await trustedAccount(own, uniqueEmail());
    // A failed attempt (two starts, neither given back) uses the budget up.
    expect((await wrongProof(own, account.email, account.password)).status).toBe(401);
    const refused = await login(own, {
      email: account.email,
      password: account.password,
      device: newDevice(),
      include: ALL,
    });
    expect(refused.status).toBe(429);
    expect(refused.body.circle).toBeUndefined();
  });
});
