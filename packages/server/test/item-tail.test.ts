/**
 * Pulls answered from the recent item changes a process heard announced (src/item-tail.ts,
 * migration 0009), and the guards that send a pull to the database instead: a head below the
 * client's `atLeast` (a push answered by another process whose notification has not arrived), a gap
 * in the announced versions (a lost notification, rows too large to announce), a range older than
 * the tail, and clients that send no hint.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ItemTail, TAIL_KEPT, type TailItem } from '../src/item-tail.js';
import {
  Api,
  BACKENDS,
  FeedReader,
  item,
  itemHeads,
  trustedAccount,
  twoProcesses,
  uniqueEmail,
} from './helpers.js';

const row = (id: string, version: number): TailItem => ({
  id,
  version,
  epoch: 1,
  ciphertext: `c${version}`,
  deleted: false,
});

describe('ItemTail', () => {
  it('answers a covered range with the latest copy of each item, in version order', () => {
    const tail = new ItemTail();
    expect(tail.page(0, 10, 0)).toBeNull();
    tail.add([row('a', 5), row('b', 6)], 6);
    tail.add([row('a', 7)], 7);
    expect(tail.page(4, 10, 7)).toEqual({ items: [row('b', 6), row('a', 7)], head: 7, more: false });
    expect(tail.page(6, 10, 7)).toEqual({ items: [row('a', 7)], head: 7, more: false });
    expect(tail.page(7, 10, 7)).toEqual({ items: [], head: 7, more: false });
    expect(tail.page(4, 1, 0)).toEqual({ items: [row('b', 6)], head: 7, more: true });
  });

  it('reads when the range starts before what is known, or the head is below atLeast', () => {
    const tail = new ItemTail();
    tail.add([row('a', 5)], 5);
    expect(tail.page(3, 10, 5)).toBeNull(); // version 4 is not known here
    expect(tail.page(4, 10, 6)).toBeNull(); // the client knows of version 6
    expect(tail.page(6, 10, 6)).toBeNull(); // beyond the tail
    expect(tail.page(4, 10, 5)).not.toBeNull();
  });

  it('starts afresh after a gap, and forgets everything after a push announced without rows', () => {
    const tail = new ItemTail();
    tail.add([row('a', 1)], 1);
    tail.add([row('b', 3)], 3); // version 2 was never announced here
    expect(tail.page(1, 10, 3)).toBeNull();
    expect(tail.page(2, 10, 3)?.items).toEqual([row('b', 3)]);
    tail.add(undefined, 4);
    expect(tail.page(3, 10, 0)).toBeNull();
    tail.add([row('c', 6), row('d', 8)], 8); // not consecutive: not trusted
    expect(tail.page(5, 10, 0)).toBeNull();
  });

  it('keeps a bounded number of items, raising its start as it drops the oldest', () => {
    const tail = new ItemTail();
    for (let v = 1; v <= TAIL_KEPT + 3; v++) tail.add([row(`i${v}`, v)], v);
    expect(tail.page(2, 500, 0)).toBeNull();
    expect(tail.page(3, 500, 0)?.items.length).toBe(TAIL_KEPT);
    // And a bounded number of ciphertext characters.
    const big = (id: string, version: number) => ({ ...row(id, version), ciphertext: 'x'.repeat(6000) });
    tail.add([big('b1', TAIL_KEPT + 4)], TAIL_KEPT + 4);
    tail.add([big('b2', TAIL_KEPT + 5), big('b3', TAIL_KEPT + 6)], TAIL_KEPT + 6);
    expect(tail.page(TAIL_KEPT + 3, 500, 0)).toBeNull();
    expect(tail.page(TAIL_KEPT + 4, 500, 0)?.items.map((e) => e.id)).toEqual(['b2', 'b3']);
    // A superseded copy no longer counts.
    tail.add([row('b2', TAIL_KEPT + 7)], TAIL_KEPT + 7);
    tail.add([big('b4', TAIL_KEPT + 8)], TAIL_KEPT + 8);
    expect(tail.page(TAIL_KEPT + 4, 500, 0)?.items.map((e) => e.id)).toEqual(['b3', 'b2', 'b4']);
  });
});

const heads = itemHeads;

describe.each(BACKENDS)('pulls with atLeast (%s)', (backend) => {
  const { servers, counter } = twoProcesses(backend);
  const fromMemory = (api: Api) => counter(api, 'tessera_item_pulls_from_memory_total');

  /** An account with a feed on B that has heard its first push (version 1), and its API on B. */
  async function accountHeardOnB() {
    const { a, b } = servers;
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const feed = new FeedReader(onB);
    await feed.waitFor(() => feed.status === 200);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    await feed.waitFor(() => heads(feed).length === 1);
    return { account, onB, feed };
  }

  it('a caught-up pull with the hint gives what a read gives; from memory on PostgreSQL only', async () => {
    const { a, b } = servers;
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const feeds = [new FeedReader(account.api), new FeedReader(onB)];
    for (const f of feeds) await f.waitFor(() => f.status === 200);
    const before = (await fromMemory(a)) + (await fromMemory(b));
    const pushed = [];
    for (let n = 1; n <= 4; n++) {
      const res = await (n % 2 ? onB : account.api).post('/v1/items', { items: [item()] });
      expect(res.status).toBe(200);
      pushed.push(res.body.head);
      for (const f of feeds) await f.waitFor(() => heads(f).length === n);
    }
    expect(pushed).toEqual([1, 2, 3, 4]);
    let served = 0;
    for (const api of [account.api, onB]) {
      for (const since of [0, 2, 3, 4]) {
        const hinted = await api.get(`/v1/items?since=${since}&limit=2&atLeast=4`);
        const read = await api.get(`/v1/items?since=${since}&limit=2`);
        expect(hinted.status).toBe(200);
        expect(hinted.body).toEqual(read.body);
        served++;
      }
    }
    // The tail starts with the first push heard here (version 1), so since=0 is covered too.
    const after = (await fromMemory(a)) + (await fromMemory(b));
    expect(after - before).toBe(backend === 'postgres' ? served : 0);
    for (const f of feeds) f.close();
  });

  if (backend !== 'postgres') return;

  /** A push as the server makes it, its notification lost (trigger off, as with LISTEN down). */
  async function silentPush(accountId: string): Promise<number> {
    const client = new pg.Client({ connectionString: servers.store.database });
    await client.connect();
    try {
      await client.query('SET session_replication_role = replica');
      const it = item();
      const { rows } = await client.query(
        `select tessera_push($1, $2::text[], $3::bigint[], $4::integer[], $5::text[], $6::integer[], $7::bigint, 5000) as outcome`,
        [accountId, [it.id], [0], [1], [it.ciphertext], [0], Date.now()],
      );
      expect(rows[0].outcome.kind).toBe('ok');
      return rows[0].outcome.head as number;
    } finally {
      await client.end();
    }
  }

  it('a push this process has not heard of is read, never served stale, when the client knows of it', async () => {
    const { b } = servers;
    const { account, onB, feed } = await accountHeardOnB();
    const before = await fromMemory(b);
    expect((await onB.get('/v1/items?since=0&atLeast=1')).body.head).toBe(1);
    expect(await fromMemory(b)).toBe(before + 1);
    // Committed, and (as far as B knows) not yet announced: B's tail still ends at 1.
    const head = await silentPush(account.accountId);
    expect(head).toBe(2);
    const page = await onB.get(`/v1/items?since=1&atLeast=${head}`);
    expect(page.body.head).toBe(2);
    expect(page.body.items.map((x: { version: number }) => x.version)).toEqual([2]);
    expect(await fromMemory(b)).toBe(before + 1);
    feed.close();
  });

  it('after a lost notification or rows too large to announce, pulls across the gap read', async () => {
    const { b } = servers;
    const { account, onB, feed } = await accountHeardOnB();
    expect(await silentPush(account.accountId)).toBe(2);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    // The feed itself reads the silent event from the log when the next one shows the gap.
    await feed.waitFor(() => heads(feed).at(-1) === 3);
    // B heard versions 1 and 3, not 2: a device at 1 must get 2 as well.
    const acrossLost = await onB.get('/v1/items?since=1&atLeast=3');
    expect(acrossLost.body.items.map((x: { version: number }) => x.version)).toEqual([2, 3]);

    // An item too large for the notification (announced without its rows), then a small one.
    expect((await account.api.post('/v1/items', { items: [item(7000)] })).status).toBe(200);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    await feed.waitFor(() => heads(feed).at(-1) === 5);
    const acrossLarge = await onB.get('/v1/items?since=3&atLeast=5');
    expect(acrossLarge.body.items.map((x: { version: number }) => x.version)).toEqual([4, 5]);
    expect(acrossLarge.body.items[0].ciphertext.length).toBeGreaterThan(9000);
    // After the gap the tail covers only what it heard since: that is served from memory.
    const before = await fromMemory(b);
    const after = await onB.get('/v1/items?since=4&atLeast=5');
    expect(after.body).toEqual((await onB.get('/v1/items?since=4')).body);
    expect(await fromMemory(b)).toBe(before + 1);
    feed.close();
  });
});
