import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '@tessera/protocol';
import {
  BACKENDS,
  b64u,
  login,
  newDevice,
  register,
  trustedAccount,
  uniqueEmail,
  useServer,
  type Json,
} from './helpers.js';

const cipher = (bytes = 300) => b64u(randomBytes(bytes));
const item = (
  fields: Partial<{
    id: string;
    baseVersion: number;
    epoch: number;
    ciphertext: string;
    deleted: boolean;
  }> = {},
) => ({
  id: randomUUID(),
  baseVersion: 0,
  epoch: 1,
  ciphertext: cipher(),
  deleted: false,
  ...fields,
});

describe.each(BACKENDS)('items (%s)', (backend) => {
  const { api } = useServer(backend);

  it('pushes new items, pulls them in version order, pages with more', async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const items = Array.from({ length: 5 }, () => item());
    const push = await me.post('/v1/items', { items });
    expect(push.status).toBe(200);
    expect(push.body).toEqual({ versions: items.map((it, i) => ({ id: it.id, version: i + 1 })), head: 5 });

    const all = await me.get('/v1/items');
    expect(all.body.head).toBe(5);
    expect(all.body.more).toBe(false);
    expect(all.body.items).toEqual(
      items.map((it, i) => ({
        id: it.id,
        version: i + 1,
        epoch: 1,
        ciphertext: it.ciphertext,
        deleted: false,
      })),
    );
    const page = await me.get('/v1/items?since=1&limit=2');
    expect(page.body.items.map((i: Json) => i.version)).toEqual([2, 3]);
    expect(page.body.more).toBe(true);
    expect((await me.get('/v1/items?since=5')).body).toEqual({ items: [], head: 5, more: false });
  });

  it('compares and swaps on the base version; a conflict writes nothing', async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const [a, b] = [item(), item()];
    await me.post('/v1/items', { items: [a, b] });
    const edit = await me.post('/v1/items', { items: [{ ...a, baseVersion: 1, ciphertext: cipher() }] });
    expect(edit.body).toEqual({ versions: [{ id: a.id, version: 3 }], head: 3 });

    const newB = cipher();
    const stale = await me.post('/v1/items', {
      items: [
        { ...b, baseVersion: 2, ciphertext: newB },
        { ...a, baseVersion: 1 },
      ],
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'conflict', conflicts: [{ id: a.id, version: 3 }] } });
    const recreate = await me.post('/v1/items', { items: [{ ...b, baseVersion: 0 }] });
    expect(recreate.body.error.conflicts).toEqual([{ id: b.id, version: 2 }]);
    const after = await me.get('/v1/items');
    expect(after.body.head).toBe(3);
    expect(after.body.items.find((i: Json) => i.id === b.id).ciphertext).toBe(b.ciphertext);
    const missing = await me.post('/v1/items', { items: [item({ baseVersion: 7 })] });
    expect(missing.body.error.conflicts[0].version).toBe(0);
  });

  it('under concurrent pushes on one base exactly one wins; pushes of different items all land, versions unique', async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const a = item();
    await me.post('/v1/items', { items: [a] });
    // On PostgreSQL these run as concurrent transactions on separate pooled connections: a push
    // that waited for the account lock must still see the push that committed before it.
    const racing = await Promise.all(
      Array.from({ length: 8 }, () =>
        me.post('/v1/items', { items: [{ ...a, baseVersion: 1, ciphertext: cipher() }] }),
      ),
    );
    expect(racing.filter((r) => r.status === 200)).toHaveLength(1);
    for (const lost of racing.filter((r) => r.status !== 200)) {
      expect(lost.status).toBe(409);
      expect(lost.body.error.conflicts).toEqual([{ id: a.id, version: 2 }]);
    }
    const fresh = Array.from({ length: 8 }, () => item());
    const landed = await Promise.all(fresh.map((it) => me.post('/v1/items', { items: [it] })));
    expect(landed.map((r) => r.status)).toEqual(fresh.map(() => 200));
    const versions = landed.map((r) => r.body.versions[0].version as number).sort((x, y) => x - y);
    expect(versions).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const pulled = await me.get('/v1/items?since=2');
    expect(pulled.body.head).toBe(10);
    expect(pulled.body.items.map((i: Json) => i.version)).toEqual(versions);
  });

  it('keeps tombstones and syncs them like Json change', async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const a = item();
    await me.post('/v1/items', { items: [a] });
    const del = await me.post('/v1/items', {
      items: [{ ...a, baseVersion: 1, deleted: true, ciphertext: cipher() }],
    });
    expect(del.status).toBe(200);
    const pulled = await me.get('/v1/items?since=1');
    expect(pulled.body.items).toEqual([expect.objectContaining({ id: a.id, version: 2, deleted: true })]);
  });

  it('enforces the size and count limits with 413 and 422, storing nothing', async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const tooMany = await me.post('/v1/items', {
      items: Array.from({ length: LIMITS.maxItemsPerPush + 1 }, () => item({ ciphertext: 'AA' })),
    });
    expect(tooMany.status).toBe(413);
    const big = await me.post('/v1/items', {
      items: [item({ ciphertext: 'A'.repeat(LIMITS.maxCiphertextChars + 1) })],
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too-large');
    const largest = await me.post('/v1/items', {
      items: [item({ ciphertext: 'A'.repeat(LIMITS.maxCiphertextChars) })],
    });
    expect(largest.status).toBe(200);
    const dup = item();
    expect((await me.post('/v1/items', { items: [dup, dup] })).status).toBe(422);
    expect((await me.post('/v1/items', { items: [item({ epoch: 2 })] })).status).toBe(422);
    expect((await me.get('/v1/items')).body.head).toBe(1);
  });

  it(`holds at most ${LIMITS.maxLiveItems} live items per account; tombstones do not count`, async () => {
    const { api: me } = await trustedAccount(api, uniqueEmail());
    const first: string[] = [];
    for (let n = 0; n < LIMITS.maxLiveItems; n += LIMITS.maxItemsPerPush) {
      const batch = Array.from({ length: LIMITS.maxItemsPerPush }, () => item({ ciphertext: 'AAAA' }));
      if (n === 0) first.push(batch[0]!.id);
      expect((await me.post('/v1/items', { items: batch })).status).toBe(200);
    }
    const over = await me.post('/v1/items', { items: [item()] });
    expect(over.status).toBe(422);
    expect(over.body.error.code).toBe('too-many-items');
    const swap = await me.post('/v1/items', {
      items: [{ ...item(), id: first[0]!, baseVersion: 1, deleted: true }, item()],
    });
    expect(swap.status).toBe(200);
  }, 60_000);

  it('keeps accounts apart: same item id, separate versions, no cross reads', async () => {
    const a = await trustedAccount(api, uniqueEmail());
    const b = await trustedAccount(api, uniqueEmail());
    const shared = item();
    await a.api.post('/v1/items', { items: [shared] });
    await a.api.post('/v1/items', { items: [item()] });
    expect((await b.api.get('/v1/items')).body).toEqual({ items: [], head: 0, more: false });
    const mine = await b.api.post('/v1/items', { items: [{ ...shared, ciphertext: cipher() }] });
    expect(mine.body.versions).toEqual([{ id: shared.id, version: 1 }]);
    expect((await a.api.get('/v1/items')).body.items[0].ciphertext).toBe(shared.ciphertext);
  });

  it('refuses items to pending devices and malformed pushes', async () => {
    const pending = await register(api, uniqueEmail());
    expect((await pending.api.post('/v1/items', { items: [item()] })).status).toBe(403);
    // Reading is allowed (a restoring device pulls while it joins): the same page a trusted device
    // gets, and still no push.
    const owner = await trustedAccount(api, uniqueEmail());
    await owner.api.post('/v1/items', { items: [item(), item()] });
    const signedIn = await login(api, {
      email: owner.email,
      password: owner.password,
      device: newDevice('new'),
    });
    expect(signedIn.body.deviceStatus).toBe('pending');
    const joining = api.as(signedIn.body.session);
    const page = await joining.get('/v1/items?since=0&limit=1000');
    expect(page.status).toBe(200);
    expect(page.body).toEqual((await owner.api.get('/v1/items?since=0&limit=1000')).body);
    expect(page.body.items).toHaveLength(2);
    expect((await joining.post('/v1/items', { items: [item()] })).status).toBe(403);
    const { api: me } = await trustedAccount(api, uniqueEmail());
    for (const bad of [
      { items: [{ ...item(), baseVersion: '0' }] },
      { items: [{ ...item(), id: 'not-a-uuid' }] },
      { items: [{ ...item(), id: randomUUID().toUpperCase() }] },
      { items: [{ ...item(), extra: 1 }] },
      { items: [{ ...item(), ciphertext: 'has spaces' }] },
      { items: [{ ...item(), baseVersion: -1 }] },
      { items: [] },
      { items: 'nope' },
      [],
    ]) {
      const res = await me.post('/v1/items', bad);
      expect(res.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe('bad-request');
    }
    expect((await me.get('/v1/items?since=abc')).status).toBe(400);
    expect((await me.get('/v1/items?limit=100000')).status).toBe(400);
  });
});
