/**
 * The per-process session cache (src/session-cache.ts) must not keep a revoked session alive: the
 * process that revokes forgets at once, other processes on the same database when the revocation's
 * notification arrives (long before their TTL), and a lookup racing a revocation is not stored.
 */
import { describe, expect, it, vi } from 'vitest';
import { SessionCache, type CachedSession } from '../src/session-cache.js';
import pg from 'pg';
import { ALL_ACCOUNTS, LISTEN_APPLICATION_NAME, SESSIONS_CHANNEL, postgresBus } from '../src/events.js';
import { openDatabase, PG_TIMEOUTS } from '../src/db/connect.js';
import type { MainDatabase } from '../src/db/tables.js';
import {
  Api,
  BACKENDS,
  approvalLink,
  fakeWrap,
  linkDevice,
  login,
  newDevice,
  query,
  removalLink,
  trustedAccount,
  uniqueEmail,
  useServer,
  useStore,
  type Account,
} from './helpers.js';
import type { NewDevice } from '@tessera/protocol';

// The waits below may run to NOTIFY_WITHIN_MS on a busy machine: the tests' own bound, not the default.
vi.setConfig({ testTimeout: 2 * 60_000 });

type TrustedAccount = Awaited<ReturnType<typeof trustedAccount>>;

/** Far longer than any wait below: only the revocation notification can explain a 401. */
const OTHER_TTL_MS = 30 * 60_000;
/**
 * How long another process may take to hear a revocation (or lose its LISTEN connection) here: a
 * generous bound so a busy CI machine never turns it red, still far below OTHER_TTL_MS, so a missed
 * notification fails the test rather than expiring the cache in time.
 */
const NOTIFY_WITHIN_MS = 60_000;

/** Polls until `path` answers `status` (or fails after NOTIFY_WITHIN_MS). */
async function eventually(api: Api, path: string, status: number): Promise<void> {
  const deadline = Date.now() + NOTIFY_WITHIN_MS;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await api.get(path)).status;
    if (last === status) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(last, `${path} still answered ${last} after ${NOTIFY_WITHIN_MS} ms`).toBe(status);
}

describe.each(BACKENDS)('session cache and revocation (%s)', (backend) => {
  const {
    apis: [here, there],
  } = useServer(backend, {}, { sessionCacheTtlMs: OTHER_TTL_MS });

  /** A second device signs in (pending) on `here`. */
  async function joinDevice(account: Account, name: string) {
    const device = newDevice(name);
    const joined = await login(here, { email: account.email, password: account.password, device });
    expect(joined.status).toBe(200);
    return { device, deviceId: joined.body.deviceId as string, token: joined.body.session as string };
  }

  /** The account's first device approves `joined` (add-device at seq 1) and returns the new head. */
  async function approve(account: TrustedAccount, joined: { device: NewDevice; deviceId: string }) {
    const add = approvalLink(account, joined.deviceId, joined.device);
    const res = await account.api.post('/v1/circle', { link: add, wraps: [fakeWrap(joined.deviceId)] });
    expect(res.status).toBe(200);
    return res.body.head as { seq: number; hash: string };
  }

  it('approving a device lets it pull at once here and promptly on another process', async () => {
    const account = await trustedAccount(here, uniqueEmail());
    const phone = await joinDevice(account, 'phone');
    // Both processes cache the session while the device is pending (the folder list needs a trusted
    // device; a pending one may already pull item ciphertexts).
    expect((await here.as(phone.token).get('/v1/folders')).status).toBe(403);
    expect((await there.as(phone.token).get('/v1/folders')).status).toBe(403);
    expect((await here.as(phone.token).get('/v1/items')).status).toBe(200);
    await approve(account, phone);
    expect((await here.as(phone.token).get('/v1/folders')).status).toBe(200);
    await eventually(there.as(phone.token), '/v1/folders', 200);
  });

  it("a removed device's session gets 401 at once here and promptly on another process", async () => {
    const account = await trustedAccount(here, uniqueEmail());
    const laptop = await joinDevice(account, 'laptop');
    const { device, deviceId } = laptop;
    const head = await approve(account, laptop);
    const laptopHere = here.as(laptop.token);
    const laptopThere = there.as(laptop.token);
    expect((await laptopHere.get('/v1/items')).status).toBe(200);
    await eventually(laptopThere, '/v1/items', 200);

    const remove = removalLink(account, head, linkDevice(deviceId, device));
    const removed = await account.api.post('/v1/circle', {
      link: remove,
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(removed.status).toBe(200);
    expect((await laptopHere.get('/v1/items')).status).toBe(401);
    const push = {
      items: [{ id: crypto.randomUUID(), baseVersion: 0, epoch: 2, ciphertext: 'x', deleted: false }],
    };
    expect((await laptopHere.post('/v1/items', push)).status).toBe(401);
    await eventually(laptopThere, '/v1/items', 401);
    // The account's remaining device is unaffected.
    expect((await there.as(account.api.token).get('/v1/items')).status).toBe(200);
  });

  it('signing out ends the session at once here and promptly on another process', async () => {
    const account = await trustedAccount(here, uniqueEmail());
    const elsewhere = there.as(account.api.token);
    expect((await elsewhere.get('/v1/items')).status).toBe(200);
    expect((await account.api.get('/v1/items')).status).toBe(200);
    expect((await account.api.delete('/v1/sessions/current')).status).toBe(204);
    expect((await account.api.get('/v1/items')).status).toBe(401);
    await eventually(elsewhere, '/v1/items', 401);
  });
});

describe('SessionCache', () => {
  const session = (accountId: string): CachedSession => ({
    accountId,
    deviceId: 'd',
    expiresAt: Number.MAX_SAFE_INTEGER,
    lastUsedAt: 0,
    createdAt: 0,
    status: 'trusted',
  });

  it('keeps an entry for at most its TTL', () => {
    const cache = new SessionCache({ ttlMs: 5_000, maxEntries: 10 });
    cache.store('t', session('a'), cache.generation, 1_000);
    expect(cache.get('t', 5_999)).toBeDefined();
    expect(cache.get('t', 6_000)).toBeUndefined();
  });

  it('does not store a lookup that began before a revocation', () => {
    const cache = new SessionCache({ ttlMs: 5_000, maxEntries: 10 });
    const generation = cache.generation;
    cache.revoke('a');
    cache.store('t', session('a'), generation, 0);
    expect(cache.get('t', 0)).toBeUndefined();
  });

  it("forgets only the revoked account's sessions, or all of them", () => {
    const cache = new SessionCache({ ttlMs: 5_000, maxEntries: 10 });
    cache.store('t1', session('a'), cache.generation, 0);
    cache.store('t2', session('b'), cache.generation, 0);
    cache.revoke('a');
    expect(cache.get('t1', 0)).toBeUndefined();
    expect(cache.get('t2', 0)).toBeDefined();
    cache.revoke(ALL_ACCOUNTS);
    expect(cache.get('t2', 0)).toBeUndefined();
  });

  it('keeps an entry stored while revocations are heard for the longer TTL, only while they still are', () => {
    let heard = true;
    const cache = new SessionCache({ ttlMs: 5_000, heardTtlMs: 30_000, heard: () => heard, maxEntries: 10 });
    cache.store('t', session('a'), cache.generation, 0);
    expect(cache.get('t', 29_999)).toBeDefined();
    expect(cache.get('t', 30_000)).toBeUndefined();
    cache.store('t', session('a'), cache.generation, 0);
    heard = false;
    expect(cache.get('t', 5_000)).toBeUndefined();
    // Stored while not heard: the short TTL, even once they are heard again.
    cache.store('u', session('a'), cache.generation, 0);
    heard = true;
    expect(cache.get('u', 4_999)).toBeDefined();
    expect(cache.get('u', 5_000)).toBeUndefined();
  });

  it('stores nothing with TTL 0 and stays within maxEntries', () => {
    const off = new SessionCache({ ttlMs: 0, maxEntries: 10 });
    off.store('t', session('a'), off.generation, 0);
    expect(off.get('t', 0)).toBeUndefined();
    const small = new SessionCache({ ttlMs: 5_000, maxEntries: 2 });
    for (const t of ['t1', 't2', 't3']) small.store(t, session('a'), small.generation, 0);
    expect(small.get('t1', 0)).toBeUndefined();
    expect(small.get('t3', 0)).toBeDefined();
  });
});

describe('session cache and the LISTEN connection (postgres)', () => {
  const store = useStore('postgres');

  it("hears other processes' revocations, and its own once, not again when its echo comes back", async () => {
    const main = await openDatabase<MainDatabase>({ url: store.database });
    const bus = await postgresBus({ url: store.database, db: main.db, onError: () => {} });
    const other = new pg.Client({ connectionString: store.database });
    try {
      const heard: string[] = [];
      const marker = new Promise<void>((resolve) =>
        bus.onSessionsRevoked((accountId) => {
          heard.push(accountId);
          if (accountId === 'marker') resolve();
        }),
      );
      await bus.revokeSessions('own');
      expect(heard).toEqual(['own']);
      // Notifications arrive in commit order: once this one is heard, so would the echo have been.
      await other.connect();
      await other.query('SELECT pg_notify($1, $2)', [SESSIONS_CHANNEL, 'marker']);
      await marker;
      expect(heard).toEqual(['own', 'marker']);
    } finally {
      await other.end();
      await bus.close();
      await main.close();
    }
  });

  it('a revocation still goes out, through the pool, while the listening connection hangs', async () => {
    const main = await openDatabase<MainDatabase>({ url: store.database });
    const bus = await postgresBus({ url: store.database, db: main.db, onError: () => {} });
    const other = new pg.Client({ connectionString: store.database });
    let stopped: number | null = null;
    let resume: NodeJS.Timeout | undefined;
    try {
      await other.connect();
      await other.query(`LISTEN ${SESSIONS_CHANNEL}`);
      const heard = new Promise<pg.Notification>((resolve) =>
        other.on('notification', (msg) => msg.payload === 'hung' && resolve(msg)),
      );
      const [row] = await query(
        store,
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?',
        [LISTEN_APPLICATION_NAME],
      );
      // The backend stopped, not closed: its socket stays open and simply never answers.
      stopped = Number(row!.pid);
      process.kill(stopped, 'SIGSTOP');
      // A stopped backend blocks the whole cluster's DROP DATABASE: it is resumed even should the
      // revocation hang (the failure this test is for), and the NOTIFY must then be the pool's.
      resume = setTimeout(() => process.kill(stopped!, 'SIGCONT'), 3 * PG_TIMEOUTS.queryMs);
      await bus.revokeSessions('hung');
      expect((await heard).processId).not.toBe(stopped);
    } finally {
      clearTimeout(resume);
      if (stopped !== null) process.kill(stopped, 'SIGCONT');
      await other.end();
      await bus.close();
      await main.close();
    }
  });

  it('losing the LISTEN connection drops cached sessions, so a change it could not announce shows', async () => {
    // Long TTLs: only dropping the cache on the loss can explain a prompt 401 below.
    const api = new Api(
      (await store.start({ sessionCacheTtlMs: OTHER_TTL_MS, sessionCacheHeardTtlMs: OTHER_TTL_MS })).url,
    );
    const account = await trustedAccount(api, uniqueEmail());
    expect((await account.api.get('/v1/devices')).status).toBe(200);
    // Changed behind the server's back (no revocation notice): the cached look-up still answers.
    await query(store, 'UPDATE sessions SET expires_at = 0 WHERE device_id = ?', [account.deviceId]);
    expect((await account.api.get('/v1/devices')).status).toBe(200);
    const ended = await query(
      store,
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?',
      [LISTEN_APPLICATION_NAME],
    );
    expect(ended.length).toBeGreaterThan(0);
    await expect
      .poll(async () => (await account.api.get('/v1/devices')).status, { timeout: NOTIFY_WITHIN_MS })
      .toBe(401);
  });
});
