/**
 * Pulls of the same page share one database read (src/read-coalescer.ts), and that is never stale:
 * a pull sent after a push was answered, on another process, sees the push even while identical
 * pulls are being answered on the pull's process (the race where that process has not yet heard the
 * push's notification). The rule itself, with reads held open at will: read-coalescer.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, BACKENDS, b64u, item, trustedAccount, uniqueEmail, useServer, type Json } from './helpers.js';

const METRICS_TOKEN = b64u(randomBytes(32));

describe.each(BACKENDS)('pulls sharing a read (%s)', (backend) => {
  const {
    apis: [a, b],
  } = useServer(backend, {}, { metrics: { token: METRICS_TOKEN } });

  it('a pull sent after a push was answered on the other process sees it, while identical pulls run', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    expect((await account.api.post('/v1/items', { items: [item()] })).status).toBe(200);
    let since = 1;
    for (let round = 0; round < 20; round++) {
      // Identical pulls keep arriving on B (the other devices of the account) during the push on A.
      let pushing = true;
      const pages: Json[] = [];
      const others = (async () => {
        while (pushing) {
          const burst = await Promise.all(
            Array.from({ length: 6 }, () => onB.get(`/v1/items?since=${since}`)),
          );
          pages.push(...burst.map((r) => r.body));
        }
      })();
      const pushed = await account.api.post('/v1/items', { items: [item()] });
      expect(pushed.status).toBe(200);
      // This device was answered by A; its pull goes to B, which may not have heard the push yet.
      const after = await onB.get(`/v1/items?since=${since}`);
      pushing = false;
      await others;
      expect(after.body.head).toBeGreaterThanOrEqual(pushed.body.head);
      expect(after.body.items.map((i: Json) => i.version)).toContain(pushed.body.versions[0].version);
      for (const page of pages) {
        // Every shared page is one snapshot: its head covers its items, which all follow `since`.
        const versions = page.items.map((i: Json) => i.version as number);
        expect(versions.every((v: number) => v > since && v <= page.head)).toBe(true);
        expect(versions.length > 0).toBe(page.head > since);
      }
      since = pushed.body.head;
    }
  });

  it("with long reads in flight on the pull's process, a pull after a push on the other process still sees it", async () => {
    // Large pages keep each read in flight long enough that a pull allowed to join a read already
    // started would, nearly always, get one that began before the push committed.
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const big = () => ({ ...item(), ciphertext: b64u(randomBytes(15 * 1024)) });
    expect((await account.api.post('/v1/items', { items: Array.from({ length: 250 }, big) })).status).toBe(
      200,
    );
    const page = '/v1/items?since=0&limit=1000';
    for (let round = 0; round < 5; round++) {
      let pushing = true;
      const others = (async () => {
        while (pushing) await Promise.all(Array.from({ length: 3 }, () => onB.get(page)));
      })();
      // Let the other pulls get going on B before the push.
      await onB.get(page);
      const pushed = await account.api.post('/v1/items', { items: [item()] });
      const after = await onB.get(page);
      pushing = false;
      await others;
      expect(after.body.head).toBeGreaterThanOrEqual(pushed.body.head);
    }
  }, 120_000);

  it('identical pulls arriving together are answered by fewer reads, each with the full page', async () => {
    const account = await trustedAccount(a, uniqueEmail());
    const onB = new Api(b.url, account.api.token);
    const items = Array.from({ length: 3 }, item);
    expect((await account.api.post('/v1/items', { items })).status).toBe(200);
    const joined = async () => {
      const res = await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      return Number(/^tessera_item_pulls_joined_total (\d+)/m.exec(await res.text())?.[1] ?? NaN);
    };
    const before = await joined();
    for (let round = 0; round < 10; round++) {
      const pulls = await Promise.all(Array.from({ length: 12 }, () => onB.get('/v1/items?since=0')));
      for (const pull of pulls) {
        expect(pull.status).toBe(200);
        expect(pull.body).toEqual({
          items: items
            .map((it, i) => ({ ...it, baseVersion: undefined, version: i + 1 }))
            .map(({ baseVersion: _, ...rest }) => rest),
          head: 3,
          more: false,
        });
      }
    }
    expect(await joined()).toBeGreaterThan(before);
  });
});
