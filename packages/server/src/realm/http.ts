/**
 * The HTTP face of one realm (docs/PROTOCOL.md §11): JSON with base64url bytes, the error body of
 * §4, open CORS (answers are signed and carry nothing a third party could use: the share needs the
 * commitment, which needs the PIN), per-address rate limits on the guess and registration routes,
 * redacted request logs, `/healthz`, `/readyz` and `/metrics` as on the keychain server.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { REALM_MAX_GUESSES } from '@tessera/protocol';
import { b64u, fromB64u } from '../bytes.js';
import type { RateLimitRule, ServerOptions } from '../config.js';
import { toErrorReply } from '../error-reply.js';
import { errorBody } from '../http-error.js';
import { loggerOptions } from '../logging.js';
import { registerMetricsRoute } from '../metrics-access.js';
import { consume, registerHttpRateLimit, type RateKey } from '../rate-limit.js';
import { parseTrustedProxies } from '../trust-proxy.js';
import { validatorCompiler } from '../validation.js';
import type { RealmAnswer, RealmCore } from './core.js';
import type { RealmMetrics } from './metrics.js';
import type { RealmStore } from './store.js';

export interface RealmRateLimits {
  /** Guesses (recover1) per client address. */
  guessAddress: RateLimitRule;
  /** Registrations (register1) per client address. */
  registerAddress: RateLimitRule;
}

const HOUR = 3_600_000;
export const REALM_DEFAULTS = {
  bodyLimit: 16 * 1024,
  httpRateLimit: { max: 600, windowMs: 60_000 },
  rateLimits: {
    guessAddress: { limit: 200, windowMs: HOUR, freeAttempts: 60, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    registerAddress: { limit: 120, windowMs: HOUR, freeAttempts: 60, baseDelayMs: 1_000, maxDelayMs: 60_000 },
  } satisfies RealmRateLimits,
} as const;

/** Body fields never logged. */
const REDACTED = ['blinded', 'commitment', 'masked', 'share', 'payload', 'nonce', 'signature', 'token'];

const B64 = (bytes: number) => Type.String({ pattern: `^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$` });
const B64Up = (max: number) => Type.String({ pattern: `^[A-Za-z0-9_-]{2,${Math.ceil((max * 4) / 3)}}$` });
/** Record ids are random (the client draws 16 bytes and more); short ids could be guessed. */
const RecordId = Type.String({ pattern: '^[A-Za-z0-9_-]{22,86}$' });
const Nonce = B64(32);
const Element = B64(32);

const Step1 = Type.Object(
  { record: RecordId, nonce: Nonce, blinded: Element },
  { additionalProperties: false },
);
const Register2 = Type.Object(
  {
    record: RecordId,
    nonce: Nonce,
    commitment: B64(32),
    masked: B64Up(128),
    share: B64Up(128),
    deleteHash: B64(32),
  },
  { additionalProperties: false },
);
const Delete = Type.Object({ record: RecordId, token: B64(32) }, { additionalProperties: false });
const Recover2 = Type.Object(
  { record: RecordId, nonce: Nonce, commitment: B64(32) },
  { additionalProperties: false },
);

function answerJson(a: RealmAnswer) {
  return {
    realmId: a.realmId,
    record: a.record,
    nonce: b64u(a.nonce),
    payload: b64u(a.payload),
    signature: b64u(a.signature),
  };
}

const bytes = (v: string) => fromB64u(v);

/** Open CORS: any web client may ask any realm directly (no cookies, no credentials). */
export function openCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', 'retry-after');
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST');
      reply.header('access-control-allow-headers', 'content-type');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}

/**
 * The realm's own routes (`/v1/realm…`), on a standalone realm or, under `/realm`, on the keychain
 * server that embeds one.
 */
export function registerRealmRoutes(
  app: FastifyInstance,
  o: { core: RealmCore; store: RealmStore; rateLimits?: Partial<RealmRateLimits> },
): void {
  const { core, store } = o;
  const limits = { ...REALM_DEFAULTS.rateLimits, ...o.rateLimits };
  app.get('/v1/realm', async () => ({
    realmId: core.realmId,
    publicKey: b64u(core.publicKey),
    maxGuesses: REALM_MAX_GUESSES,
  }));
  const rateKey = (request: FastifyRequest, name: keyof RealmRateLimits): RateKey => ({
    key: `${name}:${request.ip}`,
    rule: limits[name],
  });
  const limit = (request: FastifyRequest, name: keyof RealmRateLimits) =>
    consume(store.db, [rateKey(request, name)]);

  app.post('/v1/realm/register1', { schema: { body: Step1 } }, async (request) => {
    const b = request.body as Static<typeof Step1>;
    await limit(request, 'registerAddress');
    return answerJson(
      await core.register1({ record: b.record, nonce: bytes(b.nonce), blinded: bytes(b.blinded) }),
    );
  });
  app.post('/v1/realm/register2', { schema: { body: Register2 } }, async (request) => {
    const b = request.body as Static<typeof Register2>;
    await core.register2({
      record: b.record,
      nonce: bytes(b.nonce),
      commitment: bytes(b.commitment),
      masked: bytes(b.masked),
      share: bytes(b.share),
      deleteHash: bytes(b.deleteHash),
    });
    return { ok: true };
  });
  app.post('/v1/realm/delete', { schema: { body: Delete } }, async (request) => {
    const b = request.body as Static<typeof Delete>;
    await limit(request, 'registerAddress');
    await core.delete({ record: b.record, token: bytes(b.token) });
    return { ok: true };
  });
  app.post('/v1/realm/recover1', { schema: { body: Step1 } }, async (request) => {
    const b = request.body as Static<typeof Step1>;
    // The per-address hit is counted in the guess's own transaction (one commit per guess).
    const { answer, guessesLeft } = await core.recover1({
      record: b.record,
      nonce: bytes(b.nonce),
      blinded: bytes(b.blinded),
      rateKeys: [rateKey(request, 'guessAddress')],
    });
    return { ...answerJson(answer), guessesLeft };
  });
  app.post('/v1/realm/recover2', { schema: { body: Recover2 } }, async (request) => {
    const b = request.body as Static<typeof Recover2>;
    return answerJson(
      await core.recover2({ record: b.record, nonce: bytes(b.nonce), commitment: bytes(b.commitment) }),
    );
  });
}

export async function buildRealmApp(o: {
  core: RealmCore;
  store: RealmStore;
  metrics: RealmMetrics;
  logger?: ServerOptions['logger'];
  trustProxy?: ServerOptions['trustProxy'];
  metricsToken?: string;
  httpRateLimit?: { max: number; windowMs: number } | false;
  rateLimits?: Partial<RealmRateLimits>;
}): Promise<FastifyInstance> {
  const { core, store, metrics } = o;
  const app = Fastify({
    logger: loggerOptions(o.logger, REDACTED),
    trustProxy:
      o.trustProxy === undefined
        ? false
        : parseTrustedProxies({
            value: o.trustProxy,
            source: 'trustProxy (--trust-proxy, TESSERA_TRUST_PROXY)',
          }),
    bodyLimit: REALM_DEFAULTS.bodyLimit,
    forceCloseConnections: true,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  app.removeContentTypeParser('text/plain');

  const httpLimit = o.httpRateLimit === undefined ? REALM_DEFAULTS.httpRateLimit : o.httpRateLimit;
  if (httpLimit) await registerHttpRateLimit(app, httpLimit);

  openCors(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = toErrorReply(err, request);
    if (status === 429 && body.error.retryAfter) reply.header('retry-after', String(body.error.retryAfter));
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not-found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await store.db.selectFrom('realm_tombstones').select('id').limit(1).execute();
      return { ok: true };
    } catch (err) {
      app.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send(errorBody('database-unavailable', 'The database is unavailable.'));
    }
  });
  registerMetricsRoute({ app, metrics, ...(o.metricsToken !== undefined ? { token: o.metricsToken } : {}) });

  registerRealmRoutes(app, { core, store, ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}) });
  return app;
}
