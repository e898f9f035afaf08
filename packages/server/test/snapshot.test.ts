// Restore snapshots on the server (docs/PROTOCOL.md §3.1): one per account, written by a trusted
// device, read by any device of the account; refused when stale (an older epoch, a head below the
// stored one's or above the item head) or too large; dropped by a rotation and by account deletion.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '@tessera/protocol';
import {
  Api,
  BACKENDS,
  b64u,
  createStore,
  fakeWrap,
  login,
  makeLink,
  newCircleKey,
  newDevice,
  query,
  trustedAccount,
  uniqueEmail,
  type TestStore,
} from './helpers.js';

const key = () => b64u(randomBytes(32));
const sig = () => b64u(randomBytes(64));
const cipher = (bytes = 2000) => b64u(randomBytes(bytes));
const item = () => ({ id: randomUUID(), baseVersion: 0, epoch: 1, ciphertext: cipher(300), deleted: false });

describe.each(BACKENDS)('restore snapshots (%s)', (backend) => {
  let store: TestStore;
  let api: Api;

  beforeAll(async () => {
    store = await createStore(backend);
    api = new Api((await store.start()).url);
  });
  afterAll(() => store.cleanup());

  /** A trusted account with `n` items (versions 1..n). */
  async function accountWithItems(n: number) {
    const account = await trustedAccount(api, uniqueEmail());
    if (n > 0) {
      const push = await account.api.post('/v1/items', { items: Array.from({ length: n }, item) });
      expect(push.status).toBe(200);
    }
    return account;
  }

  const put = (me: Api, body: unknown) => me.request('PUT', '/v1/snapshot', body);

  it('stores one snapshot, serves it to trusted and pending devices, and names its head in every pull', async () => {
    const account = await accountWithItems(3);
    expect((await api.get('/v1/meta')).body.snapshots).toBe(true);
    expect((await account.api.get('/v1/snapshot')).body.error.code).toBe('not-found');
    expect((await account.api.get('/v1/items')).body.snapshotHead).toBe(0);

    const first = { epoch: 1, head: 2, ciphertext: cipher() };
    expect((await put(account.api, first)).status).toBe(204);
    expect((await account.api.get('/v1/snapshot')).body).toEqual(first);
    expect((await account.api.get('/v1/items?since=3')).body).toEqual({
      items: [],
      head: 3,
      more: false,
      snapshotHead: 2,
    });
    // The same head again, then a later one: each replaces it.
    const same = { epoch: 1, head: 2, ciphertext: cipher() };
    expect((await put(account.api, same)).status).toBe(204);
    const later = { epoch: 1, head: 3, ciphertext: cipher() };
    expect((await put(account.api, later)).status).toBe(204);
    expect((await account.api.get('/v1/snapshot')).body).toEqual(later);

    // A pending device of the account reads it (a restore reads while it joins), and may not write.
    const signedIn = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice(),
    });
    const pending = api.as(signedIn.body.session);
    expect((await pending.get('/v1/snapshot')).body).toEqual(later);
    expect((await put(pending, { epoch: 1, head: 3, ciphertext: cipher() })).status).toBe(403);
    // Another account sees none of it.
    const other = await accountWithItems(0);
    expect((await other.api.get('/v1/snapshot')).status).toBe(404);
    const rows = await query(store, 'SELECT device_id FROM snapshots WHERE account_id = ?', [
      account.accountId,
    ]);
    expect(rows).toEqual([{ device_id: account.deviceId }]);
  });

  it('refuses a head above the item head, and a head below the stored one (a stale writer)', async () => {
    const account = await accountWithItems(4);
    const above = await put(account.api, { epoch: 1, head: 5, ciphertext: cipher() });
    expect(above.status).toBe(422);
    expect(above.body.error.code).toBe('bad-request');
    expect((await account.api.get('/v1/snapshot')).status).toBe(404);

    const newer = { epoch: 1, head: 4, ciphertext: cipher() };
    expect((await put(account.api, newer)).status).toBe(204);
    const older = await put(account.api, { epoch: 1, head: 3, ciphertext: cipher() });
    expect(older.status).toBe(422);
    expect((await account.api.get('/v1/snapshot')).body).toEqual(newer);
  });

  it('refuses a ciphertext above the limit with 413, and stores nothing', async () => {
    const account = await accountWithItems(1);
    const huge = await put(account.api, {
      epoch: 1,
      head: 1,
      ciphertext: 'A'.repeat(LIMITS.maxSnapshotChars + 1),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('too-large');
    expect((await account.api.get('/v1/snapshot')).status).toBe(404);
  });

  it('a new epoch drops the snapshot; one sealed under the older epoch is refused, one ahead too', async () => {
    const account = await accountWithItems(2);
    expect((await put(account.api, { epoch: 1, head: 2, ciphertext: cipher() })).status).toBe(204);
    const link = makeLink({
      v: 2,
      signer: account.circleKey,
      circlePub: newCircleKey().pub,
      op: 'rotate',
      seq: account.head.seq + 1,
      epoch: 2,
      prev: account.head.hash,
      by: account.deviceId,
      recoveryPub: key(),
      recoverySignPub: key(),
      recoverySig: sig(),
    });
    const rotated = await account.api.post('/v1/circle', {
      link,
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(rotated.status).toBe(200);
    expect((await account.api.get('/v1/snapshot')).status).toBe(404);
    expect((await account.api.get('/v1/items')).body.snapshotHead).toBe(0);

    const stale = await put(account.api, { epoch: 1, head: 2, ciphertext: cipher() });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('epoch-stale');
    const ahead = await put(account.api, { epoch: 3, head: 2, ciphertext: cipher() });
    expect(ahead.status).toBe(422);
    expect((await account.api.get('/v1/snapshot')).status).toBe(404);
    // Under the new epoch, a lower head than the dropped snapshot's is fine: none is stored.
    expect((await put(account.api, { epoch: 2, head: 1, ciphertext: cipher() })).status).toBe(204);
    expect((await account.api.get('/v1/snapshot')).body.epoch).toBe(2);
  });

  it('account deletion removes the snapshot', async () => {
    const account = await accountWithItems(2);
    expect((await put(account.api, { epoch: 1, head: 2, ciphertext: cipher() })).status).toBe(204);
    expect((await account.api.delete('/v1/accounts/current')).status).toBe(204);
    const rows = await query(store, 'SELECT count(*) AS n FROM snapshots WHERE account_id = ?', [
      account.accountId,
    ]);
    expect(Number(rows[0].n)).toBe(0);
  });
});
