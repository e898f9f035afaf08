/** Builds the Fastify application: validation, hooks, errors, the web app and every route. */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyHttpOptions,
  type FastifyServerOptions,
  type onRequestHookHandler,
} from 'fastify';
import type { Server } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CLIENT_HEADER,
  CLIENT_QUERY_PARAM,
  PROTOCOL_VERSION,
  compareVersions,
  parseClientHeader,
  type ClientId,
} from '@tessera/protocol';
import { DEFAULTS, type ServerOptions } from './config.js';
import type { ServerContext } from './context.js';
import { errorBody, HttpError } from './http-error.js';
import { toErrorReply } from './error-reply.js';
import { lazyChildLogger, loggerOptions } from './logging.js';
import { validatorCompiler } from './validation.js';
import { parseCorsOrigins, registerCors } from './cors.js';
import { registerMetricsRoute } from './metrics-access.js';
import { parseTrustedProxies } from './trust-proxy.js';
import { noticeOutdatedDevice } from './update-notice.js';
import { accountRoutes } from './routes/accounts.js';
import { circleRoutes } from './routes/circle.js';
import { escrowRoutes } from './routes/escrow.js';
import { FeedHub, feedRoutes } from './routes/feed.js';
import { itemRoutes } from './routes/items.js';
import { noticeRoutes } from './routes/notices.js';
import { joinRoutes } from './routes/join.js';
import { shareRoutes } from './routes/shares.js';
import { folderDirectoryRoutes, folderRoutes } from './routes/folders.js';
import { securityHeaders, registerWebApp } from './web.js';
import { EMBEDDED_REALM_PATH } from './escrow-realms.js';
import { openCors, registerRealmRoutes } from './realm/http.js';
import { registerHttpRateLimit } from './rate-limit.js';
import { answers, observeAs } from './answers.js';

const isV1 = (url: string) => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');

/**
 * Checks the client header; returns the client when it is too old (then `refuseOutdated` answers),
 * null when it may go on. Synchronous, so the common case costs no promise per request.
 */
function outdatedClient(ctx: ServerContext, request: FastifyRequest): ClientId | null {
  const minClientVersion = ctx.minClientVersion;
  let value = request.headers[CLIENT_HEADER.toLowerCase()];
  if (value === undefined && request.url.startsWith('/v1/feed')) {
    value = (request.query as Record<string, string | undefined> | undefined)?.[CLIENT_QUERY_PARAM];
  }
  if (Array.isArray(value)) value = value[0];
  const client = parseClientHeader(value);
  if (!client) {
    throw new HttpError(
      400,
      'client-header-required',
      `Every request needs a ${CLIENT_HEADER} header like "tessera-cli/0.2.0".`,
    );
  }
  return compareVersions(client.version, minClientVersion) < 0 ? client : null;
}

async function refuseOutdated(ctx: ServerContext, request: FastifyRequest, client: ClientId): Promise<never> {
  await noticeOutdatedDevice(ctx, request, client).catch((err) =>
    request.log.warn({ err }, 'update notice failed'),
  );
  throw new HttpError(
    426,
    'update-required',
    `${client.client} ${client.version} is too old for this server; update Tessera to ${ctx.minClientVersion} or later.`,
    { minimumVersion: ctx.minClientVersion },
  );
}

/** A route's hooks of one kind as a list (Fastify takes one function or an array). */
function hookList<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

export async function buildApp(options: {
  ctx: ServerContext;
  config: ServerOptions;
  hub: FeedHub;
}): Promise<FastifyInstance> {
  const { ctx, config, hub } = options;
  // The security headers, added to every answer as Node writes its head (answers.ts), so every answer
  // carries them: those of the hooks (rate limit, CORS, the client check), errors, Fastify's own 503
  // while closing and the feed included, without a hook per request (bench/FINDINGS.md, bench:server
  // no-op).
  const headers = Object.entries(
    securityHeaders(ctx.escrowRealms.urls.filter((u) => !u.startsWith('/')).map((u) => new URL(u).origin)),
  );
  const answering = answers({ headers, v1Headers: [...headers, ['cache-control', 'no-store']], v1: isV1 });
  const fastifyOptions: FastifyHttpOptions<Server> = {
    logger: loggerOptions(config.logger),
    // Without a logger Fastify's own no-op one is cheap already.
    ...(config.logger
      ? { childLoggerFactory: lazyChildLogger as unknown as FastifyServerOptions['childLoggerFactory'] }
      : {}),
    trustProxy:
      config.trustProxy === undefined
        ? false
        : parseTrustedProxies({
            value: config.trustProxy,
            source: 'trustProxy (--trust-proxy, TESSERA_TRUST_PROXY)',
          }),
    bodyLimit: DEFAULTS.bodyLimit,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    http: { ServerResponse: answering.ServerResponse },
  };
  const app = Fastify(fastifyOptions).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  // The API speaks JSON only; anything else is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  ctx.log = app.log;

  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tessera keychain API',
        version: `${PROTOCOL_VERSION}.0.0`,
        description: `docs/PROTOCOL.md. Every /v1 request carries the ${CLIENT_HEADER} header.`,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'tessera_session' },
        },
      },
    },
  });

  const httpLimit = config.httpRateLimit === undefined ? DEFAULTS.httpRateLimit : config.httpRateLimit;
  if (httpLimit) await registerHttpRateLimit(app, httpLimit);

  // Before the client check: a preflight carries no Tessera-Client header.
  registerCors({
    app,
    // The embedded realm answers every origin itself (realm/http.ts openCors).
    skip: (url) => url.startsWith(`${EMBEDDED_REALM_PATH}/`),
    origins:
      config.corsOrigins === undefined
        ? []
        : parseCorsOrigins({
            value: config.corsOrigins,
            source: 'corsOrigins (--cors-origin, TESSERA_CORS_ORIGINS)',
          }),
  });
  // The client check, on /v1 only: the first of each /v1 route's own hooks (so after the shared ones,
  // CORS among them, and before the per-address limit's, which that plugin adds to each route), and
  // the first hook of the /v1 answers of no route (below). Other routes (/healthz, the web app, the
  // realm) run no hook for it. A callback, not an async function: the common case costs no promise
  // (bench/FINDINGS.md, bench:server against a bare twin).
  const clientCheck: onRequestHookHandler = (request, _reply, done) => {
    let outdated: ClientId | null;
    try {
      outdated = outdatedClient(ctx, request);
    } catch (err) {
      return done(err as Error);
    }
    if (!outdated) return done();
    refuseOutdated(ctx, request, outdated).catch((err: Error) => done(err));
  };
  // Durations by route, counted as each answer ends (answers.ts): the route's handler names its route
  // (a label fixed when the route is registered, so no request builds `request.routeOptions`), the
  // `onError` hook that of an answer refused before its handler, the 404 handler "unmatched". No
  // `onResponse` hook: any makes Fastify listen to every answer's end (bench/FINDINGS.md).
  const unmatched = ctx.metrics.requestDuration.route('unmatched');
  app.addHook('onRoute', (route) => {
    const onRequest = hookList(route.onRequest);
    // Fastify copies a GET route's options for its HEAD route: add the check once.
    if (isV1(route.url) && !onRequest.includes(clientCheck)) route.onRequest = [clientCheck, ...onRequest];
    const durations = ctx.metrics.requestDuration.route(route.url);
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      observeAs(reply.raw, durations);
      return handler.call(this, request, reply);
    };
  });

  // Errors only (no cost per request), in every context, the realm's with its own error handler too.
  app.addHook('onError', (request, reply, _error, done) => {
    const route = request.is404 ? undefined : request.routeOptions.url;
    observeAs(reply.raw, route === undefined ? unmatched : ctx.metrics.requestDuration.route(route));
    done();
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = toErrorReply(err, request);
    if (status === 429 && body.error.retryAfter) reply.header('retry-after', String(body.error.retryAfter));
    return reply.code(status).send(body);
  });

  const webIndex = config.webRoot ? await registerWebApp(app, config.webRoot) : false;
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    observeAs(reply.raw, unmatched);
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') && !isV1(request.url) && webIndex;
    if (wantsPage && !/\.[a-z0-9]+$/i.test(request.url.split('?')[0]!))
      return reply.type('text/html').sendFile('index.html');
    return reply
      .code(404)
      .send(errorBody('not-found', `No route ${request.method} ${request.url.split('?')[0]}.`));
  };
  app.setNotFoundHandler(notFound);
  // /v1's answers of no route: a 404 handler of their own, after the client check.
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', clientCheck);
      v1.setNotFoundHandler(notFound);
    },
    { prefix: '/v1' },
  );

  // Operational routes (no client header, no session).
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await Promise.all([ctx.db.selectFrom('accounts').select('id').limit(1).execute(), ctx.escrow.ping()]);
      return { ok: true };
    } catch (err) {
      ctx.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send(errorBody('database-unavailable', 'The database is unavailable.'));
    }
  });
  registerMetricsRoute({ app, metrics: ctx.metrics, token: config.metrics?.token });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  accountRoutes(app, ctx);
  circleRoutes(app, ctx);
  escrowRoutes(app, ctx);
  itemRoutes(app, ctx, hub);
  noticeRoutes(app, ctx);
  shareRoutes(app, ctx);
  folderRoutes(app, ctx);
  folderDirectoryRoutes(app, ctx);
  joinRoutes(app, ctx, { waitMaxMs: config.joinWaitMaxMs });
  feedRoutes(app, ctx, hub);
  const realm = ctx.embeddedRealm;
  if (realm)
    await app.register(
      async (sub) => {
        openCors(sub);
        registerRealmRoutes(sub, { core: realm.core, store: realm.store });
      },
      { prefix: EMBEDDED_REALM_PATH },
    );

  app.addHook('preClose', async () => {
    // Fastify answers requests that arrive from now on with a 503 and `Connection: close`; the answers
    // in flight close their connections too (answers.ts), or an idle keep-alive socket would hold the
    // exit back.
    answering.closing();
    hub.closeAll();
  });
  return app;
}
