/**
 * Several `tessera serve` processes on one PostgreSQL database, as behind any load balancer: changes
 * reach devices on other processes at once (LISTEN/NOTIFY), sign-in limits and escrow attempts are
 * counted in the database, and a device whose every request lands on another process works normally.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverWithPin, setPin, syncRound } from '@tessera/vault/keychain';
import { Api, FeedReader, login, trustedAccount, uniqueEmail } from '../helpers.js';
import {
  Device,
  entry,
  freshDatabase,
  roundRobinProxy,
  sharedSecrets,
  sleep,
  spawnServer,
  type ServerProcess,
} from './harness.js';

const PROCESSES = 3;
const PIN = '493817';

describe('several server processes on one PostgreSQL database', () => {
  let database: { url: string; drop(): Promise<void> };
  let servers: ServerProcess[] = [];
  let proxy: { url: string; close(): Promise<void> };
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await freshDatabase('cluster');
    const env = await sharedSecrets();
    // All at once on an empty database: the first start's migrations must not trip the others.
    servers = await Promise.all(
      Array.from({ length: PROCESSES }, () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
        dirs.push(dataDir);
        return spawnServer({ database: database.url, dataDir, env });
      }),
    );
    proxy = await roundRobinProxy(() => servers.map((s) => s.url));
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('every process announces the same OPAQUE and escrow keys (shared secrets, no per-process state)', async () => {
    const metas = await Promise.all(servers.map(async (s) => (await new Api(s.url).get('/v1/meta')).body));
    for (const meta of metas) {
      expect(meta.opaquePublicKey).toBe(metas[0].opaquePublicKey);
      expect(meta.escrowOpaquePublicKey).toBe(metas[0].escrowOpaquePublicKey);
    }
  });

  it('a change pushed through one process reaches feeds on the others within a second', async () => {
    const owner = await trustedAccount(new Api(servers[0]!.url), uniqueEmail('fanout'));
    // The same account signed in on the other processes (sessions of the trusted device).
    const readers = [];
    for (const server of servers.slice(1)) {
      const api = new Api(server.url);
      const session = await login(api, {
        email: owner.email,
        password: owner.password,
        deviceId: owner.deviceId,
      });
      expect(session.status).toBe(200);
      const reader = new FeedReader(api.as(session.body.session));
      readers.push({ api: api.as(session.body.session), reader });
    }
    for (const { reader } of readers) await waitUntilOpen(reader);

    const latencies: number[] = [];
    const id = crypto.randomUUID();
    let version = 0;
    for (let round = 1; round <= 20; round++) {
      const sentAt = performance.now();
      const push = await owner.api.post('/v1/items', {
        items: [
          {
            id,
            baseVersion: version,
            epoch: 1,
            ciphertext: `round-${round}-${'x'.repeat(200)}`,
            deleted: false,
          },
        ],
      });
      expect(push.status).toBe(200);
      version = push.body.head;
      for (const { api, reader } of readers) {
        await reader.waitFor(
          (events) => events.some((e) => e.event === 'items' && e.data.head === version),
          5_000,
        );
        latencies.push(performance.now() - sentAt);
        // Whatever the feed announced is readable through that process at once.
        const pulled = await api.get(`/v1/items?since=${version - 1}`);
        expect(pulled.body.items).toEqual([expect.objectContaining({ id, version })]);
      }
    }
    for (const { reader } of readers) reader.close();
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const max = latencies.at(-1)!;
    console.info(
      `cross-process feed latency over ${latencies.length} deliveries: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
    // Generous for a loaded 2-core CI machine; the figure above is what matters.
    expect(max).toBeLessThan(5_000);
  });

  it('sign-in attempts are counted in the database, whichever process takes them', async () => {
    const api = new Api(servers[0]!.url);
    const { email } = await trustedAccount(api, uniqueEmail('limits'));
    const viaProxy = new Api(proxy.url);
    await opaque.ready;
    const statuses: number[] = [];
    // 10 free attempts, then back-off: were the count per process, three processes would allow ~30.
    for (let i = 0; i < 12; i++) {
      const { startLoginRequest } = opaque.client.startLogin({ password: 'a wrong password' });
      statuses.push((await viaProxy.post('/v1/sessions/start', { email, startLoginRequest })).status);
    }
    expect(statuses.slice(0, 11)).toEqual(Array(11).fill(200));
    expect(statuses[11]).toBe(429);
  });

  it('a device works through a balancer that sends each request to another process; escrow attempts are shared', async () => {
    const first = await Device.create('laptop');
    const email = uniqueEmail('roundrobin');
    expect(await first.signup(proxy.url, email)).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){8}$/);
    await first.vault.addMany([entry(1), entry(2, 'hotp')]);
    expect((await syncRound(first.keychain)).pushed).toBe(2);
    await setPin(first.keychain, PIN);

    // OPAQUE sign-in and the PIN proof each span two requests, here on two different processes.
    const second = await Device.create('phone');
    await second.login(proxy.url, email);
    await recoverWithPin(second.keychain, PIN);
    await syncRound(second.keychain);
    const view = (d: Device) => d.vault.entries().map((e) => [e.issuer, e.secret, e.counter]);
    expect(view(second)).toEqual(view(first));

    // Wrong PINs from a third device, spread over every process, count down one shared budget.
    const third = await Device.create('stolen');
    await third.login(proxy.url, email);
    const api = new Api(proxy.url, third.keychain.state!.session);
    const left: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { startLoginRequest } = opaque.client.startLogin({ password: 'not the pin' });
      const res = await api.post('/v1/escrow/login/start', { startLoginRequest });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      left.push(res.body.attemptsLeft);
    }
    expect(left).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const final = await untilNotRateLimited(() =>
      api.post('/v1/escrow/login/start', {
        startLoginRequest: opaque.client.startLogin({ password: 'x' }).startLoginRequest,
      }),
    );
    expect(final.status).toBe(410);
    expect(final.body.error).toBe('escrow-destroyed');
    for (const server of servers) {
      const status = await new Api(server.url, api.token).get('/v1/escrow/status');
      expect(status.body).toMatchObject({ destroyed: true, attemptsLeft: 0 });
    }
  });

  it('no process crashed or logged an error along the way', () => {
    for (const server of servers) {
      expect(server.child.exitCode).toBeNull();
      expect(server.output()).not.toMatch(/"level":(50|60)/);
    }
  });
});

async function waitUntilOpen(reader: FeedReader): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (reader.status === 0 && Date.now() < deadline) await sleep(10);
  expect(reader.status).toBe(200);
}

/** Retries while the answer is 429, waiting as long as the server says. */
async function untilNotRateLimited<T extends { status: number; headers: Headers }>(
  call: () => Promise<T>,
): Promise<T> {
  for (;;) {
    const res = await call();
    if (res.status !== 429) return res;
    await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
  }
}
