/**
 * Minimal HTTP face of one escrow realm (issue 12, second slice): JSON over loopback, base64url
 * bytes, body size capped, CORS open so web clients can talk to realms directly. No persistence
 * yet (the core is in memory); no rate limits or metrics yet.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RealmCore, type RealmAnswer } from './core.js';

const MAX_BODY = 16 * 1024;
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
const bytes = (v: unknown, field: string, max = 4096): Uint8Array => {
  if (typeof v !== 'string' || v.length > max)
    throw new RealmHttpError(400, `realm: field ${field} must be base64url`);
  return new Uint8Array(Buffer.from(v, 'base64url'));
};
const text = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200)
    throw new RealmHttpError(400, `realm: field ${field} must be a short string`);
  return v;
};

class RealmHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function answerJson(a: RealmAnswer) {
  return {
    realmId: a.realmId,
    account: a.account,
    nonce: b64(a.nonce),
    payload: b64(a.payload),
    signature: b64(a.signature),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new RealmHttpError(413, 'realm: body too large');
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v !== 'object' || v === null) throw new Error();
    return v as Record<string, unknown>;
  } catch {
    throw new RealmHttpError(400, 'realm: body must be a JSON object');
  }
}

function route(core: RealmCore, path: string, b: Record<string, unknown>): unknown {
  const account = text(b.account, 'account');
  const wrap = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      const m = (e as Error).message;
      throw new RealmHttpError(
        /wrong PIN/.test(m) ? 403 : /no PIN record|no registration/.test(m) ? 404 : 400,
        m,
      );
    }
  };
  switch (path) {
    case '/v1/realm/register1':
      return wrap(() =>
        answerJson(
          core.register1({ account, nonce: bytes(b.nonce, 'nonce'), blinded: bytes(b.blinded, 'blinded') }),
        ),
      );
    case '/v1/realm/register2':
      return wrap(
        () => (
          core.register2({
            account,
            share: bytes(b.share, 'share'),
            commitment: bytes(b.commitment, 'commitment'),
          }),
          { ok: true }
        ),
      );
    case '/v1/realm/recover1':
      return wrap(() =>
        answerJson(
          core.recover1({ account, nonce: bytes(b.nonce, 'nonce'), blinded: bytes(b.blinded, 'blinded') }),
        ),
      );
    case '/v1/realm/recover2':
      return wrap(() =>
        answerJson(
          core.recover2({
            account,
            nonce: bytes(b.nonce, 'nonce'),
            commitment: bytes(b.commitment, 'commitment'),
          }),
        ),
      );
    default:
      throw new RealmHttpError(404, 'realm: no such route');
  }
}

/** Starts a realm on 127.0.0.1; resolves with its URL, public key and a close function. */
export async function startRealmHttp(o: { realmId: string; port?: number }) {
  const core = new RealmCore({ realmId: o.realmId });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type',
      });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'OPTIONS') return send(204, {});
    if (req.method === 'GET' && path === '/healthz') return send(200, { ok: true });
    if (req.method === 'GET' && path === '/v1/realm')
      return send(200, { realmId: core.realmId, publicKey: b64(core.publicKey) });
    if (req.method !== 'POST') return send(405, { error: 'realm: method not allowed' });
    readJson(req)
      .then((b) => send(200, route(core, path, b)))
      .catch((e: unknown) =>
        send(e instanceof RealmHttpError ? e.status : 500, {
          error: e instanceof RealmHttpError ? e.message : 'realm: internal error',
        }),
      );
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicKey: core.publicKey,
    core,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
