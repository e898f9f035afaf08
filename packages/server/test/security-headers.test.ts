/**
 * Every answer carries the security headers (web.ts `securityHeaders`) and every /v1 answer
 * `Cache-Control: no-store`: successes, errors, 404s, the client check's refusals, CORS preflights,
 * the per-address limit's 429 and the feed. They are set by the first onRequest hook (app.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@tessera/server';
import { securityHeaders } from '../src/web.js';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

const EXPECTED = securityHeaders();
const client = { 'tessera-client': 'tessera-cli/0.2.0' };

function expectSecurityHeaders(res: Response, what: string, v1: boolean): void {
  for (const [name, value] of Object.entries(EXPECTED))
    expect(res.headers.get(name), `${what}: ${name}`).toBe(value);
  expect(res.headers.get('cache-control'), `${what}: cache-control`).toBe(v1 ? 'no-store' : null);
}

describe('security headers', () => {
  it('are on every answer, refusals and errors included', async () => {
    const server = await startServer({
      minClientVersion: '0.2.0',
      corsOrigins: 'https://app.example.org',
      httpRateLimit: { max: 12, windowMs: 60_000 },
    });
    servers.push(server);
    const { url } = server;
    const cases: Array<[string, string, RequestInit, number, boolean]> = [
      ['no-op', '/healthz', {}, 200, false],
      ['no route', '/nothing-here', {}, 404, false],
      ['v1 meta', '/v1/meta', { headers: client }, 200, true],
      ['v1 without a session', '/v1/items', { headers: client }, 401, true],
      ['v1 no route', '/v1/no-such-route', { headers: client }, 404, true],
      ['v1 without the client header', '/v1/meta', {}, 400, true],
      ['v1 old client', '/v1/meta', { headers: { 'tessera-client': 'tessera-cli/0.1.0' } }, 426, true],
      [
        'v1 bad body',
        '/v1/items',
        { method: 'POST', headers: { ...client, 'content-type': 'text/plain' }, body: 'x' },
        415,
        true,
      ],
      [
        'preflight',
        '/v1/items',
        {
          method: 'OPTIONS',
          headers: { origin: 'https://app.example.org', 'access-control-request-method': 'GET' },
        },
        204,
        true,
      ],
      [
        'refused preflight',
        '/v1/items',
        {
          method: 'OPTIONS',
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
        },
        403,
        true,
      ],
    ];
    for (const [what, path, init, status, v1] of cases) {
      const res = await fetch(url + path, init);
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res, what, v1);
      await res.arrayBuffer();
    }
    // The per-address limit answers early too.
    let limited: Response | null = null;
    for (let i = 0; i < 20 && !limited; i++) {
      const res = await fetch(`${url}/v1/meta`, { headers: client });
      if (res.status === 429) limited = res;
      await res.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expectSecurityHeaders(limited!, 'rate limited', true);
  });
});
