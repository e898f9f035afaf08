// Server side of protocol v2 key rotation (docs/PROTOCOL.md §2.1, §7): rotate links, removals that
// must replace the recovery key, retiring the old recovery and escrow wraps, destroying the escrow
// when a rotation turns it off, and refusing pushes sealed under an epoch older than the circle's.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BACKENDS,
  b64u,
  fakeWrap,
  linkDevice,
  login,
  makeLink,
  newDevice,
  removalLink,
  rotateLink,
  trustedAccount,
  uniqueEmail,
  useServer,
  type Json,
} from './helpers.js';

const key = () => b64u(randomBytes(32));

describe.each(BACKENDS)('key rotation, protocol v2 (%s)', (backend) => {
  const { api } = useServer(backend);

  /** A trusted account whose escrow wraps exist for epoch 1 (the PIN is set at the escrow too). */
  async function accountWithWraps() {
    const account = await trustedAccount(api, uniqueEmail());
    const escrowPub = key();
    const escrowLink = makeLink({
      v: 2,
      signer: account.circleKey,
      op: 'set-escrow',
      seq: 1,
      prev: account.head.hash,
      by: account.deviceId,
      escrowPub,
    });
    const res = await account.api.post('/v1/circle', { link: escrowLink, wraps: [fakeWrap('escrow')] });
    expect(res.status).toBe(200);
    return { ...account, escrowPub, head: res.body.head as { seq: number; hash: string } };
  }

  it('a rotate link starts epoch 2, retires the older recovery and escrow wraps and tells every device', async () => {
    const account = await accountWithWraps();
    const wraps = [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2), fakeWrap('escrow', 2)];
    const res = await account.api.post('/v1/circle', { link: rotateLink(account), wraps });
    expect(res.status).toBe(200);
    const epochs = async (recipient: string) =>
      (await account.api.get(`/v1/keys?recipient=${recipient}`)).body.wraps.map((w: Json) => w.epoch);
    expect(await epochs('recovery')).toEqual([2]);
    expect(await epochs('escrow')).toEqual([2]);
    // A device keeps its own wraps of every epoch (it may have missed one).
    expect(await epochs(account.deviceId)).toEqual([1, 2]);
    const kinds = (await account.api.get('/v1/notices')).body.notices.map((n: Json) => n.kind);
    expect(kinds).toContain('recovery-key-replaced');
  });

  it('refuses a rotate that keeps the circle key, a v1 rotate, and a v2 removal that keeps the recovery key', async () => {
    const account = await accountWithWraps();
    const sameKey = rotateLink(account, { circlePub: account.circleKey.pub });
    const keeps = await account.api.post('/v1/circle', { link: sameKey, wraps: [] });
    expect(keeps.status).toBe(422);
    expect(keeps.body.error.message).toBe('rotate must bring a new circlePub.');
    const v1 = await account.api.post('/v1/circle', { link: rotateLink(account, { v: 1 }), wraps: [] });
    expect(v1.body.error).toMatchObject({
      code: 'invalid-link',
      message: 'rotate exists from link version 2.',
    });
    const removal = removalLink(account, account.head, linkDevice(account.deviceId, account.device), {
      v: 2,
    });
    const noRecovery = await account.api.post('/v1/circle', { link: removal, wraps: [] });
    expect(noRecovery.body.error).toMatchObject({
      code: 'invalid-link',
      message: 'A version 2 remove-device must replace the recovery key (recoveryPub).',
    });
    expect((await account.api.get('/v1/circle')).body.head).toEqual(account.head);
  });

  it('a rotation that turns the escrow off destroys the escrow record and every escrow wrap', async () => {
    const account = await accountWithWraps();
    // Set a PIN record at the escrow itself (registration is a trusted-device route).
    const opaque = await import('@serenity-kit/opaque');
    await opaque.ready;
    const start = opaque.client.startRegistration({ password: '2468' });
    const reg = await account.api.post('/v1/escrow/register/start', {
      registrationRequest: start.registrationRequest,
    });
    const meta = (await api.get('/v1/meta')).body;
    const finish = opaque.client.finishRegistration({
      password: '2468',
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse: reg.body.registrationResponse,
    });
    expect(finish.serverStaticPublicKey).toBe(meta.escrowOpaquePublicKey);
    const done = await account.api.post('/v1/escrow/register/finish', {
      registrationRecord: finish.registrationRecord,
      escrowKey: key(),
    });
    expect(done.status).toBe(204);
    expect((await account.api.get('/v1/escrow/status')).body.enabled).toBe(true);

    const off = rotateLink(account, { escrowPub: null });
    const res = await account.api.post('/v1/circle', {
      link: off,
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(res.status).toBe(200);
    expect((await account.api.get('/v1/escrow/status')).body.enabled).toBe(false);
    expect((await account.api.get('/v1/keys?recipient=escrow')).body.wraps).toEqual([]);
  });

  it('refuses a push sealed under an epoch older than the circle, and stores nothing of it', async () => {
    const account = await accountWithWraps();
    const id = randomUUID();
    const item = (epoch: number) => ({
      id,
      baseVersion: 0,
      epoch,
      ciphertext: b64u(randomBytes(300)),
      deleted: false,
    });
    const rotated = await account.api.post('/v1/circle', {
      link: rotateLink(account),
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(rotated.status).toBe(200);
    const stale = await account.api.post('/v1/items', { items: [item(1)] });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('epoch-stale');
    expect(stale.body.error.message).toMatch(/sealed under key epoch 1, older than the circle's epoch 2/);
    expect((await account.api.get('/v1/items')).body.items).toEqual([]);
    expect((await account.api.post('/v1/items', { items: [item(2)] })).status).toBe(200);
  });

  // A pending device may pull ciphertexts (a restore reads them during its join), but never a copy
  // still sealed under a key a removed device holds: with the password alone, that device's thief
  // could otherwise fetch what the removal has not re-encrypted yet (SECURITY.md).
  it('refuses a pending device a page holding items under an epoch older than the circle', async () => {
    const account = await accountWithWraps();
    const cipher = () => b64u(randomBytes(300));
    const id = randomUUID();
    const pushed = await account.api.post('/v1/items', {
      items: [{ id, baseVersion: 0, epoch: 1, ciphertext: cipher(), deleted: false }],
    });
    expect(pushed.status).toBe(200);
    const signedIn = await login(api, {
      email: account.email,
      password: account.password,
      device: newDevice('joining'),
    });
    const joining = api.as(signedIn.body.session);
    expect((await joining.get('/v1/items')).body.items).toHaveLength(1);
    const rotated = await account.api.post('/v1/circle', {
      link: rotateLink(account),
      wraps: [fakeWrap(account.deviceId, 2), fakeWrap('recovery', 2)],
    });
    expect(rotated.status).toBe(200);
    // Not yet re-encrypted: the trusted device reads it, the pending one is refused the page.
    expect((await account.api.get('/v1/items')).body.items).toHaveLength(1);
    const refused = await joining.get('/v1/items');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/older key epoch/);
    // From the memory path too (a client naming the head it knows).
    expect((await joining.get('/v1/items?atLeast=1')).status).toBe(403);
    const reencrypted = await account.api.post('/v1/items', {
      items: [{ id, baseVersion: 1, epoch: 2, ciphertext: cipher(), deleted: false }],
    });
    expect(reencrypted.status).toBe(200);
    const page = await joining.get('/v1/items');
    expect(page.status).toBe(200);
    expect(page.body.items.map((i: Json) => i.epoch)).toEqual([2]);
    expect(
      (
        await joining.post('/v1/items', {
          items: [{ id, baseVersion: 2, epoch: 2, ciphertext: cipher(), deleted: false }],
        })
      ).status,
    ).toBe(403);
  });
});
