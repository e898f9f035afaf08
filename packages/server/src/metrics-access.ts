/**
 * Who may read `/metrics`. The counters (sign-ins, restores, PIN attempts by outcome) tell an
 * outsider when accounts are attacked or recovered, so they are never public: either requests to
 * the main listener carry `Authorization: Bearer <token>`, or a separate listener (a private address)
 * serves them, or both. With neither, `/metrics` does not exist.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errorBody } from './http-error.js';
import type { Registry } from 'prom-client';

/** Anything with its own prom-client registry (the keychain server's or a realm's metrics). */
type Metrics = { registry: Registry };

/** Shorter tokens could be guessed; 32 random bytes in base64url are 43 characters. */
export const MIN_METRICS_TOKEN_LENGTH = 32;

export interface MetricsAccess {
  /** Bearer token that opens `/metrics` on the main listener (at least 32 characters). */
  token?: string;
  /** Separate listener serving only `/metrics`, without a token (default host 127.0.0.1). */
  host?: string;
  port?: number;
}

/** Refuses a token too short to resist guessing; the message never echoes the token. */
export function checkMetricsToken(options: { token: string; source: string }): void {
  if (options.token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(options.token))
    throw new Error(
      `${options.source}: the metrics token must be at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -base64 32)`,
    );
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of the request's bearer token with the configured one. */
function authorized(request: FastifyRequest, expected: Buffer): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (\S+)$/i.exec(header);
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

async function sendMetrics(metrics: Metrics, reply: FastifyReply): Promise<string> {
  reply.type(metrics.registry.contentType);
  return metrics.registry.metrics();
}

/** `/metrics` on the main listener, only when a token is configured. */
export function registerMetricsRoute(options: {
  app: FastifyInstance;
  metrics: Metrics;
  token?: string;
}): void {
  const { app, metrics, token } = options;
  if (token === undefined) return;
  const expected = digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!authorized(request, expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      return reply.code(401).send(errorBody('unauthorized', '/metrics needs the metrics bearer token.'));
    }
    return sendMetrics(metrics, reply);
  });
}

/** The separate metrics listener; returns its URL and how to close it. */
export async function startMetricsListener(options: {
  metrics: Metrics;
  host: string;
  port: number;
}): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/metrics', async (_request, reply) => sendMetrics(options.metrics, reply));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody('not-found', `Only /metrics is served here, not ${request.url.split('?')[0]}.`)),
  );
  const address = await app.listen({ host: options.host, port: options.port });
  return { url: new URL(address).origin, close: () => app.close() };
}
