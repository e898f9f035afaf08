/**
 * Where the client check (the `Tessera-Client` header, app.ts) runs: on every /v1 request, those of
 * no route and HEAD requests included, before the per-address limit counts the request; and on
 * nothing outside /v1.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, CLIENT, useStore } from './helpers.js';

describe.each(BACKENDS)('the client check (%s)', (backend) => {
  const store = useStore(backend);

  it('refuses /v1 requests without the header, routed or not, and nothing else', async () => {
    const { url } = await store.start({ minClientVersion: '0.2.0' });
    const status = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(url + path, init);
      const body = init.method === 'HEAD' ? null : await res.json();
      return { status: res.status, code: body?.error?.code as string | undefined };
    };
    const refused = { status: 400, code: 'client-header-required' };
    expect(await status('/v1/meta')).toEqual(refused);
    expect(await status('/v1/meta', { method: 'HEAD' })).toEqual({ status: 400, code: undefined });
    expect(await status('/v1/no-such-route')).toEqual(refused);
    expect(await status('/v1')).toEqual(refused);
    expect(await status('/v1?x=1')).toEqual(refused);
    expect(await status('/v1/no-such-route', { method: 'POST', body: '{' })).toEqual(refused);
    const old = { headers: { 'tessera-client': 'tessera-cli/0.1.0' } };
    expect(await status('/v1/meta', old)).toEqual({ status: 426, code: 'update-required' });
    expect(await status('/v1/no-such-route', old)).toEqual({ status: 426, code: 'update-required' });
    // Outside /v1: no header needed.
    expect(await status('/healthz')).toEqual({ status: 200, code: undefined });
    expect(await status('/v1x')).toEqual({ status: 404, code: 'not-found' });
    expect(await status('/nothing-here')).toEqual({ status: 404, code: 'not-found' });
    // With the header, the answers of no route are plain 404s.
    expect(await status('/v1/no-such-route', { headers: { 'tessera-client': CLIENT } })).toEqual({
      status: 404,
      code: 'not-found',
    });
  });

  it('refuses before the per-address limit counts the request', async () => {
    const { url } = await store.start({ httpRateLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await fetch(`${url}/v1/meta`)).status).toBe(400);
    const counted: number[] = [];
    for (let i = 0; i < 4; i++)
      counted.push((await fetch(`${url}/v1/meta`, { headers: { 'tessera-client': CLIENT } })).status);
    expect(counted).toEqual([200, 200, 200, 429]);
  });
});
