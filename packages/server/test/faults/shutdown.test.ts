/**
 * Graceful shutdown: on SIGTERM `tessera serve` stops accepting connections, finishes the requests
 * in flight, ends feeds with a reconnection hint, and exits 0 with everything it acknowledged stored.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, CLIENT, trustedAccount, uniqueEmail } from '../helpers.js';
import { sharedSecrets, sleep, spawnServer, waitFor, type ServerProcess } from './harness.js';

describe('SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sigterm-'));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the push in flight, refuses new connections, ends feeds with a retry hint, exits 0', async () => {
    const database = `sqlite:${join(dataDir, 'tessera.sqlite')}`;
    const env = await sharedSecrets();
    const server = await spawnServer({ database, dataDir, env });
    servers.push(server);
    const owner = await trustedAccount(new Api(server.url), uniqueEmail('sigterm'));

    // A feed, read as raw text.
    const feed = await fetch(`${server.url}/v1/feed`, {
      headers: { 'tessera-client': CLIENT, authorization: `Bearer ${owner.api.token}` },
    });
    expect(feed.status).toBe(200);
    let feedText = '';
    const feedDone = (async () => {
      for await (const chunk of feed.body! as unknown as AsyncIterable<Uint8Array>)
        feedText += Buffer.from(chunk as Uint8Array).toString();
    })();

    // A large push whose body is still arriving when the signal comes.
    const items = Array.from({ length: 200 }, () => ({
      id: randomUUID(),
      baseVersion: 0,
      epoch: 1,
      ciphertext: randomBytes(6000).toString('base64url'),
      deleted: false,
    }));
    const body = Buffer.from(JSON.stringify({ items }));
    const answer = new Promise<{ status: number; connection: string | undefined; body: { head: number } }>(
      (resolve, reject) => {
        const req = http.request(
          `${server.url}/v1/items`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': body.length,
              'tessera-client': CLIENT,
              authorization: `Bearer ${owner.api.token}`,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                connection: res.headers.connection,
                body: JSON.parse(text),
              }),
            );
          },
        );
        req.on('error', reject);
        req.write(body.subarray(0, body.length / 2));
        void sleep(300).then(() => {
          server.child.kill('SIGTERM');
          return waitFor('the server to stop accepting', async () => {
            try {
              await fetch(`${server.url}/healthz`);
              return false;
            } catch (err) {
              return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
            }
          }).then(() => req.end(body.subarray(body.length / 2)), reject);
        });
      },
    );

    const pushed = await answer;
    expect(pushed.status).toBe(200);
    expect(pushed.body.head).toBe(items.length);
    await feedDone;
    // The stream's last field is a reconnection hint of 1-5 s (spread so clients do not return at once).
    expect(feedText).toMatch(/retry: (\d{4})\n\n$/);
    const hint = Number(/retry: (\d+)\n\n$/.exec(feedText)![1]);
    expect(hint).toBeGreaterThanOrEqual(1000);
    expect(hint).toBeLessThan(5000);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // The last answer closes its connection rather than idling in keep-alive until the server's timeout.
    expect(pushed.connection).toBe('close');
    expect(server.output()).toMatch(/SIGTERM, stopping/);

    // Everything acknowledged is stored.
    const again = await spawnServer({ database, dataDir, env });
    servers.push(again);
    const pulled = await new Api(again.url, owner.api.token).get('/v1/items?limit=1000');
    expect(pulled.body.head).toBe(items.length);
    expect(pulled.body.items.map((i: { id: string }) => i.id).sort()).toEqual(items.map((i) => i.id).sort());
  });
});
