/** Builds the Fastify application: validation, hooks, errors, the web app and every route. */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CLIENT_HEADER,
  CLIENT_QUERY_PARAM,
  PROTOCOL_VERSION,
  compareVersions,
  parseClientHeader,
} from '@tessera/protocol';
import { DEFAULTS, type ServerOptions } from './config.js';
import type { ServerContext } from './context.js';
import { errorBody, HttpError } from './http-error.js';
import { toErrorReply } from './error-reply.js';
import { loggerOptions } from './logging.js';
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

const isV1 = (url: string) => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');

async function checkClient(ctx: ServerContext, request: FastifyRequest): Promise<void> {
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
  if (compareVersions(client.version, minClientVersion) < 0) {
    await noticeOutdatedDevice(ctx, request, client).catch((err) =>
      request.log.warn({ err }, 'update notice failed'),
    );
    throw new HttpError(
      426,
      'update-required',
      `${client.client} ${client.version} is too old for this server; update Tessera to ${minClientVersion} or later.`,
      { minimumVersion: minClientVersion },
    );
  }
}

export async function buildApp(options: {
  ctx: ServerContext;
  config: ServerOptions;
  hub: FeedHub;
}): Promise<FastifyInstance> {
  const { ctx, config, hub } = options;
  const fastifyOptions: FastifyServerOptions = {
    logger: loggerOptions(config.logger),
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
  };
  const app = Fastify(fastifyOptions).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  // The API speaks JSON only; anything else is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  ctx.log = app.log;

  const { default: cookie } = await import('@fastify/cookie');
  await app.register(cookie);

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
  app.addHook('onRequest', async (request) => {
    if (isV1(request.url)) await checkClient(ctx, request);
  });
  // Once closing, answers end their connection: an idle keep-alive socket would hold the exit back.
  let closing = false;
  const headers = securityHeaders(
    ctx.escrowRealms.urls.filter((u) => !u.startsWith('/')).map((u) => new URL(u).origin),
  );
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    if (isV1(request.url)) reply.header('cache-control', 'no-store');
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = toErrorReply(err, request);
    if (status === 429 && body.error.retryAfter) reply.header('retry-after', String(body.error.retryAfter));
    return reply.code(status).send(body);
  });

  const webIndex = config.webRoot ? await registerWebApp(app, config.webRoot) : false;
  app.setNotFoundHandler((request, reply) => {
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') && !isV1(request.url) && webIndex;
    if (wantsPage && !/\.[a-z0-9]+$/i.test(request.url.split('?')[0]!))
      return reply.type('text/html').sendFile('index.html');
    return reply
      .code(404)
      .send(errorBody('not-found', `No route ${request.method} ${request.url.split('?')[0]}.`));
  });

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
  itemRoutes(app, ctx);
  noticeRoutes(app, ctx);
  shareRoutes(app, ctx);
  folderRoutes(app, ctx);
  folderDirectoryRoutes(app, ctx);
  joinRoutes(app, ctx);
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
    closing = true;
    hub.closeAll();
  });
  return app;
}
