/** Builds the Fastify application: validation, hooks, errors, the web app and every route. */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/** Records one answer's duration under `route`. */
function observer(ctx: ServerContext, route: string) {
  const durations = ctx.metrics.requestDuration.route(route);
  return (reply: FastifyReply, done: () => void) => {
    durations.observe(reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
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
  const fastifyOptions: FastifyServerOptions = {
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
  };
  const app = Fastify(fastifyOptions).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  // The API speaks JSON only; anything else is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  ctx.log = app.log;
  // The security headers, set by the first hook of every request from precomputed pairs, so every
  // answer carries them: those of the later hooks (rate limit, CORS, the client check) and errors
  // included. There is no onSend hook: that phase alone cost each request more than the headers
  // (bench/FINDINGS.md, bench:server no-op).
  const headers = Object.entries(
    securityHeaders(ctx.escrowRealms.urls.filter((u) => !u.startsWith('/')).map((u) => new URL(u).origin)),
  );
  const v1Headers: Array<[string, string]> = [...headers, ['cache-control', 'no-store']];
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of isV1(request.url) ? v1Headers : headers) reply.header(name, value);
    done();
  });

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
  // The client check: a callback, not an async function, so the common case costs no promise and
  // no extra turn per request (bench/FINDINGS.md, bench:server against a bare twin).
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isV1(request.url)) return done();
    let outdated: ClientId | null;
    try {
      outdated = outdatedClient(ctx, request);
    } catch (err) {
      return done(err as Error);
    }
    if (!outdated) return done();
    refuseOutdated(ctx, request, outdated).catch((err: Error) => done(err));
  });
  // Once closing, answers end their connection: an idle keep-alive socket would hold the exit back.
  // Requests that arrive later get Fastify's 503 with `Connection: close`; the answers in flight are
  // found through their sockets (tracked per connection, not per request).
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const endInFlight = () => {
    for (const socket of sockets) {
      const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (response && !response.headersSent) response.shouldKeepAlive = false;
    }
  };
  // Durations by route: each route observes with its own label (fixed when it is registered), so no
  // request builds `request.routeOptions`; answers of no route (404) observe as "unmatched".
  app.addHook('onRoute', (route) => {
    const observe = observer(ctx, route.url);
    route.onResponse = [...hookList(route.onResponse), (_request, reply, done) => observe(reply, done)];
  });
  const unmatched = observer(ctx, 'unmatched');
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) return unmatched(reply, done);
    done();
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
  itemRoutes(app, ctx, hub);
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
    endInFlight();
    hub.closeAll();
  });
  return app;
}
