// The test double of a malicious server: a tampering proxy in front of the real keychain server,
// and real devices (Node vaults, real keys) that talk to it. Shared by the attack suites.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { startServer, type RunningServer } from '@tessera/server';
import { useStore, type Backend } from '../../../server/test/helpers.js';
import type { Vault } from '../../src/vault.js';
import {
  applyLinks,
  approve,
  awaitApproval,
  Keychain,
  KeychainError,
  login,
  metaDeviceKeyStore,
  recoverWithRecoveryKey,
  signup,
  syncRound,
  type CircleLink,
} from '../../src/keychain/index.js';
import { FolderError } from '../../src/folders/index.js';
import { tempHome, totpEntry } from '../fixtures.js';

// Server answers are edited freely here; their shape is the protocol's, checked by the client under test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;
export type Tamper = (
  request: { method: string; path: string; body: Json | null; session: string | null },
  response: Json,
) => Json | undefined;

/** An answer the proxy gives itself, instead of the server's (JSON). */
export type Intercept = (request: {
  method: string;
  path: string;
  body: Json | null;
  session: string | null;
}) => Promise<{ status: number; body: Json }> | null;

/**
 * Forwards every request to the real server; `tamper` may rewrite a JSON response, and `intercept`
 * may answer a request itself (when it returns a promise: one that never settles holds it forever).
 */
export class TamperingProxy {
  tamper: Tamper | null = null;
  intercept: Intercept | null = null;
  /** Answers a request with this status (and an error body) instead of forwarding it, e.g. an older server's 403. */
  refuse: ((request: { method: string; path: string; session: string | null }) => number | undefined) | null =
    null;
  /**
   * False: the server is shown as one that does not fold answers into `sessions/finish` (its meta
   * without `signInFold`, as before protocol 2's fold), so clients ask for each answer apart.
   */
  fold = true;
  readonly requests: { method: string; path: string; body: Json | null; session: string | null }[] = [];
  private server: Server | null = null;
  /** The requests being forwarded, each stopped by aborting its controller. */
  private readonly forwarding = new Set<AbortController>();
  url = '';

  /** The real server; `useProxiedServer` makes the proxy first and sets it once the server runs. */
  constructor(public upstream = '') {}

  /**
   * The answers folded into `sessions/finish` (PROTOCOL §5 "Sign-in answers folded") go through
   * `tamper` as the separate requests they replace, so an attack written against `GET /v1/circle` or
   * `GET /v1/keys` also reaches the sign-in's folded copy.
   */
  private tamperFolded(body: Json | null, answer: Json): Json {
    const as = (path: string) => ({ method: 'GET', path, body: null, session: answer.session as string });
    const out = { ...answer };
    if (out.circle) out.circle = this.tamper!(as('/v1/circle'), out.circle) ?? out.circle;
    if (out.wraps && body?.include?.wraps)
      out.wraps = this.tamper!(as(`/v1/keys?recipient=${body.include.wraps}`), out.wraps) ?? out.wraps;
    return out;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) =>
      this.handle(req, res).catch((err: Error) => {
        // Answer instead of dropping the socket, so a failure shows up as what it is.
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`tampering proxy: ${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      }),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    // What is still forwarded (a browser's feed, say) ends too, so the server behind closes at once.
    for (const forwarded of this.forwarding) forwarded.abort();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    // The session token says which device asks, so an attack can target one device's view.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const request = {
      method: req.method!,
      path: req.url!,
      body: raw ? (JSON.parse(raw) as Json) : null,
      session: bearer ? bearer[1]! : null,
    };
    this.requests.push(request);
    const own = this.intercept?.(request);
    if (own) {
      const { status, body } = await own;
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body));
      return;
    }
    const status = this.refuse?.(request);
    if (status !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: { code: 'forbidden', message: 'Refused by the tampering proxy.' } }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    // One request per upstream connection too: no idle socket of the proxy's is left for the
    // server's shutdown to wait on.
    headers.connection = 'close';
    const gone = new AbortController();
    this.forwarding.add(gone);
    res.on('close', () => {
      gone.abort();
      this.forwarding.delete(gone);
    });
    const upstream = await fetch(this.upstream + req.url, {
      method: req.method,
      headers,
      body: raw || undefined,
      signal: gone.signal,
    });
    if (upstream.headers.get('content-type')?.includes('text/event-stream') && upstream.body) {
      // The feed streams through untouched, as it comes, until either side closes it.
      res.writeHead(upstream.status, { 'content-type': 'text/event-stream', connection: 'close' });
      try {
        for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      } catch {
        // The client or the server closed the stream.
      }
      res.end();
      return;
    }
    const bytes = Buffer.from(await upstream.arrayBuffer());
    if (!upstream.headers.get('content-type')?.includes('json')) {
      // Pages, scripts and WebAssembly pass as they came (a browser test loads the web app through
      // the proxy, so that the app's every request goes through it).
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
        connection: 'close',
      });
      res.end(bytes);
      return;
    }
    let out = bytes.toString('utf8');
    if (!this.fold && req.url === '/v1/meta' && upstream.ok) {
      const { signInFold: _, ...meta } = JSON.parse(out) as Json;
      out = JSON.stringify(meta);
    }
    if (this.tamper && out) {
      const changed = this.tamper(request, JSON.parse(out) as Json);
      if (changed !== undefined) out = JSON.stringify(changed);
    }
    if (this.tamper && upstream.ok && req.method === 'POST' && req.url === '/v1/sessions/finish')
      out = JSON.stringify(this.tamperFolded(request.body, JSON.parse(out) as Json));
    // One request per connection: a client reusing a socket the proxy is closing as idle would see a reset.
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      connection: 'close',
    });
    res.end(out);
  }
}

export async function device(): Promise<{ vault: Vault; keychain: Keychain }> {
  const vault = await openNodeVault({ home: tempHome(), env: { ...process.env, TESSERA_KEY_STORE: 'file' } });
  const keychain = new Keychain({
    host: vault,
    deviceKeys: metaDeviceKeyStore(vault),
    clientId: 'tessera-cli/0.2.0',
  });
  return { vault, keychain };
}

/** `promise` rejects with a `type` error of `code` (and a message matching `message`, when given). */
async function rejected(
  promise: Promise<unknown>,
  type: typeof KeychainError | typeof FolderError,
  code: string,
  message?: RegExp,
): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(type);
  expect((err as KeychainError | FolderError).code).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
}

export const refused = (promise: Promise<unknown>, code: string, message: RegExp) =>
  rejected(promise, KeychainError, code, message);

/** Refused as an item that does not open under this account, its id and its key epoch. */
export const refusedUndecryptable = (promise: Promise<unknown>) =>
  refused(promise, 'item-invalid', /does not decrypt for this account, id and key epoch/);

export const folderRefused = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  rejected(promise, FolderError, code, message);

/** The verified state of a chain that starts at its genesis. */
export const applyLinksOf = (links: CircleLink[]) => applyLinks(null, links);

/**
 * The real server's answer to a GET the proxy is intercepting, asked for now with the session the
 * request carried: an `intercept` hands it over later, as a client whose answer was delayed in transit.
 */
export async function upstreamAnswer(
  proxy: TamperingProxy,
  request: { path: string; session: string | null },
): Promise<{ status: number; body: Json }> {
  const res = await fetch(proxy.upstream + request.path, {
    headers: {
      ...(request.session ? { authorization: `Bearer ${request.session}` } : {}),
      'tessera-client': 'tessera-cli/0.2.0',
    },
  });
  return { status: res.status, body: (await res.json()) as Json };
}

export const isGet = (path: string) => (r: { method: string; path: string }) =>
  r.method === 'GET' && r.path.startsWith(path);

/**
 * The user types `code` on `trusted` while `joining` waits: both sides of the CPace approval run at
 * once, as on two real devices. Resolves with the approved device, or rejects with either side's error.
 */
export async function approveJoin(
  trusted: { keychain: Keychain },
  joining: { keychain: Keychain },
  code: string,
  options: { nameDevice?: boolean } = {},
): Promise<void> {
  // Earlier tests leave devices waiting; naming the device is what a user picking from a list does.
  const deviceId = options.nameDevice ? joining.keychain.requireState().deviceId : undefined;
  await Promise.all([
    approve(trusted.keychain, { code, pollMs: 10, deviceId }),
    awaitApproval(joining.keychain, { pollMs: 10 }),
  ]);
}

type Device = { vault: Vault; keychain: Keychain };

/**
 * A real server behind a tampering proxy for the enclosing describe, started before its tests and
 * stopped after them. The proxy is returned at once, for the describe to name; its `url` is there
 * from the describe's first beforeAll on. With `backend`, the server runs on a store of that backend
 * (a fresh SQLite file or PostgreSQL database, dropped afterwards); without, on the server's default.
 */
export function useProxiedServer(backend?: Backend): TamperingProxy {
  const proxy = new TamperingProxy();
  const store = backend ? useStore(backend) : null;
  let real: RunningServer | undefined;
  beforeAll(async () => {
    real = await (store ? store.start({ port: 0 }) : startServer({ port: 0 }));
    proxy.upstream = real.url;
    await proxy.start();
  });
  afterAll(async () => {
    // What the last test left set must not alter the answers of the shutdown.
    proxy.tamper = null;
    proxy.intercept = null;
    await proxy.close();
    // The store closes its own servers.
    if (!store) await real?.close();
  });
  return proxy;
}

/** Device A signed up at `server` with `entries` entries, synced. */
export async function signedUpDevice(
  server: string,
  options: {
    email: string;
    password: string;
    entries: number;
    keepRecoveryKey: (recoveryKey: string) => Promise<void>;
  },
): Promise<Device> {
  const a = await device();
  for (let n = 0; n < options.entries; n++) await a.vault.add(totpEntry(n));
  const { email, password, keepRecoveryKey } = options;
  await signup(a.keychain, { server, email, password, deviceName: 'A', keepRecoveryKey });
  await syncRound(a.keychain);
  return a;
}

/**
 * `useProxiedServer` and device A signed up through the proxy (`signedUpDevice`) before the
 * describe's tests: returned at once, `a`'s vault and keychain filled in by then. `recoveryKeys`
 * gets the sign-up's recovery key, and is there for the tests to keep newer ones in.
 */
export function useProxiedAccount(options: {
  email: string;
  password: string;
  entries: number;
  /** The real server's backend (`useProxiedServer`). */
  backend?: Backend;
}): { proxy: TamperingProxy; a: Device; recoveryKeys: string[] } {
  const proxy = useProxiedServer(options.backend);
  const a = {} as Device;
  const recoveryKeys: string[] = [];
  const keepRecoveryKey = async (rk: string) => void recoveryKeys.push(rk);
  beforeAll(async () => {
    Object.assign(a, await signedUpDevice(proxy.url, { ...options, keepRecoveryKey }));
  });
  return { proxy, a, recoveryKeys };
}

/** A new device signed in at `server` and restored with `recoveryKey`, synced. */
export async function restoredDevice(
  server: string,
  account: { email: string; password: string },
  recoveryKey: string,
  deviceName: string,
): Promise<Device> {
  const d = await device();
  await login(d.keychain, { server, email: account.email, password: account.password, deviceName });
  await recoverWithRecoveryKey(d.keychain, recoveryKey);
  await syncRound(d.keychain);
  return d;
}

/**
 * The approval suites' account, set up before and closed after the enclosing describe: A signed up
 * through the proxy with `entries` entries, synced; `waiting` signs a new device in with `login` (a
 * device waiting for approval) and gives its session token too.
 */
export function approvalAccount(email: string, entries: number) {
  const password = 'correct horse battery staple';
  const { proxy, a } = useProxiedAccount({ email, password, entries: 0 });
  beforeAll(async () => {
    await a.vault.addMany(Array.from({ length: entries }, (_, n) => totpEntry(n)));
    await syncRound(a.keychain);
  });
  const account = { proxy, a, email, password };
  const waiting = async (deviceName: string) => {
    const d = await device();
    const result = await login(d.keychain, { server: account.proxy.url, email, password, deviceName });
    return { d, session: d.keychain.requireState().session, ...result };
  };
  return { account, waiting };
}
