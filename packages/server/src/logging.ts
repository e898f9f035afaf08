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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogCall = (...args: unknown[]) => void;
interface ParentLogger {
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): ChildLogger;
  isLevelEnabled(level: string): boolean;
}
type ChildLogger = ParentLogger & Record<Level, LogCall> & { level: string };

/**
 * A request's logger, made only when something is logged at an enabled level: pino redacts a
 * child's bindings when it is made, for every request (3% of a busy server's CPU at `warn`, where
 * nothing is logged; bench/FINDINGS.md). A route with a log level of its own gets a real child.
 */
class LazyChildLogger {
  private made: ChildLogger | null = null;
  constructor(
    private readonly parent: ParentLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Record<string, unknown>,
  ) {}
  private real(): ChildLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }
  get level(): string {
    return this.real().level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.made ? this.made.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): ChildLogger {
    return this.real().child(bindings, options);
  }
  private log(level: Level, args: unknown[]): void {
    if (this.made || this.parent.isLevelEnabled(level)) this.real()[level](...args);
  }
  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
}

/** Fastify's `childLoggerFactory`: each request's logger made lazily (LazyChildLogger). */
export function lazyChildLogger(
  parent: ParentLogger,
  bindings: Record<string, unknown>,
  options: Record<string, unknown>,
): unknown {
  if (options.level !== undefined) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings, options);
}
