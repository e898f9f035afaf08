/** `/metrics` is never public: a bearer token on the main listener, or a separate listener. */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@tessera/server';

const servers: RunningServer[] = [];
async function start(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer({ httpRateLimit: false, ...options });
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const server of servers) await server.close();
});

const token = randomBytes(32).toString('base64url');
const get = (url: string, authorization?: string) =>
  fetch(`${url}/metrics`, authorization ? { headers: { authorization } } : {});

describe('/metrics access', () => {
  it('refuses /metrics without the bearer token and serves it with the token', async () => {
    const { url } = await start({ metrics: { token } });
    for (const authorization of [
      undefined,
      'Bearer ',
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      token,
    ]) {
      const res = await get(url, authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const text = await res.text();
      expect(text).not.toContain('tessera_sign_ins_total');
      expect(JSON.parse(text).error.code).toBe('unauthorized');
    }
    const ok = await get(url, `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP tessera_sign_ins_total/m);
  });

  it('counts request durations by route, and answers of no route as unmatched', async () => {
    const { url } = await start({ metrics: { token } });
    const client = { 'tessera-client': 'tessera-cli/0.2.0' };
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/items`, { headers: client })).status).toBe(401);
    expect((await fetch(`${url}/v1/no-such-route`, { headers: client })).status).toBe(404);
    // Refused before any handler ran (the client check): under the route, or as unmatched.
    expect((await fetch(`${url}/v1/items`)).status).toBe(400);
    expect((await fetch(`${url}/v1/no-such-route`)).status).toBe(400);
    const text = await (await get(url, `Bearer ${token}`)).text();
    const count = (labels: string) =>
      Number(
        new RegExp(`^tessera_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1],
      );
    expect(count('route="/healthz",status="200"')).toBe(2);
    expect(count('route="/v1/items",status="401"')).toBe(1);
    expect(count('route="unmatched",status="404"')).toBe(1);
    expect(count('route="/v1/items",status="400"')).toBe(1);
    expect(count('route="unmatched",status="400"')).toBe(1);
  });

  it('does not serve /metrics at all when neither a token nor a metrics listener is set', async () => {
    const { url } = await start({});
    const res = await get(url, `Bearer ${token}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('tessera_');
  });

  it('serves /metrics on a separate listener only, and nothing else there', async () => {
    const server = await start({ metrics: { host: '127.0.0.1', port: 0 } });
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.metricsUrl).not.toBe(server.url);
    expect((await get(server.url)).status).toBe(404);
    const ok = await get(server.metricsUrl!);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^tessera_feed_connections \d+$/m);
    expect((await fetch(`${server.metricsUrl}/v1/meta`)).status).toBe(404);
    expect((await fetch(`${server.metricsUrl}/healthz`)).status).toBe(404);
  });

  it('refuses a guessable token', async () => {
    await expect(startServer({ metrics: { token: 'short' } })).rejects.toThrow(
      /metrics\.token: the metrics token must be at least 32 characters/,
    );
  });
});
