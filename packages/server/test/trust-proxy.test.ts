/**
 * Client addresses behind a reverse proxy: a proxy in front of the real server appends the peer's
 * address to X-Forwarded-For as nginx does; the client sends a spoofed header of its own. Only the
 * configured proxy's hops are believed, so the per-address limit falls on the real client address.
 */
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as opaque from '@serenity-kit/opaque';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '@tessera/server';
import { BACKENDS, CLIENT, query, rateRule, uniqueEmail, useServer } from './helpers.js';

const loose = rateRule(10_000);

/** A reverse proxy on 127.0.0.1 that appends the peer address to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`). */
async function appendingProxy(target: string): Promise<{ url: string; server: Server }> {
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    const prior = req.headers['x-forwarded-for'];
    const forwarded = [prior, req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = httpRequest(
      {
        host: hostname,
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwarded },
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A registration start from the loopback address `from` (a client of its own), with a spoofed X-Forwarded-For. */
function registerStart(url: string, from: string, spoofed: string): Promise<number> {
  const { registrationRequest } = opaque.client.startRegistration({
    password: 'correct horse battery staple',
  });
  const body = JSON.stringify({ email: uniqueEmail(), registrationRequest });
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        localAddress: from,
        method: 'POST',
        path: '/v1/accounts/register/start',
        headers: {
          'content-type': 'application/json',
          'tessera-client': CLIENT,
          'x-forwarded-for': spoofed,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(BACKENDS)('client addresses behind a trusted proxy (%s)', (backend) => {
  const { store } = useServer(backend); // its first process creates the tables
  beforeAll(() => opaque.ready);
  beforeEach(() => query(store, 'DELETE FROM rate_limits'));

  const limits = { signInAddress: rateRule(2), signInAccount: loose };

  it('limits the real client address through the proxy, whatever X-Forwarded-For the client sends', async () => {
    const server = await store.start({ trustProxy: '127.0.0.1', rateLimits: limits });
    const proxy = await appendingProxy(server.url);
    try {
      const attacker = '127.0.0.5';
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push(await registerStart(proxy.url, attacker, `198.51.100.${i + 1}`));
      expect(statuses).toEqual([200, 200, 429, 429]);
      // Another client behind the same proxy has its own budget.
      expect(await registerStart(proxy.url, '127.0.0.6', '198.51.100.1')).toBe(200);
    } finally {
      proxy.server.close();
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a configured proxy', async () => {
    const server = await store.start({ trustProxy: ['10.0.0.1', '10.0.0.2/32'], rateLimits: limits });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(await registerStart(server.url, '127.0.0.7', `198.51.100.${i + 1}`));
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('refuses a trusted proxy list that is not addresses', async () => {
    await expect(startServer({ trustProxy: '10.0.0.1,nginx' })).rejects.toThrow(
      /trustProxy.*"nginx" is not an IP address, a CIDR range/,
    );
    await expect(startServer({ trustProxy: '10.0.0.0/33' })).rejects.toThrow(/"10\.0\.0\.0\/33"/);
  });
});
