/** Options of `startServer` and the one place their defaults live. */
import { DEFAULT_MIN_CLIENT_VERSION } from '@tessera/protocol';
import type { MetricsAccess } from './metrics-access.js';

/** A counter shared by all processes: `limit` hits per `windowMs`, then a growing wait after `freeAttempts`. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** Hits in a window before back-off starts. */
  freeAttempts: number;
  /** First back-off wait; it doubles with each further hit, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RateLimits {
  /** Failed sign-ins per account (at most 100 per hour). */
  signInAccount: RateLimitRule;
  signInAddress: RateLimitRule;
  /** Recovery attempts (PIN proofs, fetching the recovery or escrow wraps) per account. */
  recoveryAccount: RateLimitRule;
  recoveryAddress: RateLimitRule;
}

export interface ServerOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `sqlite:PATH` or `postgres://…`; default an SQLite file `tessera.sqlite` in `dataDir`. */
  database?: string;
  /** Holds the SQLite files and the secret files; default a temporary directory removed on close. */
  dataDir?: string;
  /** The built web app to serve at `/` (SPA fallback to index.html). Without it no HTML is served. */
  webRoot?: string;
  /**
   * Origins allowed to call the API from a browser (CORS), for the web app served as static files
   * from another origin: a list or a comma-separated string of `https://app.example.org`. Default none.
   */
  corsOrigins?: string | readonly string[];
  /** pino options, true for defaults, false (default) for none. */
  logger?: boolean | Record<string, unknown>;
  /** Clients older than this get 426. */
  minClientVersion?: string;
  /**
   * Escrow realms that hold PINs (PROTOCOL §11): URLs of `tessera realm serve` services run by
   * others (a list or a comma-separated string) and how many must answer (default a majority).
   * Without it this process runs one embedded realm at `/realm`.
   */
  escrowRealms?: { urls: string | readonly string[]; threshold?: number | string };
  /** Escrow database URL (`sqlite:PATH` or `postgres://…`); default `<data>/escrow/escrow.sqlite` with SQLite, or schema `escrow` of the main PostgreSQL database. */
  escrowDatabase?: string;
  /**
   * Addresses of the reverse proxies in front (IP addresses, CIDR ranges, `loopback`; a list or a
   * comma-separated string). Requests from them may name the client address (X-Forwarded-For, the
   * first untrusted hop from the right) and protocol (X-Forwarded-Proto). Default: none.
   */
  trustProxy?: string | readonly string[];
  rateLimits?: Partial<RateLimits>;
  /**
   * Who may read `/metrics` (metrics-access.ts): a bearer token on the main listener and/or a
   * separate listener (`port`, `host` default 127.0.0.1). Default: `/metrics` is not served.
   */
  metrics?: MetricsAccess;
  /** General per-address request limit of this process (@fastify/rate-limit); false disables it. */
  httpRateLimit?: { max: number; windowMs: number } | false;
  /** How long an escrow PIN attempt may take between start and finish. */
  escrowAttemptTtlMs?: number;
  /** How often housekeeping runs (expired PIN attempts become failures, old rows go). */
  maintenanceIntervalMs?: number;
  /** How long this process may reuse a session lookup (ms); 0 disables the cache. See session-cache.ts. */
  sessionCacheTtlMs?: number;
  /**
   * The same while this process hears every revocation (PostgreSQL, LISTEN connection up); it is
   * the staleness bound only if that connection dies unnoticed. See session-cache.ts.
   */
  sessionCacheHeardTtlMs?: number;
  /**
   * Absolute session lifetime (ms) from sign-in, whatever the sliding expiry says (PROTOCOL §10.3);
   * default 90 days, or TESSERA_SESSION_ABSOLUTE_LIFETIME_MS.
   */
  sessionAbsoluteLifetimeMs?: number;
  /**
   * Longest a look at the approval relay is held for news (long polling, PROTOCOL §1.3); default
   * JOIN_WAIT_MAX_MS (25 s). Tests raise it so that a missed wake-up shows as a hang.
   */
  joinWaitMaxMs?: number;
  /** The clock sessions are checked against; tests move it forward instead of sleeping. */
  clock?: () => number;
  /** Environment to read secrets and database settings from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const HOUR = 3_600_000;

export const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  minClientVersion: DEFAULT_MIN_CLIENT_VERSION,
  sqliteFile: 'tessera.sqlite',
  escrowSqliteFile: 'escrow/escrow.sqlite',
  escrowSchema: 'escrow',
  /** Sessions slide: each use (at most hourly) pushes expiry this far ahead. */
  sessionTtlMs: 30 * 24 * HOUR,
  sessionTouchIntervalMs: HOUR,
  /** However often it is used, a session ends this long after sign-in (PROTOCOL §10.3). */
  sessionAbsoluteLifetimeMs: 90 * 24 * HOUR,
  /**
   * Reuse of a session lookup within one process: saves a query per request; revocations reach
   * other processes by NOTIFY at once, so this only bounds staleness if a notification is lost.
   */
  sessionCacheTtlMs: 5_000,
  /** While revocations are heard: a look-up per device per 30 s instead of per 5 s. */
  sessionCacheHeardTtlMs: 30_000,
  sessionCacheMaxEntries: 10_000,
  loginTtlMs: 2 * 60_000,
  escrowAttemptTtlMs: 2 * 60_000,
  eventRetentionMs: 7 * 24 * HOUR,
  maintenanceIntervalMs: 60_000,
  httpRateLimit: { max: 1200, windowMs: 60_000 },
  /** Body limit of POST /v1/items: 500 items of the largest ciphertext plus JSON overhead. */
  pushBodyLimit: 17 * 1024 * 1024,
  bodyLimit: 256 * 1024,
  rateLimits: {
    signInAccount: { limit: 100, windowMs: HOUR, freeAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    signInAddress: { limit: 300, windowMs: HOUR, freeAttempts: 30, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    recoveryAccount: { limit: 30, windowMs: HOUR, freeAttempts: 10, baseDelayMs: 2_000, maxDelayMs: 300_000 },
    recoveryAddress: {
      limit: 100,
      windowMs: HOUR,
      freeAttempts: 20,
      baseDelayMs: 2_000,
      maxDelayMs: 300_000,
    },
  } satisfies RateLimits,
} as const;
