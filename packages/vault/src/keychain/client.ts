/**
 * Typed fetch client for every route of docs/PROTOCOL.md §4 (types from @tessera/protocol's route
 * table). Works in Node 20+ and browsers. Every request names the client version; a server that
 * requires a newer one (426) becomes a clear `update-required` error.
 */
import {
  CLIENT_HEADER,
  ROUTES,
  type ErrorDetail,
  type RouteName,
  type Static,
  type TSchema,
} from '@tessera/protocol';
import { ESCROW_DESTROYED_MESSAGE, KeychainError } from './errors.js';

type Routes = typeof ROUTES;
/** Request body of a route, from its TypeBox schema. */
export type BodyOf<N extends RouteName> = Routes[N] extends { body: infer B extends TSchema }
  ? Static<B>
  : never;
/** Query string of a route. */
export type QueryOf<N extends RouteName> = Routes[N] extends { querystring: infer Q extends TSchema }
  ? Static<Q>
  : never;
/** Response body of a route (null for 204). */
export type ResponseOf<N extends RouteName> = Routes[N] extends { response: infer R extends TSchema }
  ? Static<R>
  : unknown;

export interface KeychainClientOptions {
  /** Base URL of the keychain server, e.g. `https://keys.example.org`. */
  server: string;
  /** `Tessera-Client` value, e.g. `tessera-cli/0.2.0`. */
  client: string;
  /** Session token (Bearer); browsers may rely on the HttpOnly cookie instead. */
  session?: string | null;
  /** Per-request timeout in ms (not applied to the feed). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** One HTTP client per server and session. */
export class KeychainClient {
  readonly server: string;
  readonly clientId: string;
  session: string | null;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(options: KeychainClientOptions) {
    this.server = normalizeServer(options.server);
    this.clientId = options.client;
    this.session = options.session ?? null;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Calls a route by name; throws `KeychainError` for a network failure or any non-2xx answer. */
  async call<N extends RouteName>(
    name: N,
    input: { body?: BodyOf<N>; query?: QueryOf<N> } = {},
    options: { heldMs?: number } = {},
  ): Promise<ResponseOf<N>> {
    const spec = ROUTES[name];
    const url = this.url(spec.url, input.query as Record<string, unknown> | undefined);
    const response = await this.send(url, {
      method: spec.method,
      headers: this.headers(input.body !== undefined),
      body: input.body !== undefined ? JSON.stringify(input.body) : undefined,
      // A long poll (`heldMs`, how long the server may hold its answer) gets that time besides the usual one.
      signal: AbortSignal.timeout(this.timeoutMs + (options.heldMs ?? 0)),
    });
    if (response.status === 204) return null as ResponseOf<N>;
    return (await response.json()) as ResponseOf<N>;
  }

  /** Opens the server-sent event stream (`GET /v1/feed`); the caller reads and closes it. */
  async openFeed(options: { signal: AbortSignal; lastEventId?: string | null }): Promise<Response> {
    const headers = this.headers(false);
    headers.accept = 'text/event-stream';
    if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
    return this.send(this.url(ROUTES.feed.url), { method: 'GET', headers, signal: options.signal });
  }

  private url(path: string, query?: Record<string, unknown>): string {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { [CLIENT_HEADER]: this.clientId };
    if (json) headers['content-type'] = 'application/json';
    if (this.session) headers.authorization = `Bearer ${this.session}`;
    return headers;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, init);
    } catch (err) {
      if (init.signal?.aborted && (init.signal.reason as Error)?.name !== 'TimeoutError') throw err;
      const why =
        (err as Error)?.name === 'TimeoutError' ? 'it did not answer in time' : describeNetworkError(err);
      throw new KeychainError('offline', `Cannot reach the keychain server at ${this.server}: ${why}.`);
    }
    if (response.ok) return response;
    throw await errorFrom(response, this.clientId);
  }
}

/** Accepts `host:port` or a URL; keeps only the origin and path prefix. */
export function normalizeServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new KeychainError(
      'http',
      `"${server}" is not a server address (expected e.g. https://keys.example.org).`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KeychainError('http', `The server address must start with https:// (got ${url.protocol}).`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '') + '/';
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? 'network error';
}

/** The `error` object of a §4 error body `{ error: { code, message, ...extra } }`, or `{}`. */
async function errorDetail(response: Response): Promise<Partial<ErrorDetail> & Record<string, unknown>> {
  try {
    const body = (await response.json()) as { error?: unknown };
    return typeof body?.error === 'object' && body.error !== null ? (body.error as Partial<ErrorDetail>) : {};
  } catch {
    return {};
  }
}

async function errorFrom(response: Response, clientId: string): Promise<KeychainError> {
  const body = await errorDetail(response);
  const details = { status: response.status, ...body };
  if (response.status === 426) {
    const version = clientId.split('/')[1] ?? clientId;
    return new KeychainError(
      'update-required',
      `Update required: this keychain server needs Tessera ${body.minimumVersion ?? 'a newer version'} or newer, and this is ${version}.`,
      details,
    );
  }
  if (response.status === 401 && body.code === 'join-removed') {
    return new KeychainError(
      'join-removed',
      'This request to join was removed by a trusted device; sign in again with `tessera keychain login` to ask anew.',
      details,
    );
  }
  if (response.status === 401 && body.code === 'session-expired') {
    return new KeychainError(
      'not-signed-in',
      'Signed out: this session reached its maximum lifetime; sign in again with `tessera keychain login`.',
      details,
    );
  }
  if (response.status === 401) {
    return new KeychainError(
      'not-signed-in',
      'The keychain session has ended; sign in again with `tessera keychain login`.',
      details,
    );
  }
  if (response.status === 409 && body.code === 'conflict') {
    return new KeychainError('conflict', 'Some items changed on the server meanwhile.', details);
  }
  if (response.status === 409 && body.code === 'epoch-stale') {
    return new KeychainError('epoch-stale', 'The keychain moved to a new key epoch meanwhile.', details);
  }
  if (body.code === 'escrow-destroyed') {
    return new KeychainError('escrow-destroyed', ESCROW_DESTROYED_MESSAGE, details);
  }
  const message =
    typeof body.message === 'string' ? body.message : `The keychain server answered HTTP ${response.status}.`;
  return new KeychainError('http', message, details);
}
