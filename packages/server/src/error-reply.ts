/** Maps an error to the one error body (docs/PROTOCOL.md §4), for the keychain server and the realm service. */
import type { FastifyError, FastifyRequest } from 'fastify';
import type { ErrorBody } from '@tessera/protocol';
import { isDatabaseUnavailable } from './db/errors.js';
import { errorBody, HttpError } from './http-error.js';

/** Maps any error to `{ error: { code, message } }`; no stack trace or secret leaves the server. */
export function toErrorReply(
  err: FastifyError & { retryAfter?: number },
  request: FastifyRequest,
): { status: number; body: ErrorBody } {
  if (err instanceof HttpError)
    return { status: err.status, body: errorBody(err.code, err.message, err.extra) };
  if (err.validation)
    return { status: 400, body: errorBody('bad-request', `Invalid request: ${err.message}.`) };
  if (isDatabaseUnavailable(err)) {
    request.log.error({ err }, 'database unavailable');
    return {
      status: 503,
      body: errorBody('database-unavailable', 'The database is unavailable; try again shortly.'),
    };
  }
  const status = err.statusCode ?? 500;
  if (status === 429) {
    const extra = err.retryAfter ? { retryAfter: err.retryAfter } : {};
    return { status, body: errorBody('rate-limited', err.message, extra) };
  }
  if (status === 413) return { status, body: errorBody('too-large', 'The request body is too large.') };
  if (status === 415) return { status, body: errorBody('bad-request', 'Send the body as application/json.') };
  if (status === 503)
    return { status, body: errorBody('unavailable', 'The server is shutting down; try again shortly.') };
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, empty body...) have safe, specific messages.
    return { status, body: errorBody('bad-request', err.message) };
  }
  request.log.error({ err }, 'unexpected error');
  return {
    status: 500,
    body: errorBody('internal', 'Something went wrong on the server; it has been logged.'),
  };
}
