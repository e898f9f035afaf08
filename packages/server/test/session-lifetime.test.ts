/**
 * Absolute session lifetime (PROTOCOL §10): however often a session is used (the sliding expiry
 * keeps moving), it ends `sessionMaxAgeMs` after sign-in with 401 `session-expired`. The clock is
 * moved by ageing the stored sign-in time, not by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, BACKENDS, createStore, query, register, uniqueEmail, type TestStore } from './helpers.js';

const DAY = 24 * 3_600_000;
const MAX_AGE_MS = 90 * DAY;

describe.each(BACKENDS)('absolute session lifetime (%s)', (backend) => {
  let store: TestStore;
  let api: Api;

  beforeAll(async () => {
    store = await createStore(backend);
    // No session cache: each request reads the stored sign-in time this test moves.
    api = new Api((await store.start({ sessionMaxAgeMs: MAX_AGE_MS, sessionCacheTtlMs: 0 })).url);
  });
  afterAll(() => store.cleanup());

  /** Moves the account's sessions' sign-in back by `ms`, and their sliding expiry forward (a session in daily use). */
  async function age(accountId: string, ms: number): Promise<void> {
    const now = Date.now();
    await query(
      store,
      'UPDATE sessions SET created_at = ?, last_used_at = ?, expires_at = ? WHERE account_id = ?',
      [now - ms, now, now + 30 * DAY, accountId],
    );
  }

  it('keeps a session used daily until its maximum age, then answers 401 session-expired', async () => {
    const account = await register(api, uniqueEmail('lifetime'));
    expect((await account.api.get('/v1/devices')).status).toBe(200);

    await age(account.accountId, MAX_AGE_MS - DAY);
    expect((await account.api.get('/v1/devices')).status).toBe(200);

    await age(account.accountId, MAX_AGE_MS);
    const expired = await account.api.get('/v1/devices');
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('session-expired');
    expect(expired.body.error.message).toMatch(/sign in again/);
  });

  it('counts per session from its own sign-in: a fresh session of another account is not affected', async () => {
    const account = await register(api, uniqueEmail('lifetime-fresh'));
    const other = await register(api, uniqueEmail('lifetime-other'));
    await age(other.accountId, MAX_AGE_MS + DAY);
    expect((await account.api.get('/v1/devices')).status).toBe(200);
    expect((await other.api.get('/v1/devices')).body.error.code).toBe('session-expired');
  });
});
