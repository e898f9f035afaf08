/**
 * Long polling of the approval relay (PROTOCOL §1.3): `GET /v1/join` with `wait` and `seen` is held
 * until the attempt no longer has `seen` slots or the device's status changes, and a write through
 * another process wakes it (PostgreSQL NOTIFY; one emitter on SQLite). Held reads are counted per
 * account, end on shutdown and when their caller goes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Api,
  BACKENDS,
  b64u,
  login,
  newDevice,
  trustedAccount,
  twoProcesses,
  uniqueEmail,
} from './helpers.js';

const JOIN_WAITERS_PER_ACCOUNT = 8;
const LONG = 600_000;
const body = () => b64u(randomBytes(32));

describe.each(BACKENDS)('the approval relay, long polling (%s)', (backend) => {
  // Looks may be held for as long as they ask (600 s, the most `wait` takes): a wake-up that never
  // comes fails a test by its timeout instead of being hidden by the end of the wait.
  const { servers, counter, metricsToken } = twoProcesses(backend, { joinWaitMaxMs: LONG });
  const waiting = (api: Api) => counter(api, 'tessera_join_waiting');
  /** Resolves once `api`'s process holds `n` reads (each look is a round trip: no sleeping). */
  const held = async (api: Api, n: number) => {
    while ((await waiting(api)) !== n);
  };

  /** A trusted device on process a and a pending one (its share in slot a), and the read of its slots. */
  async function attempt() {
    const account = await trustedAccount(servers.a, uniqueEmail('relay'));
    const join = await login(servers.a, {
      email: account.email,
      password: account.password,
      device: newDevice('new'),
    });
    const deviceId = join.body.deviceId as string;
    const pending = servers.a.as(join.body.session);
    expect((await pending.post('/v1/join', { deviceId, slot: 'a', body: body() })).status).toBe(204);
    const onB = servers.b.as(account.api.token);
    const read = (api: Api, query: string) => api.get(`/v1/join?deviceId=${deviceId}${query}`);
    return { account, deviceId, pending, onB, read };
  }

  it('holds a read until another process writes a slot, then answers with it', async () => {
    const { deviceId, pending, onB, read } = await attempt();
    const answer = read(pending, `&seen=1&wait=${LONG}`);
    await held(servers.a, 1);
    expect((await onB.post('/v1/join', { deviceId, slot: 'b', body: body() })).status).toBe(204);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: { slot: string }) => m.slot)).toEqual(['a', 'b']);
    await held(servers.a, 0);
  });

  it('answers at once when the attempt has another count than `seen`, or without `wait`', async () => {
    const { pending, read } = await attempt();
    for (const query of [`&seen=0&wait=${LONG}`, `&seen=2&wait=${LONG}`, '', '&seen=1']) {
      const res = await read(pending, query);
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m: { slot: string }) => m.slot)).toEqual(['a']);
    }
    expect((await read(pending, '&seen=1&wait=600001')).status).toBe(400);
  });

  it("wakes a trusted device's read when the waiting device is evicted (its status changed)", async () => {
    const { account, deviceId, read } = await attempt();
    const answer = read(account.api, `&seen=1&wait=${LONG}`);
    await held(servers.a, 1);
    const onB = servers.b.as(account.api.token);
    expect((await onB.post('/v1/devices/evict', { deviceId })).status).toBe(204);
    expect((await answer).status).toBe(200);
    await held(servers.a, 0);
  });

  it('holds at most JOIN_WAITERS_PER_ACCOUNT reads per account; the next answers at once', async () => {
    const { deviceId, pending, onB, read } = await attempt();
    const answers = Array.from({ length: JOIN_WAITERS_PER_ACCOUNT }, () =>
      read(pending, `&seen=1&wait=${LONG}`),
    );
    await held(servers.a, JOIN_WAITERS_PER_ACCOUNT);
    const extra = await read(pending, `&seen=1&wait=${LONG}`);
    expect(extra.body.messages).toHaveLength(1);
    expect(await waiting(servers.a)).toBe(JOIN_WAITERS_PER_ACCOUNT);
    expect((await onB.post('/v1/join', { deviceId, slot: 'b', body: body() })).status).toBe(204);
    for (const res of await Promise.all(answers)) expect(res.body.messages).toHaveLength(2);
    await held(servers.a, 0);
  });

  it('lets go of a read whose caller went', async () => {
    const { deviceId, pending } = await attempt();
    const gone = new AbortController();
    const answer = fetch(`${servers.a.url}/v1/join?deviceId=${deviceId}&seen=1&wait=${LONG}`, {
      headers: { authorization: `Bearer ${pending.token}`, 'tessera-client': 'tessera-cli/0.2.0' },
      signal: gone.signal,
    }).catch(() => null);
    await held(servers.a, 1);
    gone.abort();
    await answer;
    await held(servers.a, 0);
  });

  it('answers held reads when the server shuts down, and its close does not wait for them', async () => {
    const { deviceId, pending } = await attempt();
    const running = await servers.store.start({ joinWaitMaxMs: LONG, metrics: { token: metricsToken } });
    const server = new Api(running.url);
    const answer = server.as(pending.token).get(`/v1/join?deviceId=${deviceId}&seen=1&wait=${LONG}`);
    await held(server, 1);
    // A read still held would keep `close` from resolving (the test's timeout).
    await running.close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.messages).toHaveLength(1);
  });
});
