/**
 * Cross-origin access for a web app served from another origin (static hosting, `tessera serve
 * --no-web`). Only the listed origins get CORS headers; a browser on any other origin cannot read
 * an answer or send a preflighted request (every API call is preflighted: it carries the
 * Tessera-Client header). The app authenticates with a bearer token, never the cookie, so
 * credentials are not allowed (Fetch standard §3.2 "CORS protocol").
 */
import type { FastifyInstance } from 'fastify';
import { errorBody } from './http-error.js';

const ALLOWED_METHODS = 'GET, POST, PUT, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, tessera-client, last-event-id';
/** How long a browser may reuse a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE = '600';

/**
 * Parses the allowed origins (a list or a comma-separated string) and throws naming any entry that
 * is not exactly an origin (`https://app.example.org`, no path, no trailing slash).
 */
export function parseCorsOrigins(options: { value: string | readonly string[]; source: string }): string[] {
  const entries = (typeof options.value === 'string' ? options.value.split(',') : [...options.value])
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    let origin: string | null = null;
    try {
      const url = new URL(entry);
      if (url.protocol === 'https:' || url.protocol === 'http:') origin = url.origin;
    } catch {
      /* reported below */
    }
    if (origin !== entry)
      throw new Error(
        `${options.source}: ${JSON.stringify(entry)} is not an origin like https://app.example.org (scheme, host and port only)`,
      );
  }
  return entries;
}

/** Answers preflights and adds CORS headers for the allowed origins; registers nothing when the list is empty. */
export function registerCors(options: {
  app: FastifyInstance;
  origins: readonly string[];
  /** Paths that answer CORS themselves. */
  skip?: (url: string) => boolean;
}): void {
  const { app, skip } = options;
  if (options.origins.length === 0) return;
  const allowed = new Set(options.origins);
  app.addHook('onRequest', async (request, reply) => {
    if (skip?.(request.url)) return;
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'];
    if (!allowed.has(origin)) {
      // No CORS headers: the browser keeps the answer from the page. A preflight ends here.
      if (preflight)
        return reply.code(403).send(errorBody('forbidden', 'This origin may not use this server.'));
      return;
    }
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'origin');
    reply.header('access-control-expose-headers', 'retry-after');
    if (preflight) {
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
      return reply.code(204).send();
    }
  });
}
