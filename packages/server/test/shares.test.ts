// Time-limited code links on the server (docs/PROTOCOL.md §9): stored sealed until the window ends,
// given to whoever has the id, gone afterwards; only trusted devices make or withdraw them.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '@tessera/protocol';
import { BACKENDS, b64u, query, register, trustedAccount, uniqueEmail, useServer } from './helpers.js';

const shareId = () => b64u(randomBytes(16));
const seconds = () => Math.floor(Date.now() / 1000);
const sealed = () => b64u(randomBytes(24 + 2000 + 16));

describe.each(BACKENDS)('code links (%s)', (backend) => {
  const { store, api } = useServer(backend);

  it('keeps the sealed codes for anyone with the id until the window ends, then answers 410 and deletes them', async () => {
    const owner = await trustedAccount(api, uniqueEmail());
    const id = shareId();
    const ciphertext = sealed();
    const expiresAt = seconds() + 600;
    const made = await owner.api.post('/v1/shares', { id, ciphertext, expiresAt });
    expect(made.status).toBe(200);
    expect(made.body).toEqual({ id, expiresAt });
    // No session needed: the link is for people who are not members.
    expect((await api.get(`/v1/shares?id=${id}`)).body).toEqual({ ciphertext, expiresAt });

    await query(store, 'UPDATE shares SET expires_at = ? WHERE id = ?', [seconds() - 1, id]);
    const expired = await api.get(`/v1/shares?id=${id}`);
    expect(expired.status).toBe(410);
    expect(expired.body.error).toMatchObject({ code: 'share-expired', message: /has expired/ });
    expect(await query(store, 'SELECT id FROM shares WHERE id = ?', [id])).toEqual([]);
    expect((await api.get(`/v1/shares?id=${id}`)).status).toBe(404);
  });

  it('maintenance deletes links whose window ended, and only those', async () => {
    const owner = await trustedAccount(api, uniqueEmail());
    const [old, current] = [shareId(), shareId()];
    for (const id of [old, current])
      expect(
        (await owner.api.post('/v1/shares', { id, ciphertext: sealed(), expiresAt: seconds() + 300 })).status,
      ).toBe(200);
    await query(store, 'UPDATE shares SET expires_at = ? WHERE id = ?', [seconds() - 5, old]);
    // A process whose housekeeping runs often; the expired row goes, the open one stays.
    await store.start({ maintenanceIntervalMs: 50 });
    await expect
      .poll(
        async () =>
          (await query(store, 'SELECT id FROM shares WHERE id IN (?, ?)', [old, current])).map((r) => r.id),
        {
          timeout: 30_000,
        },
      )
      .toEqual([current]);
  });

  it('only a trusted device makes or withdraws a link, within the window limit and the open-link limit', async () => {
    const owner = await trustedAccount(api, uniqueEmail());
    const pending = await register(api, uniqueEmail());
    const body = () => ({ id: shareId(), ciphertext: sealed(), expiresAt: seconds() + 60 });
    expect((await pending.api.post('/v1/shares', body())).status).toBe(403);
    expect((await api.post('/v1/shares', body())).status).toBe(401);
    const tooLong = await owner.api.post('/v1/shares', {
      ...body(),
      expiresAt: seconds() + LIMITS.maxShareSeconds + 3600,
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.message).toMatch(/must be in the next 120 minutes/);
    expect((await owner.api.post('/v1/shares', { ...body(), expiresAt: seconds() - 1 })).status).toBe(422);

    const mine = body();
    await owner.api.post('/v1/shares', mine);
    const other = await trustedAccount(api, uniqueEmail());
    // Another account cannot withdraw it; its owner can.
    expect((await other.api.delete(`/v1/shares?id=${mine.id}`)).status).toBe(204);
    expect((await api.get(`/v1/shares?id=${mine.id}`)).status).toBe(200);
    expect((await owner.api.delete(`/v1/shares?id=${mine.id}`)).status).toBe(204);
    expect((await api.get(`/v1/shares?id=${mine.id}`)).status).toBe(404);

    for (let n = 0; n < LIMITS.maxOpenShares; n++)
      expect((await other.api.post('/v1/shares', body())).status).toBe(200);
    const over = await other.api.post('/v1/shares', body());
    expect(over.status).toBe(422);
    expect(over.body.error.message).toMatch(/At most 50 code links may be open at once/);
  });
});
