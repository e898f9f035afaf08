/**
 * Test helpers: a real server on loopback over SQLite or PostgreSQL (a database per test file,
 * dropped afterwards), a small fetch client, and the real OPAQUE client (@serenity-kit/opaque).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { CLIENT_HEADER, canon, type CircleLink, type NewDevice } from '@tessera/protocol';
import { startServer, type RunningServer, type ServerOptions } from '@tessera/server';

/** Response bodies and rows, inspected structurally by the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];
export const ADMIN_URL =
  process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const CLIENT = 'tessera-cli/0.2.0';

/**
 * Cheap client-side key stretching for tests: it happens only in the OPAQUE client, so the server
 * sees the same messages; real clients keep serenity's default.
 */
export const FAST = {
  keyStretching: { 'argon2id-custom': { iterations: 1, memory: 256, parallelism: 1 } },
} as const;

export const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
export const randomKey = () => b64u(randomBytes(32));

/** A place for one test file's data: a temp dir, and on PostgreSQL a fresh database. */
export interface TestStore {
  backend: Backend;
  dataDir: string;
  /** `sqlite:…` or `postgres://…` */
  database: string;
  start(options?: ServerOptions): Promise<RunningServer>;
  cleanup(): Promise<void>;
}

function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createStore(backend: Backend): Promise<TestStore> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-server-test-'));
  const servers: RunningServer[] = [];
  let database = `sqlite:${join(dataDir, 'main.sqlite')}`;
  let dbName: string | null = null;
  if (backend === 'postgres') {
    dbName = `tessera_test_${randomUUID().replace(/-/g, '')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    database = databaseUrl(ADMIN_URL, dbName);
  }
  return {
    backend,
    dataDir,
    database,
    async start(options = {}) {
      const server = await startServer({
        dataDir,
        database,
        logger: false,
        httpRateLimit: false,
        ...options,
      });
      servers.push(server);
      return server;
    },
    async cleanup() {
      for (const s of servers) await s.close();
      if (dbName) {
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A store for the enclosing describe: made before its tests, its servers closed and its data dropped
 * after them. Returned at once, to be named at the describe's top level; it stands in for the store,
 * which exists from the describe's first beforeAll on (a hook registered after this one sees it).
 */
export function useStore(backend: Backend): TestStore {
  let made: TestStore | undefined;
  const store = (): TestStore => {
    if (!made) throw new Error('useStore: the store is made in beforeAll; use it in tests and hooks');
    return made;
  };
  beforeAll(async () => {
    made = await createStore(backend);
  });
  afterAll(() => made?.cleanup());
  return {
    backend,
    get dataDir() {
      return store().dataDir;
    },
    get database() {
      return store().database;
    },
    start: (options) => store().start(options),
    cleanup: () => store().cleanup(),
  };
}

/**
 * `useStore` and a server process on it for each of `processes` (one with default options when none
 * is given), started before the describe's tests: `apis` are clients of them in order, `api` the
 * first's. Several processes share the store's database, as a deployment's do.
 */
export function useServer<P extends ServerOptions[]>(backend: Backend, ...processes: P) {
  const store = useStore(backend);
  const options: ServerOptions[] = processes.length ? processes : [{}];
  const urls: string[] = [];
  beforeAll(async () => {
    for (const o of options) urls.push((await store.start(o)).url);
  });
  const apis = options.map(
    (_, i) =>
      new Api(() => {
        const url = urls[i];
        if (!url)
          throw new Error('useServer: the server starts in beforeAll; use its client in tests and hooks');
        return url;
      }),
  );
  return { store, api: apis[0]!, apis: apis as { [K in keyof P]: Api } };
}

export interface Reply<T = Json> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A fetch client for one server; `token` authenticates as a device. The url may be a function: a
 * describe's client is made before its server starts (`useServer`) and asks for the url when used.
 */
export class Api {
  readonly #url: string | (() => string);

  constructor(
    url: string | (() => string),
    public token: string | null = null,
    readonly client: string | null = CLIENT,
  ) {
    this.#url = url;
  }

  get url(): string {
    return typeof this.#url === 'string' ? this.#url : this.#url();
  }

  as(token: string | null): Api {
    return new Api(this.#url, token, this.client);
  }

  async request<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.client) h[CLIENT_HEADER] = this.client;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(this.url + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  get<T = Json>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = Json>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  delete<T = Json>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

const deviceSecrets = new WeakMap<object, Uint8Array>();
const secretsById = new Map<string, Uint8Array>();

/** A device with a real Ed25519 signing key (kept here, never sent), so it can prove itself on resume. */
export function newDevice(name = 'test device'): NewDevice {
  const secret = ed25519.utils.randomSecretKey();
  const device = {
    name,
    encPub: randomKey(),
    signPub: b64u(ed25519.getPublicKey(secret)),
    nonce: b64u(randomBytes(16)),
  };
  deviceSecrets.set(device, secret);
  return device;
}

/** Remembers which device id the server gave a device, for later resume proofs. */
export function rememberDevice(device: NewDevice, deviceId: string): void {
  const secret = deviceSecrets.get(device);
  if (secret) secretsById.set(deviceId, secret);
}

/** `deviceProof` of PROTOCOL.md §4: the device's signature of `tessera/v1/resume|loginId|deviceId`. */
export function deviceProof(loginId: string, deviceId: string): string {
  const secret = secretsById.get(deviceId) ?? ed25519.utils.randomSecretKey();
  return b64u(ed25519.sign(new TextEncoder().encode(`tessera/v1/resume|${loginId}|${deviceId}`), secret));
}

export interface Account {
  email: string;
  password: string;
  accountId: string;
  deviceId: string;
  device: NewDevice;
  api: Api;
}

/** Registers with the real OPAQUE client; the first device is pending until genesis. */
export async function register(
  api: Api,
  email: string,
  password = 'correct horse battery staple',
): Promise<Account> {
  await opaque.ready;
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
  const start = await api.post('/v1/accounts/register/start', { email, registrationRequest });
  if (start.status !== 200) throw new Error(`register/start ${start.status} ${JSON.stringify(start.body)}`);
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState,
    registrationResponse: start.body.registrationResponse,
    password,
    ...FAST,
  });
  const device = newDevice('first');
  const finish = await api.post('/v1/accounts/register/finish', { email, registrationRecord, device });
  if (finish.status !== 200)
    throw new Error(`register/finish ${finish.status} ${JSON.stringify(finish.body)}`);
  rememberDevice(device, finish.body.deviceId);
  return {
    email,
    password,
    accountId: finish.body.accountId,
    deviceId: finish.body.deviceId,
    device,
    api: api.as(finish.body.session),
  };
}

/** Signs in with the real OPAQUE client; returns the finish reply (or null when the client rejects the server). */
export async function login(
  api: Api,
  options: {
    email: string;
    password: string;
    device?: NewDevice;
    deviceId?: string;
    /** `sessions/finish`'s `include` (§5 "Sign-in answers folded"). */
    include?: { circle?: true; wraps?: 'recovery' | 'escrow' };
  },
): Promise<Reply> {
  await opaque.ready;
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password: options.password });
  const start = await api.post('/v1/sessions/start', { email: options.email, startLoginRequest });
  if (start.status !== 200) return start;
  const finished = opaque.client.finishLogin({
    clientLoginState,
    loginResponse: start.body.loginResponse,
    password: options.password,
    ...FAST,
  });
  if (!finished) return { status: 0, body: { error: { code: 'client-rejected' } }, headers: new Headers() };
  const res = await api.post('/v1/sessions/finish', {
    loginId: start.body.loginId,
    finishLoginRequest: finished.finishLoginRequest,
    ...(options.device ? { device: options.device } : {}),
    ...(options.deviceId
      ? { deviceId: options.deviceId, deviceProof: deviceProof(start.body.loginId, options.deviceId) }
      : {}),
    ...(options.include ? { include: options.include } : {}),
  });
  if (res.status === 200 && options.device) rememberDevice(options.device, res.body.deviceId);
  return res;
}

export const linkHash = (link: CircleLink) => b64u(sha256(new TextEncoder().encode(canon(link))));

/** An Ed25519 key pair standing in for the circle key of an epoch (§1). */
export interface CircleKey {
  secret: Uint8Array;
  pub: string;
}

export function newCircleKey(): CircleKey {
  const secret = ed25519.utils.randomSecretKey();
  return { secret, pub: b64u(ed25519.getPublicKey(secret)) };
}

/**
 * A circle link signed by `signer` (the head's circle key) over canon(link without sig); its
 * circlePub is the signer's unless given (remove-device brings a new one).
 */
export function makeLink(
  fields: Partial<CircleLink> & Pick<CircleLink, 'op' | 'seq' | 'prev' | 'by'> & { signer: CircleKey },
): CircleLink {
  const { signer, ...rest } = fields;
  const body = {
    v: 1 as const,
    epoch: 1,
    circlePub: signer.pub,
    device: null,
    recoveryPub: null,
    escrowPub: null,
    via: null,
    at: new Date().toISOString(),
    ...rest,
  };
  delete (body as { sig?: string }).sig;
  const sig = fields.sig ?? b64u(ed25519.sign(new TextEncoder().encode(canon(body)), signer.secret));
  return { ...body, sig };
}

/**
 * A version 2 rotate link (§2.1) on the account's head: a new circle key and recovery key, epoch 2;
 * the escrow after it is the account's (`escrowPub`, none if it has none) unless `fields` say otherwise.
 */
export function rotateLink(
  account: {
    circleKey: CircleKey;
    head: { seq: number; hash: string };
    deviceId: string;
    escrowPub?: string | null;
  },
  fields: Record<string, unknown> = {},
): CircleLink {
  return makeLink({
    v: 2,
    signer: account.circleKey,
    circlePub: newCircleKey().pub,
    op: 'rotate',
    seq: account.head.seq + 1,
    epoch: 2,
    prev: account.head.hash,
    by: account.deviceId,
    recoveryPub: randomKey(),
    recoverySignPub: randomKey(),
    recoverySig: b64u(randomBytes(64)),
    escrowPub: account.escrowPub ?? null,
    ...fields,
  });
}

export const fakeWrap = (recipientId: string, epoch = 1) => ({
  recipientId,
  epoch,
  wrapped: b64u(randomBytes(104)),
});

/** A device as a circle link names it (§1): its id and public keys. */
export const linkDevice = (id: string, d: { name: string; encPub: string; signPub: string }) => ({
  id,
  name: d.name,
  encPub: d.encPub,
  signPub: d.signPub,
});

/** The add-device link by which the account's trusted device approves `device`, on its head. */
export const approvalLink = (
  account: { circleKey: CircleKey; head: { seq: number; hash: string }; deviceId: string },
  deviceId: string,
  device: { name: string; encPub: string; signPub: string },
) =>
  makeLink({
    signer: account.circleKey,
    op: 'add-device',
    seq: account.head.seq + 1,
    prev: account.head.hash,
    by: account.deviceId,
    via: 'approval',
    device: linkDevice(deviceId, device),
  });

/**
 * The remove-device link by which the account's trusted device removes `device` on `head`: a new
 * circle key and epoch 2, unless `fields` say otherwise.
 */
export const removalLink = (
  account: { circleKey: CircleKey; deviceId: string },
  head: { seq: number; hash: string },
  device: CircleLink['device'],
  fields: Partial<CircleLink> = {},
) =>
  makeLink({
    signer: account.circleKey,
    circlePub: newCircleKey().pub,
    op: 'remove-device',
    seq: head.seq + 1,
    epoch: 2,
    prev: head.hash,
    by: account.deviceId,
    device,
    ...fields,
  });

/** Sign-up plus genesis: a trusted first device, wraps to itself and `recovery`. */
export async function trustedAccount(
  api: Api,
  email: string,
): Promise<Account & { head: { seq: number; hash: string }; circleKey: CircleKey }> {
  const account = await register(api, email);
  const circleKey = newCircleKey();
  const link = makeLink({
    signer: circleKey,
    op: 'genesis',
    seq: 0,
    prev: null,
    by: account.deviceId,
    via: 'genesis',
    recoveryPub: randomKey(),
    device: linkDevice(account.deviceId, account.device),
  });
  const res = await account.api.post('/v1/circle', {
    link,
    wraps: [fakeWrap(account.deviceId), fakeWrap('recovery')],
  });
  if (res.status !== 200) throw new Error(`genesis ${res.status} ${JSON.stringify(res.body)}`);
  return { ...account, head: res.body.head, circleKey };
}

/** A second device signs in with a new `device` (a join request) and stays pending. */
export async function joinRequest(api: Api, account: Account, name = 'phone') {
  const device = newDevice(name);
  const res = await login(api, { email: account.email, password: account.password, device });
  expect(res.status).toBe(200);
  expect(res.body.deviceStatus).toBe('pending');
  return { device, deviceId: res.body.deviceId as string, api: api.as(res.body.session) };
}

/** A new item to push (version 0, epoch 1) with `size` bytes of ciphertext. */
export const item = (size = 64) => ({
  id: randomUUID(),
  baseVersion: 0,
  epoch: 1,
  ciphertext: b64u(randomBytes(size)),
  deleted: false,
});

/** A rate limit rule of `limit` hits an hour with no back-off before it, so the count alone decides. */
export const rateRule = (limit: number) => ({
  limit,
  windowMs: 3_600_000,
  freeAttempts: limit,
  baseDelayMs: 1,
  maxDelayMs: 1,
});

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.test`;

/** An SSE reader over fetch (like the keychain client): collects events until closed. */
export class FeedReader {
  readonly events: Array<{ id: string; event: string; data: Json }> = [];
  comments = 0;
  status = 0;
  private controller = new AbortController();
  private waiters: Array<() => void> = [];
  ended: Promise<void>;

  constructor(api: Api, lastEventId?: string) {
    this.ended = this.run(api, lastEventId).catch(() => {});
  }

  private async run(api: Api, lastEventId?: string): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (api.client) headers[CLIENT_HEADER] = api.client;
    if (api.token) headers.authorization = `Bearer ${api.token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await fetch(api.url + '/v1/feed', { headers, signal: this.controller.signal });
    this.status = res.status;
    this.notify();
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let idx;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) this.comments++;
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) fields[m[1]!] = m[2]!;
        }
        if (fields.event)
          this.events.push({
            id: fields.id ?? '',
            event: fields.event,
            data: JSON.parse(fields.data ?? 'null'),
          });
        this.notify();
      }
    }
  }

  private notify() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `predicate` holds over the events received (fails after `ms`). */
  async waitFor(predicate: (events: FeedReader['events']) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this.events)) {
      if (Date.now() > deadline)
        throw new Error(`feed: condition not met in ${ms} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close() {
    this.controller.abort();
  }
}

/** Runs SQL directly on the test store's main database (or the escrow's), for storage assertions. */
export async function query(
  store: TestStore,
  text: string,
  params: unknown[] = [],
  options: { escrow?: boolean } = {},
): Promise<Json[]> {
  if (store.backend === 'postgres') {
    const client = new pg.Client({ connectionString: store.database });
    await client.connect();
    try {
      if (options.escrow) await client.query('SET search_path TO escrow');
      let i = 0;
      return (
        await client.query(
          text.replace(/\?/g, () => `$${++i}`),
          params,
        )
      ).rows;
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const file = options.escrow
    ? join(store.dataDir, 'escrow', 'escrow.sqlite')
    : store.database.slice('sqlite:'.length);
  // Read-only unless the statement writes (a test moving a row's expiry into the past).
  const writes = !/^\s*select/i.test(text);
  const db = new Database(file, { readonly: !writes });
  try {
    const statement = db.prepare(text);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.all(...params) as Json[];
  } finally {
    db.close();
  }
}

export const MAIN_TABLES = [
  'accounts',
  'devices',
  'sessions',
  'logins',
  'circle_links',
  'wraps',
  'items',
  'notices',
  'events',
  'shares',
] as const;

/** Rows of every main table that belong to the account. */
export async function accountRows(store: TestStore, accountId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of MAIN_TABLES) {
    const column = table === 'accounts' ? 'id' : 'account_id';
    const rows = await query(store, `SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, [accountId]);
    out[table] = Number(rows[0].n);
  }
  return out;
}

/** The `head`s of the `items` events a feed received, in order. */
export const itemHeads = (f: FeedReader): number[] =>
  f.events.filter((x) => x.event === 'items').map((x) => x.data.head as number);

/**
 * Two server processes on one database, each with the metrics route behind `metricsToken`, set up
 * before and closed after the enclosing describe; `counter` reads one counter of one of them.
 */
export function twoProcesses(backend: Backend, options: ServerOptions = {}) {
  const metricsToken = b64u(randomBytes(32));
  const withMetrics = { ...options, metrics: { token: metricsToken } };
  const { store, apis } = useServer(backend, withMetrics, withMetrics);
  const servers = { store, a: apis[0], b: apis[1] };
  const counter = async (api: Api, name: string): Promise<number> => {
    const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await res.text())?.[1] ?? NaN);
  };
  return { servers, counter, metricsToken };
}
