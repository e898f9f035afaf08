/**
 * The database goes away under two running server processes and comes back: requests fail fast
 * with 503 and a clear error (never a hang or a crash), the processes recover by themselves, and
 * feeds, live or resuming with Last-Event-ID, get every event exactly once, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../helpers.js';
import {
  Device,
  FeedFollower,
  PrivatePostgres,
  sharedSecrets,
  spawnServer,
  sleep,
  waitFor,
  type ServerProcess,
} from './harness.js';

describe('a PostgreSQL outage under two server processes', () => {
  let cluster: PrivatePostgres;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    cluster = await PrivatePostgres.create();
    const env = await sharedSecrets();
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-outage-'));
      dirs.push(dataDir);
      servers.push(await spawnServer({ database: cluster.url(), dataDir, env }));
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while the database is down, recovers by itself, and loses no feed event', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const [first, second] = await Device.family([a.url, b.url], 'outage');
    const owner = { api: first!.api(), email: first!.keychain.state!.email };
    const onB = second!.api();
    const id = crypto.randomUUID();
    let version = 0;
    const push = async (api: Api) => {
      const res = await api.post('/v1/items', {
        items: [{ id, baseVersion: version, epoch: 1, ciphertext: `v${version + 1}`, deleted: false }],
      });
      if (res.status === 200) version = res.body.head;
      return res;
    };

    // One feed stays connected through the outage; the other is away and resumes afterwards.
    const live = new FeedFollower(b.url, onB.token!);
    const resuming = new FeedFollower(a.url, owner.api.token!);
    live.start();
    resuming.start();
    // A feed opened without Last-Event-ID starts from the present: push only once both are open.
    await waitFor('both feeds to open', () => live.connections === 1 && resuming.connections === 1);
    expect((await push(owner.api)).status).toBe(200);
    await waitFor(
      'both feeds to see version 1',
      () => live.heads().includes(1) && resuming.heads().includes(1),
    );
    await resuming.pause();

    await cluster.stop();
    const stoppedAt = performance.now();
    await opaque.ready;
    const { startLoginRequest } = opaque.client.startLogin({ password: 'whatever it is' });
    const timings: number[] = [];
    for (const server of servers) {
      const api = new Api(server.url, server === a ? owner.api.token : onB.token);
      for (const call of [
        () => api.get('/v1/items'),
        () => push(api),
        () => api.get('/v1/escrow/status'),
        () => new Api(server.url).post('/v1/sessions/start', { email: owner.email, startLoginRequest }),
      ]) {
        const started = performance.now();
        const res = await call();
        timings.push(performance.now() - started);
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body).toEqual({
          error: { code: 'database-unavailable', message: 'The database is unavailable; try again shortly.' },
        });
      }
      expect((await api.get('/readyz')).status).toBe(503);
      expect((await api.get('/healthz')).status).toBe(200);
    }
    console.info(`503 answers during the outage: slowest ${Math.max(...timings).toFixed(0)} ms`);
    // Each request above got its 503 (a hang would time the test out); how fast is a figure, not a claim.

    // Down long enough for every reconnection attempt to fail a few times.
    await sleep(Math.max(0, 6_000 - (performance.now() - stoppedAt)));
    const restarted = performance.now();
    await cluster.start();
    for (const server of servers) {
      await waitFor(
        'readiness after the database returns',
        async () => (await new Api(server.url).get('/readyz')).status === 200,
        30_000,
      );
    }
    console.info(`ready again ${(performance.now() - restarted).toFixed(0)} ms after the database started`);

    // Writes through both processes; the live feed on B hears A's (LISTEN reconnected) and its own.
    const pushedAt = performance.now();
    expect((await push(owner.api)).status).toBe(200);
    await waitFor('the live feed to see version 2', () => live.heads().includes(2), 30_000);
    console.info(
      `live feed on the other process heard a push ${(performance.now() - pushedAt).toFixed(0)} ms later (connections: ${live.connections})`,
    );
    // LISTEN re-opened after the outage: the feed heard the push (the wait above), however long it was down.
    expect((await push(onB)).status).toBe(200);
    await waitFor('the live feed to see version 3', () => live.heads().includes(3), 30_000);
    resuming.start();
    await waitFor('the resumed feed to catch up', () => resuming.heads().includes(3), 10_000);
    await live.pause();
    await resuming.pause();
    expect(live.heads()).toEqual([1, 2, 3]);
    expect(resuming.heads()).toEqual([1, 2, 3]);
    expect(resuming.connections).toBe(2);

    for (const server of servers) {
      expect(server.child.exitCode).toBeNull();
      expect(server.output()).not.toMatch(/"level":60/);
    }
    const items = await owner.api.get('/v1/items');
    expect(items.body.items).toEqual([expect.objectContaining({ id, version: 3, ciphertext: 'v3' })]);
  });
});
