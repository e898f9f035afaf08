/** Request logs of the keychain server and the realm service: pino with secrets redacted. */
import type { ServerOptions } from './config.js';

/** Log redaction: tokens, cookies and every body field holding OPAQUE messages, keys or ciphertext. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body',
  'body',
  ...[
    'registrationRequest',
    'registrationResponse',
    'registrationRecord',
    'startLoginRequest',
    'loginResponse',
    'finishLoginRequest',
    'session',
    'escrowKey',
    'sealedEscrowKey',
    'ciphertext',
    'wrapped',
    'wraps',
    'items',
  ].flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

/**
 * The path of a request as logged. An issuer icon's path (`/icons/github.svg`) says which services
 * the user has accounts with, which the server otherwise never learns: logged as `/icons/*`.
 */
export function loggedUrl(url: string): string {
  return url.replace(/^\/icons\/[^?#]*/, '/icons/*');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request fields, with the path through `loggedUrl`. */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: loggedUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function loggerOptions(
  logger: ServerOptions['logger'],
  extraFields: readonly string[] = [],
): false | Record<string, unknown> {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  const paths = [...REDACT_PATHS, ...extraFields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`])];
  return {
    level: 'info',
    ...base,
    serializers: { req: serializeRequest },
    redact: { paths, censor: '[redacted]' },
  };
}
