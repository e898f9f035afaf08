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
import { follow, recoverWithPin, setPin, syncRound, type KeychainError } from '@tessera/vault/keychain';
import { Api, trustedAccount, uniqueEmail } from '../helpers.js';
import {
  Device,
  entry,
  freshDatabase,
  roundRobinProxy,
  sharedSecrets,
  spawnServer,
  waitFor,
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

  it('a change synced through one process reaches devices on the others through the feed, every time', async () => {
    // One account, a trusted device on each process; the others follow the feed like the apps do.
    const [owner, ...others] = await Device.family(
      servers.map((s) => s.url),
      'fanout',
    );
    const { id } = await owner!.vault.add(entry(1));
    await syncRound(owner!.keychain);
    // Transient errors of the followers (they keep going), shown if a wait below times out.
    const errors: string[] = [];
    const following = others.map((device) => {
      const stop = new AbortController();
      const onError = (err: Error) => void errors.push(`${device.name}: ${err.message}`);
      const t0 = performance.now();
      const log = (m: string) =>
        void errors.push(`${device.name} +${(performance.now() - t0).toFixed(0)}ms ${m}`);
      return {
        device,
        stop,
        done: follow(device.keychain, {
          signal: stop.signal,
          onError,
          onConnected: () => log('connected'),
          onRound: (r) =>
            log(
              `round ${JSON.stringify(r)} cursor ${device.keychain.state?.cursor} entries ${device.vault.entries().length}`,
            ),
        }),
      };
    });
    const arrives = (what: string, check: () => unknown) =>
      // Arrival is the claim; how fast is bench:load's. The bound only keeps a lost change from hanging.
      waitFor(what, check, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; follower errors: ${errors.join(' | ') || 'none'}`, { cause: err });
      });
    for (const { device } of following)
      await arrives('the entry on every device', () => device.vault.get(id));

    for (let round = 1; round <= 15; round++) {
      const issuer = `Renamed ${round}`;
      await owner!.vault.update(id, { issuer });
      await syncRound(owner!.keychain);
      for (const { device } of following) {
        await arrives('the rename on the other device', () => device.vault.get(id)?.issuer === issuer);
      }
    }
    for (const { stop } of following) stop.abort();
    await Promise.all(following.map((f) => f.done));
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

    // Wrong PINs from a third device, spread over every process (the embedded realm's guesses live
    // in the shared database), count down one shared budget.
    const third = await Device.create('stolen');
    await third.login(proxy.url, email);
    const left: number[] = [];
    for (let i = 0; i < 10; i++) {
      const err = await recoverWithPin(third.keychain, 'not the pin').then(
        () => null,
        (e: KeychainError) => e,
      );
      expect(err?.code).toBe('wrong-pin');
      left.push(err!.details.attemptsLeft as number);
    }
    expect(left).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const final = await recoverWithPin(third.keychain, PIN).then(
      () => null,
      (e: KeychainError) => e,
    );
    expect(final?.code).toBe('escrow-destroyed');
    const record = first.keychain.requireTrusted().circle!.escrowRealms!.record;
    for (const server of servers) {
      const res = await fetch(`${server.url}/realm/v1/realm/recover1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          record,
          nonce: Buffer.alloc(32, 1).toString('base64url'),
          blinded: '4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY',
        }),
      });
      expect(res.status).toBe(410);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('realm-record-destroyed');
    }
  });

  it('no process crashed or logged an error along the way', () => {
    for (const server of servers) {
      expect(server.child.exitCode).toBeNull();
      expect(server.output()).not.toMatch(/"level":(50|60)/);
    }
  });
});
