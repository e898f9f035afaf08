/** CORS for a web app served from another origin: only the listed origins may call the API. */
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@tessera/server';
import { CLIENT } from './helpers.js';

const APP = 'http://app.example.test:8443';
const OTHER = 'http://evil.example.test';

const servers: RunningServer[] = [];
async function start(options: Parameters<typeof startServer>[0]): Promise<string> {
  const server = await startServer({ httpRateLimit: false, ...options });
  servers.push(server);
  return server.url;
}
afterAll(async () => {
  for (const server of servers) await server.close();
});

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/meta`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'tessera-client,authorization',
    },
  });
const get = (url: string, origin: string) =>
  fetch(`${url}/v1/meta`, { headers: { origin, 'tessera-client': CLIENT } });

describe('cross-origin API access', () => {
  it('answers preflights and requests of an allowed origin with CORS headers, without credentials', async () => {
    const url = await start({ corsOrigins: `${APP}, https://other-app.example.test` });
    const pre = await preflight(url, APP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/tessera-client/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await get(url, APP);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives any other origin no CORS headers and refuses its preflight', async () => {
    const url = await start({ corsOrigins: [APP] });
    const pre = await preflight(url, OTHER);
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await get(url, OTHER);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // Without a list, no origin is allowed.
    const closed = await start({});
    expect((await preflight(closed, APP)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await get(closed, APP)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an allowed origin that is not an origin', async () => {
    await expect(startServer({ corsOrigins: 'https://app.example.org/' })).rejects.toThrow(
      /corsOrigins.*"https:\/\/app\.example\.org\/" is not an origin/,
    );
    await expect(startServer({ corsOrigins: ['*'] })).rejects.toThrow(/"\*" is not an origin/);
  });
});
