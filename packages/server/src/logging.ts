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

export function loggerOptions(
  logger: ServerOptions['logger'],
  extraFields: readonly string[] = [],
): false | Record<string, unknown> {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  const paths = [...REDACT_PATHS, ...extraFields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`])];
  return { level: 'info', ...base, redact: { paths, censor: '[redacted]' } };
}
