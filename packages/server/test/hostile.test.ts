/**
 * Hostile requests: malformed, oversized, wrongly typed, unauthenticated, foreign, replayed, and
 * header and path tricks. Each gets the right 4xx; none yields a 5xx or changes another account.
 */
import { request as httpRequest } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_HEADER } from '@tessera/protocol';
import {
  Api,
  BACKENDS,
  CLIENT,
  b64u,
  fakeWrap,
  login,
  makeLink,
  newCircleKey,
  query,
  trustedAccount,
  uniqueEmail,
  useServer,
  type Json,
  type TestStore,
} from './helpers.js';

/** A raw HTTP request, so paths reach the server exactly as written (fetch normalises them). */
function raw(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe.each(BACKENDS)('hostile requests (%s)', (backend) => {
  const { store, api } = useServer(backend);
  let victim: Awaited<ReturnType<typeof trustedAccount>>;
  let attacker: Awaited<ReturnType<typeof trustedAccount>>;
  let victimItem: string;
  const snapshot = async () => ({
    items: (await victim.api.get('/v1/items')).body,
    devices: (await victim.api.get('/v1/devices')).body.devices.map((d: Json) => ({ ...d, lastSeenAt: 0 })),
    circle: (await victim.api.get('/v1/circle')).body,
    keys: (await victim.api.get(`/v1/keys?recipient=${victim.deviceId}`)).body,
  });
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    victim = await trustedAccount(api, uniqueEmail('victim'));
    attacker = await trustedAccount(api, uniqueEmail('attacker'));
    victimItem = randomUUID();
    await victim.api.post('/v1/items', {
      items: [
        { id: victimItem, baseVersion: 0, epoch: 1, ciphertext: b64u(randomBytes(40)), deleted: false },
      ],
    });
    before = await snapshot();
  });
  afterAll(async () => {
    // Nothing Json test here did changed the victim's account.
    expect(await snapshot()).toEqual(before);
  });

  const json = (token: string | null, extra: Record<string, string> = {}) => ({
    [CLIENT_HEADER]: CLIENT,
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  });

  it('refuses malformed, mistyped and oversized bodies with 400/413/415', async () => {
    const t = attacker.api.token;
    const cases: Array<
      [
        string,
        { path: string; method?: string; headers: Record<string, string>; body?: string | Buffer },
        number,
      ]
    > = [
      ['broken JSON', { path: '/v1/items', method: 'POST', headers: json(t), body: '{"items": [' }, 400],
      ['empty JSON body', { path: '/v1/items', method: 'POST', headers: json(t), body: '' }, 400],
      [
        '__proto__ key',
        {
          path: '/v1/notices',
          method: 'POST',
          headers: json(t),
          body: '{"kind":"backup-mismatch","data":{},"__proto__":{"admin":true}}',
        },
        400,
      ],
      [
        'text/plain',
        { path: '/v1/items', method: 'POST', headers: json(t, { 'content-type': 'text/plain' }), body: 'x' },
        415,
      ],
      [
        'body over the limit',
        {
          path: '/v1/circle',
          method: 'POST',
          headers: json(t),
          body: JSON.stringify({ pad: 'x'.repeat(400_000) }),
        },
        413,
      ],
      [
        'push over the limit',
        { path: '/v1/items', method: 'POST', headers: json(t), body: Buffer.alloc(18 * 1024 * 1024, 0x20) },
        413,
      ],
      [
        'email as number',
        {
          path: '/v1/sessions/start',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({ email: 5, startLoginRequest: 'AAAA' }),
        },
        400,
      ],
      [
        'missing field',
        {
          path: '/v1/accounts/register/start',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({ email: 'a@b.c' }),
        },
        400,
      ],
      [
        'huge OPAQUE message',
        {
          path: '/v1/sessions/start',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({ email: 'a@b.c', startLoginRequest: 'A'.repeat(5000) }),
        },
        400,
      ],
      [
        'garbage OPAQUE message',
        {
          path: '/v1/sessions/start',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({ email: 'a@b.c', startLoginRequest: 'AAAA' }),
        },
        400,
      ],
      [
        'garbage registration',
        {
          path: '/v1/accounts/register/start',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({ email: 'a@b.c', registrationRequest: 'AAAA' }),
        },
        400,
      ],
      [
        'garbage registration record',
        {
          path: '/v1/accounts/register/finish',
          method: 'POST',
          headers: json(null),
          body: JSON.stringify({
            email: uniqueEmail(),
            registrationRecord: 'A'.repeat(256),
            device: {
              name: 'x',
              encPub: b64u(randomBytes(32)),
              signPub: b64u(randomBytes(32)),
              nonce: b64u(randomBytes(16)),
            },
          }),
        },
        400,
      ],
      [
        'garbage PIN record',
        {
          path: '/v1/escrow/register/finish',
          method: 'POST',
          headers: json(t),
          body: JSON.stringify({ registrationRecord: 'A'.repeat(256), escrowKey: b64u(randomBytes(32)) }),
        },
        400,
      ],
      [
        'notice kind not for clients',
        {
          path: '/v1/notices',
          method: 'POST',
          headers: json(t),
          body: JSON.stringify({ kind: 'device-removed', data: {} }),
        },
        400,
      ],
      [
        'notice data too large',
        {
          path: '/v1/notices',
          method: 'POST',
          headers: json(t),
          body: JSON.stringify({ kind: 'backup-mismatch', data: { x: 'y'.repeat(3000) } }),
        },
        413,
      ],
      [
        'circle link with extra field',
        {
          path: '/v1/circle',
          method: 'POST',
          headers: json(t),
          body: JSON.stringify({
            link: {
              ...makeLink({
                signer: attacker.circleKey,
                op: 'set-escrow',
                seq: 1,
                prev: attacker.head.hash,
                by: attacker.deviceId,
              }),
              admin: true,
            },
            wraps: [],
          }),
        },
        400,
      ],
      ['query array', { path: '/v1/items?since=1&since=2', headers: json(t) }, 400],
      ['query injection', { path: '/v1/items?since=1%3BDROP%20TABLE%20items', headers: json(t) }, 400],
      [
        'recipient injection',
        { path: `/v1/keys?recipient=${encodeURIComponent("' OR 1=1 --")}`, headers: json(t) },
        400,
      ],
    ];
    for (const [name, req, status] of cases) {
      const res = await raw(api.url, req);
      expect(res.status, `${name}: ${res.body.slice(0, 200)}`).toBe(status);
      const body = JSON.parse(res.body);
      expect(typeof body.error.code, name).toBe('string');
      expect(typeof body.error.message, name).toBe('string');
      expect(res.body, name).not.toMatch(/ at .*\.(js|ts):\d+/); // no stack traces
    }
  });

  it('refuses missing, malformed, expired and revoked sessions with 401', async () => {
    const tokens = [
      '',
      'Bearer',
      'Bearer x',
      `Basic ${b64u(randomBytes(32))}`,
      `Bearer ${b64u(randomBytes(32))}`,
      `Bearer  ${attacker.api.token}`,
      `bearer ${attacker.api.token}x`,
    ];
    for (const authorization of tokens) {
      const res = await raw(api.url, {
        path: '/v1/devices',
        headers: { [CLIENT_HEADER]: CLIENT, authorization },
      });
      expect(res.status, authorization).toBe(401);
    }
    expect(
      (
        await raw(api.url, {
          path: '/v1/devices',
          headers: { [CLIENT_HEADER]: CLIENT, cookie: 'tessera_session=../../etc' },
        })
      ).status,
    ).toBe(401);
    // A bad Authorization header is not rescued by a good cookie.
    const both = await raw(api.url, {
      path: '/v1/devices',
      headers: {
        [CLIENT_HEADER]: CLIENT,
        authorization: 'Bearer nope',
        cookie: `tessera_session=${attacker.api.token}`,
      },
    });
    expect(both.status).toBe(401);
    // Expired: the session row says so.
    const session = await login(api, {
      email: attacker.email,
      password: attacker.password,
      deviceId: attacker.deviceId,
    });
    const expiring = api.as(session.body.session);
    expect((await expiring.get('/v1/devices')).status).toBe(200);
    await expireSessions(store, attacker.deviceId);
    // The row changed behind the servers' backs (no revocation notice), so the one that just
    // answered may reuse its session lookup for up to its cache TTL (src/session-cache.ts); a
    // process that has not cached it refuses at once.
    expect((await new Api((await store.start()).url).as(expiring.token).get('/v1/devices')).status).toBe(401);
    attacker = {
      ...attacker,
      api: api.as(
        (
          await login(api, {
            email: attacker.email,
            password: attacker.password,
            deviceId: attacker.deviceId,
          })
        ).body.session,
      ),
    };
  });

  it("cannot reach another account's items, devices, wraps or escrow", async () => {
    const me = attacker.api;
    // Items are per account: pushing the victim's item id creates the attacker's own item.
    const push = await me.post('/v1/items', {
      items: [{ id: victimItem, baseVersion: 1, epoch: 1, ciphertext: 'AAAA', deleted: true }],
    });
    expect(push.status).toBe(409);
    expect(push.body.error.conflicts).toEqual([{ id: victimItem, version: 0 }]);
    expect((await me.get(`/v1/keys?recipient=${victim.deviceId}`)).status).toBe(403);
    const resume = await login(api, {
      email: attacker.email,
      password: attacker.password,
      deviceId: victim.deviceId,
    });
    expect(resume.status).toBe(404);
    const remove = makeLink({
      signer: attacker.circleKey,
      circlePub: newCircleKey().pub,
      op: 'remove-device',
      seq: attacker.head.seq + 1,
      epoch: 2,
      prev: (await me.get('/v1/circle')).body.head.hash,
      by: attacker.deviceId,
      device: {
        id: victim.deviceId,
        name: 'x',
        encPub: victim.device.encPub,
        signPub: victim.device.signPub,
      },
    });
    expect(
      (await me.post('/v1/circle', { link: remove, wraps: [fakeWrap(victim.deviceId, 2)] })).status,
    ).toBe(422);
    const wrapToVictim = makeLink({
      signer: attacker.circleKey,
      op: 'set-escrow',
      seq: attacker.head.seq + 1,
      prev: (await me.get('/v1/circle')).body.head.hash,
      by: attacker.deviceId,
      escrowPub: null,
    });
    expect(
      (await me.post('/v1/circle', { link: wrapToVictim, wraps: [fakeWrap(victim.deviceId)] })).status,
    ).toBe(422);
    const foreignBy = makeLink({
      signer: attacker.circleKey,
      op: 'set-escrow',
      seq: attacker.head.seq + 1,
      prev: (await me.get('/v1/circle')).body.head.hash,
      by: victim.deviceId,
      escrowPub: null,
    });
    expect((await me.post('/v1/circle', { link: foreignBy, wraps: [] })).status).toBe(422);
    expect(
      (
        await me.post('/v1/escrow/login/finish', {
          attemptId: 'AAAAAAAAAAAAAAAAAAAAAA',
          finishLoginRequest: 'A'.repeat(86),
        })
      ).status,
    ).toBe(404);
  });

  it('handles path and header tricks without leaving the API or erroring', async () => {
    const h = json(attacker.api.token);
    const paths: Array<[string, number[]]> = [
      ['/v1/../v1/items', [200, 404]],
      ['/v1//items', [404]],
      ['/V1/items', [404]],
      ['/v1/items/..%2f..%2fhealthz', [404]],
      ['/v1/%2e%2e/healthz', [404]],
      ['/v1/items%00', [404]],
      [`/v1/${'a'.repeat(8000)}`, [404, 414, 431]],
      ['/v1/items?limit=0', [400]],
      ['/v1/circle?since=-5', [400]],
      ['/v1/notices?since=1e3', [200, 400]],
    ];
    for (const [path, allowed] of paths) {
      const res = await raw(api.url, { path, headers: h });
      expect(allowed, `${path.slice(0, 60)} → ${res.status} ${res.body.slice(0, 120)}`).toContain(res.status);
    }
    expect((await raw(api.url, { method: 'PUT', path: '/v1/items', headers: h, body: '{}' })).status).toBe(
      404,
    );
    expect(
      (
        await raw(api.url, {
          path: '/v1/meta',
          headers: { [CLIENT_HEADER]: 'tessera-cli/0.2.0\r\nX-Injected: 1'.replace(/\r\n/, ' ') },
        })
      ).status,
    ).toBe(400);
    expect(
      (await raw(api.url, { path: '/v1/meta', headers: { [CLIENT_HEADER]: 'tessera-cli/99999999999.0.0' } }))
        .status,
    ).toBe(400);
  });

  it('never answers a hostile request with a 5xx', async () => {
    const me = attacker.api;
    const bodies: unknown[] = [
      null,
      0,
      'x',
      [],
      {},
      { link: null },
      { items: [null] },
      { loginId: {}, finishLoginRequest: [] },
      { email: 'a@b.c', registrationRecord: 'A', device: {} },
    ];
    const targets = [
      '/v1/items',
      '/v1/circle',
      '/v1/sessions/finish',
      '/v1/accounts/register/finish',
      '/v1/escrow/login/start',
      '/v1/escrow/register/finish',
      '/v1/notices',
    ];
    for (const path of targets) {
      for (const body of bodies) {
        const res = await me.post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      }
    }
  });
});

async function expireSessions(store: TestStore, deviceId: string): Promise<void> {
  if (store.backend === 'postgres') {
    await query(store, 'UPDATE sessions SET expires_at = 0 WHERE device_id = ?', [deviceId]);
    return;
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(store.database.slice('sqlite:'.length));
  db.pragma('busy_timeout = 5000');
  db.prepare('UPDATE sessions SET expires_at = 0 WHERE device_id = ?').run(deviceId);
  db.close();
}
