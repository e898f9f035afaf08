import { describe, expect, it } from 'vitest';
import {
  Api,
  BACKENDS,
  approvalLink,
  fakeWrap,
  joinRequest,
  linkDevice,
  linkHash,
  login,
  makeLink,
  newCircleKey,
  register,
  removalLink,
  trustedAccount,
  uniqueEmail,
  useServer,
  type Json,
} from './helpers.js';

describe.each(BACKENDS)('devices, circle and wraps (%s)', (backend) => {
  const { store, api } = useServer(backend);

  it('accepts the genesis from the pending first device, which becomes trusted', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const circle = await account.api.get('/v1/circle');
    expect(circle.status).toBe(200);
    expect(circle.body.links).toHaveLength(1);
    expect(circle.body.head).toEqual({ seq: 0, hash: linkHash(circle.body.links[0]) });
    expect(account.head).toEqual(circle.body.head);
    const devices = await account.api.get('/v1/devices');
    expect(devices.body.devices[0].status).toBe('trusted');
    const keys = await account.api.get(`/v1/keys?recipient=${account.deviceId}`);
    expect(keys.body.wraps).toEqual([expect.objectContaining({ recipientId: account.deviceId, epoch: 1 })]);
    expect((await account.api.get('/v1/circle?since=0')).body.links).toEqual([]);
  });

  it('appends only links that extend the current head (compare-and-swap)', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const setEscrow = (prev: string | null, seq: number) =>
      makeLink({
        signer: account.circleKey,
        op: 'set-escrow',
        seq,
        prev,
        by: account.deviceId,
        escrowPub: fakeWrap('x').wrapped.slice(0, 43),
      });
    const stale = await account.api.post('/v1/circle', { link: setEscrow(null, 0), wraps: [] });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'circle-conflict', head: account.head } });
    const wrongSeq = await account.api.post('/v1/circle', {
      link: setEscrow(account.head.hash, 5),
      wraps: [],
    });
    expect(wrongSeq.status).toBe(409);
    const ok = await account.api.post('/v1/circle', {
      link: setEscrow(account.head.hash, 1),
      wraps: [fakeWrap('escrow')],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.head.seq).toBe(1);
    // Replaying the same link against the new head is stale.
    expect(
      (await account.api.post('/v1/circle', { link: setEscrow(account.head.hash, 1), wraps: [] })).status,
    ).toBe(409);
    expect((await account.api.get('/v1/circle')).body.links).toHaveLength(2);
  });

  it('accepts only links signed by the circle key of the head, and circle key changes only on removal', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const base = {
      op: 'set-escrow' as const,
      seq: 1,
      prev: account.head.hash,
      by: account.deviceId,
      escrowPub: null,
    };
    const outsider = makeLink({ ...base, signer: newCircleKey(), circlePub: account.circleKey.pub });
    expect((await account.api.post('/v1/circle', { link: outsider, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    const tampered = { ...makeLink({ ...base, signer: account.circleKey }), at: new Date(0).toISOString() };
    expect((await account.api.post('/v1/circle', { link: tampered, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    const rotating = makeLink({ ...base, signer: account.circleKey, circlePub: newCircleKey().pub });
    expect((await account.api.post('/v1/circle', { link: rotating, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    expect(
      (
        await account.api.post('/v1/circle', {
          link: makeLink({ ...base, signer: account.circleKey }),
          wraps: [],
        })
      ).status,
    ).toBe(200);
  });

  it('refuses a first link that is not a genesis, and a genesis adding another device', async () => {
    const account = await register(api, uniqueEmail());
    const notGenesis = makeLink({
      signer: newCircleKey(),
      op: 'set-escrow',
      seq: 0,
      prev: null,
      by: account.deviceId,
      escrowPub: null,
    });
    expect((await account.api.post('/v1/circle', { link: notGenesis, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    const other = await joinRequest(api, account);
    const foreign = makeLink({
      signer: newCircleKey(),
      op: 'genesis',
      seq: 0,
      prev: null,
      by: account.deviceId,
      via: 'genesis',
      recoveryPub: fakeWrap('x').wrapped.slice(0, 43),
      device: linkDevice(other.deviceId, other.device),
    });
    const res = await account.api.post('/v1/circle', { link: foreign, wraps: [] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid-link');
    expect((await account.api.get('/v1/circle')).body.head).toBeNull();
  });

  it('joins a device by approval: join request notice, add-device, trusted, wrap delivered', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const phone = await joinRequest(api, account);
    // Pending: may see devices, circle, its own (empty) wraps and the item ciphertexts (a restore
    // pulls them during its join); may not push items.
    expect((await phone.api.get('/v1/devices')).status).toBe(200);
    expect((await phone.api.get(`/v1/keys?recipient=${phone.deviceId}`)).body.wraps).toEqual([]);
    expect((await phone.api.get('/v1/items')).status).toBe(200);
    const push = {
      items: [{ id: crypto.randomUUID(), baseVersion: 0, epoch: 1, ciphertext: 'x', deleted: false }],
    };
    expect((await phone.api.post('/v1/items', push)).status).toBe(403);
    expect((await phone.api.get(`/v1/keys?recipient=${account.deviceId}`)).status).toBe(403);
    // Nor the keychain's notices: it is not a member yet.
    expect((await phone.api.get('/v1/notices')).body.notices).toEqual([]);
    const notices = await account.api.get('/v1/notices');
    expect(notices.body.notices.map((n: Json) => n.kind)).toContain('device-join-requested');
    const listed = (await account.api.get('/v1/devices')).body.devices.find(
      (d: Json) => d.id === phone.deviceId,
    );
    expect(listed).toMatchObject({
      status: 'pending',
      nonce: phone.device.nonce,
      encPub: phone.device.encPub,
    });

    const link = makeLink({
      signer: account.circleKey,
      op: 'add-device',
      seq: 1,
      prev: account.head.hash,
      by: account.deviceId,
      via: 'approval',
      device: linkDevice(phone.deviceId, phone.device),
    });
    const res = await account.api.post('/v1/circle', { link, wraps: [fakeWrap(phone.deviceId)] });
    expect(res.status).toBe(200);
    expect((await phone.api.get(`/v1/keys?recipient=${phone.deviceId}`)).body.wraps).toHaveLength(1);
    expect((await phone.api.get('/v1/items')).status).toBe(200);
    const kinds = (await phone.api.get('/v1/notices')).body.notices.map((n: Json) => n.kind);
    expect(kinds).toEqual(['device-join-requested', 'device-joined']);
  });

  it('lets a pending device add only itself, and only by recovery or PIN', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const a = await joinRequest(api, account, 'a');
    const b = await joinRequest(api, account, 'b');
    const addB = makeLink({
      signer: account.circleKey,
      op: 'add-device',
      seq: 1,
      prev: account.head.hash,
      by: a.deviceId,
      via: 'recovery',
      device: linkDevice(b.deviceId, b.device),
    });
    expect((await a.api.post('/v1/circle', { link: addB, wraps: [] })).status).toBe(403);
    const approveSelf = makeLink({
      signer: account.circleKey,
      op: 'add-device',
      seq: 1,
      prev: account.head.hash,
      by: a.deviceId,
      via: 'approval',
      device: linkDevice(a.deviceId, a.device),
    });
    expect((await a.api.post('/v1/circle', { link: approveSelf, wraps: [] })).status).toBe(403);
    const wrapOthers = makeLink({
      signer: account.circleKey,
      op: 'add-device',
      seq: 1,
      prev: account.head.hash,
      by: a.deviceId,
      via: 'recovery',
      device: linkDevice(a.deviceId, a.device),
    });
    expect((await a.api.post('/v1/circle', { link: wrapOthers, wraps: [fakeWrap(b.deviceId)] })).status).toBe(
      403,
    );
    expect((await a.api.post('/v1/circle', { link: wrapOthers, wraps: [fakeWrap('recovery')] })).status).toBe(
      403,
    );
    const keysBefore = (await account.api.get('/v1/keys?recipient=recovery')).body.wraps;

    // Recovery: fetch the recovery wrap, add itself with a wrap to itself.
    expect((await a.api.get('/v1/keys?recipient=recovery')).body.wraps).toEqual(keysBefore);
    const ok = await a.api.post('/v1/circle', { link: wrapOthers, wraps: [fakeWrap(a.deviceId)] });
    expect(ok.status).toBe(200);
    const kinds = (await account.api.get('/v1/notices')).body.notices.map((n: Json) => n.kind);
    expect(kinds).toContain('recovery-key-used');
    expect(kinds).toContain('device-joined');
    // Link keys must be those the device registered.
    const forged = makeLink({
      signer: account.circleKey,
      op: 'add-device',
      seq: 2,
      prev: ok.body.head.hash,
      by: account.deviceId,
      via: 'approval',
      device: { ...linkDevice(b.deviceId, b.device), encPub: a.device.encPub },
    });
    expect((await account.api.post('/v1/circle', { link: forged, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
  });

  it('removes a device: new epoch, its sessions revoked, its wraps gone, notice to the others', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    const phone = await joinRequest(api, account);
    const add = approvalLink(account, phone.deviceId, phone.device);
    const head1 = (await account.api.post('/v1/circle', { link: add, wraps: [fakeWrap(phone.deviceId)] }))
      .body.head;

    const sameEpoch = removalLink(account, head1, linkDevice(phone.deviceId, phone.device), { epoch: 1 });
    expect((await account.api.post('/v1/circle', { link: sameEpoch, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    const remove = removalLink(account, head1, linkDevice(phone.deviceId, phone.device));
    const toRemoved = await account.api.post('/v1/circle', {
      link: remove,
      wraps: [fakeWrap(phone.deviceId, 2)],
    });
    expect(toRemoved.body.error.code).toBe('invalid-link');
    const res = await account.api.post('/v1/circle', {
      link: remove,
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(res.status).toBe(200);
    expect((await phone.api.get('/v1/devices')).status).toBe(401);
    const again = await login(api, {
      email: account.email,
      password: account.password,
      deviceId: phone.deviceId,
    });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('device-removed');
    const rows = (await account.api.get('/v1/devices')).body.devices;
    expect(rows.find((d: Json) => d.id === phone.deviceId).status).toBe('removed');
    expect(
      (await account.api.get(`/v1/keys?recipient=${account.deviceId}`)).body.wraps.map((w: Json) => w.epoch),
    ).toEqual([1, 2]);
    expect((await account.api.get('/v1/notices')).body.notices.at(-1)).toMatchObject({
      kind: 'device-removed',
      data: { deviceId: phone.deviceId },
    });
  });

  it('refuses links that name devices of another account', async () => {
    const mine = await trustedAccount(api, uniqueEmail());
    const theirs = await trustedAccount(api, uniqueEmail());
    const remove = removalLink(mine, mine.head, linkDevice(theirs.deviceId, theirs.device));
    expect((await mine.api.post('/v1/circle', { link: remove, wraps: [] })).body.error.code).toBe(
      'invalid-link',
    );
    expect((await mine.api.get(`/v1/keys?recipient=${theirs.deviceId}`)).status).toBe(403);
    expect((await theirs.api.get('/v1/devices')).body.devices[0].status).toBe('trusted');
  });

  it('rate-limits fetching the recovery and escrow wraps', async () => {
    const rule = { limit: 3, windowMs: 3_600_000, freeAttempts: 100, baseDelayMs: 1, maxDelayMs: 1 };
    const server = await store.start({ rateLimits: { recoveryAccount: rule } });
    const account = await trustedAccount(new Api(server.url), uniqueEmail());
    const a = new Api(server.url, account.api.token);
    for (let i = 0; i < 3; i++)
      expect((await a.get(i % 2 ? '/v1/keys?recipient=escrow' : '/v1/keys?recipient=recovery')).status).toBe(
        200,
      );
    expect((await a.get('/v1/keys?recipient=recovery')).status).toBe(429);
    // A device's own wraps are not a recovery attempt.
    expect((await a.get(`/v1/keys?recipient=${account.deviceId}`)).status).toBe(200);
  });
});
