import { describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  Api,
  BACKENDS,
  FeedReader,
  approvalLink,
  item,
  itemHeads,
  login,
  newDevice,
  removalLink,
  trustedAccount,
  twoProcesses,
  uniqueEmail,
  useServer,
} from './helpers.js';

describe.each(BACKENDS)('feed (%s)', (backend) => {
  const {
    store,
    apis: [a, b],
  } = useServer(backend, {}, {});

  it('delivers item, device and notice events live', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const feed = new FeedReader(account.api);
    await feed.waitFor(() => feed.status === 200);
    expect(feed.events).toEqual([]); // no replay without Last-Event-ID
    await account.api.post('/v1/items', { items: [item()] });
    await feed.waitFor((e) => e.some((x) => x.event === 'items'));
    expect(feed.events[0]).toMatchObject({ event: 'items', data: { head: 1 } });
    expect(feed.events[0]!.id).toMatch(/^\d+$/);

    const join = await login(a, { email: account.email, password: account.password, device: newDevice() });
    await feed.waitFor((e) => e.some((x) => x.event === 'devices'));
    const notice = feed.events.find((x) => x.event === 'notice');
    expect(notice?.data.notice).toMatchObject({
      kind: 'device-join-requested',
      data: { deviceId: join.body.deviceId },
    });
    feed.close();
  });

  it('tells a device waiting for approval of items and devices, never the keychain notices', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const join = await login(a, { email: account.email, password: account.password, device: newDevice() });
    const trusted = new FeedReader(account.api);
    const waiting = new FeedReader(a.as(join.body.session));
    await trusted.waitFor(() => trusted.status === 200);
    await waiting.waitFor(() => waiting.status === 200);
    // Another join request (a notice and a devices event), then an item: events in that order.
    await login(a, { email: account.email, password: account.password, device: newDevice('another') });
    await account.api.post('/v1/items', { items: [item()] });
    await trusted.waitFor((e) => e.some((x) => x.event === 'items'));
    await waiting.waitFor((e) => e.some((x) => x.event === 'items'));
    const kinds = (feed: FeedReader) => [...new Set(feed.events.map((x) => x.event))].sort();
    expect(kinds(trusted)).toEqual(['devices', 'items', 'notice']);
    expect(kinds(waiting)).toEqual(['devices', 'items']);
    trusted.close();
    waiting.close();
  });

  it('resumes from Last-Event-ID with exactly the missed events', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const first = new FeedReader(account.api);
    await first.waitFor(() => first.status === 200);
    await account.api.post('/v1/items', { items: [item()] });
    await first.waitFor((e) => e.length === 1);
    first.close();
    const lastId = first.events[0]!.id;
    await account.api.post('/v1/items', { items: [item()] });
    await account.api.post('/v1/items', { items: [item()] });

    const resumed = new FeedReader(account.api, lastId);
    await resumed.waitFor((e) => e.length >= 2);
    expect(resumed.events.map((e) => e.data.head)).toEqual([2, 3]);
    expect(Number(resumed.events[0]!.id)).toBeGreaterThan(Number(lastId));
    await account.api.post('/v1/items', { items: [item()] });
    await resumed.waitFor((e) => e.length === 3);
    expect(resumed.events[2]!.data.head).toBe(4);
    resumed.close();
  });

  it('delivers events made through another server instance on the same database', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const onA = new FeedReader(account.api);
    await onA.waitFor(() => onA.status === 200);
    const viaB = new Api(b.url, account.api.token);
    expect((await viaB.post('/v1/items', { items: [item(), item()] })).status).toBe(200);
    await onA.waitFor((e) => e.some((x) => x.event === 'items' && x.data.head === 2));
    onA.close();
  });

  it('ends the feed of a removed device and refuses a feed without a session', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const device = newDevice('phone');
    const join = await login(a, { email: account.email, password: account.password, device });
    const phone = a.as(join.body.session);
    const add = approvalLink(account, join.body.deviceId, device);
    const head = (await account.api.post('/v1/circle', { link: add, wraps: [] })).body.head;
    const feed = new FeedReader(phone);
    await feed.waitFor(() => feed.status === 200);
    const remove = removalLink(account, head, add.device);
    expect(
      (await new Api(b.url, account.api.token).post('/v1/circle', { link: remove, wraps: [] })).status,
    ).toBe(200);
    await feed.ended;
    const anonymous = new FeedReader(a.as(null));
    await anonymous.waitFor(() => anonymous.status !== 0);
    expect(anonymous.status).toBe(401);
  });

  it('every feed of an account gets every event, in order, while they share reads; a sign-out elsewhere ends only its own feed', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const second = await login(a, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    const other = a.as(second.body.session);
    const feeds = [new FeedReader(account.api), new FeedReader(account.api), new FeedReader(other)];
    for (const f of feeds) await f.waitFor(() => f.status === 200);
    // Pushed from the other process too, so wakes come both locally and through the bus.
    const viaB = new Api(b.url, account.api.token);
    for (let n = 0; n < 6; n++)
      expect((await (n % 2 ? viaB : account.api).post('/v1/items', { items: [item()] })).status).toBe(200);
    for (const f of feeds) await f.waitFor((e) => e.filter((x) => x.event === 'items').length === 6);
    const heads = (f: FeedReader) => f.events.filter((x) => x.event === 'items').map((x) => x.data.head);
    for (const f of feeds) expect(heads(f)).toEqual([1, 2, 3, 4, 5, 6]);
    // Signing out (on the other process) writes no event; its feed still ends before the next event,
    // while the others go on.
    expect((await new Api(b.url, second.body.session).delete('/v1/sessions/current')).status).toBe(204);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    for (const f of feeds.slice(0, 2))
      await f.waitFor((e) => e.filter((x) => x.event === 'items').length === 7);
    await feeds[2]!.ended;
    expect(heads(feeds[2]!)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const f of feeds.slice(0, 2)) f.close();
  });

  it('under concurrent pushes through both processes, every feed on each gets every event once, in order', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const feeds = [account.api, account.api, account.api, onB, onB, onB].map((api) => new FeedReader(api));
    for (const f of feeds) await f.waitFor(() => f.status === 200);
    const pushes = 40;
    const results = await Promise.all(
      Array.from({ length: pushes }, (_, n) =>
        (n % 2 ? onB : account.api).post('/v1/items', { items: [item()] }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const expected = Array.from({ length: pushes }, (_, n) => n + 1);
    for (const f of feeds) {
      await f.waitFor((e) => e.filter((x) => x.event === 'items').length >= pushes);
      expect(f.events.filter((x) => x.event === 'items').map((x) => x.data.head)).toEqual(expected);
      f.close();
    }
  });

  it('accepts the client version as a query parameter, for EventSource', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const bare = new Api(a.url, account.api.token, null);
    expect((await bare.get('/v1/feed')).status).toBe(400);
    const controller = new AbortController();
    const res = await fetch(`${a.url}/v1/feed?client=tessera-web/0.2.0`, {
      headers: { authorization: `Bearer ${account.api.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    controller.abort();
  });

  it('closes open feeds when the server shuts down', async () => {
    const server = await store.start();
    const account = await trustedAccount(new Api(server.url), uniqueEmail());
    const feed = new FeedReader(new Api(server.url, account.api.token));
    await feed.waitFor(() => feed.status === 200);
    // `ended` settles only when the server closes the stream; a feed left open fails by the test timeout.
    await server.close();
    await feed.ended;
  });
});

/**
 * PostgreSQL announces each event in its notification with the id of the account's previous event
 * (migration 0008): feeds that have sent that previous event send it without reading the log, and a
 * feed that cannot continue the chain (an event too large to announce, a gap) reads, so nothing is
 * skipped or sent twice.
 */
describe('feed announcements (postgres)', () => {
  const { servers, counter } = twoProcesses('postgres');
  const heads = itemHeads;

  it('caught-up feeds on every process send announced events without reading the log', async () => {
    const { a, b } = servers;
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const feeds = [account.api, account.api, onB].map((api) => new FeedReader(api));
    for (const f of feeds) await f.waitFor(() => f.status === 200);
    // The first event settles every feed (notifications of the sign-up arrive before it).
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    for (const f of feeds) await f.waitFor(() => heads(f).length === 1);
    const readsBefore = [
      await counter(a, 'tessera_feed_reads_total'),
      await counter(b, 'tessera_feed_reads_total'),
    ];
    const announcedBefore = await counter(a, 'tessera_feed_events_announced_total');
    for (let n = 2; n <= 6; n++) {
      expect((await (n % 2 ? onB : account.api).post('/v1/items', { items: [item()] })).status).toBe(200);
      for (const f of feeds) await f.waitFor(() => heads(f).length === n);
    }
    for (const f of feeds) expect(heads(f)).toEqual([1, 2, 3, 4, 5, 6]);
    expect([
      await counter(a, 'tessera_feed_reads_total'),
      await counter(b, 'tessera_feed_reads_total'),
    ]).toEqual(readsBefore);
    // Two feeds on this process, five events each.
    expect((await counter(a, 'tessera_feed_events_announced_total')) - announcedBefore).toBe(10);
    for (const f of feeds) f.close();
  });

  it('an event announced without its data, or whose notification was lost, is read from the log, in order', async () => {
    const { a, b, store } = servers;
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const feeds = [new FeedReader(account.api), new FeedReader(onB)];
    for (const f of feeds) await f.waitFor(() => f.status === 200);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    for (const f of feeds) await f.waitFor(() => heads(f).length === 1);
    // Written as the server writes events (under the account row lock): one with data past the
    // notification's bound (announced without it), one with its trigger off (no notification at
    // all, as when the LISTEN connection was down).
    const big = { folder: 'x'.repeat(9000) };
    const silent = { folder: 'silent' };
    const client = new pg.Client({ connectionString: store.database });
    await client.connect();
    try {
      const write = (data: unknown) =>
        client.query(
          `WITH locked AS (SELECT id FROM accounts WHERE id = $1 FOR UPDATE)
           INSERT INTO events (account_id, type, data, created_at) SELECT id, 'folders', $2, $3 FROM locked`,
          [account.accountId, JSON.stringify(data), Date.now()],
        );
      await write(big);
      expect((await onB.post('/v1/items', { items: [item()] })).status).toBe(200);
      for (const f of feeds) await f.waitFor(() => heads(f).length === 2);
      await client.query('SET session_replication_role = replica');
      await write(silent);
    } finally {
      await client.end();
    }
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    for (const f of feeds) {
      await f.waitFor(() => heads(f).length === 3);
      const kinds = f.events.map((x) => (x.event === 'folders' ? x.data.folder.slice(0, 6) : x.event));
      expect(kinds.slice(kinds.indexOf('xxxxxx'))).toEqual(['xxxxxx', 'items', 'silent', 'items']);
      expect(f.events.find((x) => x.event === 'folders')!.data).toEqual(big);
      expect(heads(f)).toEqual([1, 2, 3]);
      const ids = f.events.map((x) => Number(x.id));
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      f.close();
    }
  });
});
