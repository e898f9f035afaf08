import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { RateLimits } from './config.js';
import type { Dialect } from './db/connect.js';
import type { MainDatabase } from './db/tables.js';
import type { Escrow } from './escrow/escrow.js';
import type { EmbeddedRealm, EscrowRealmsConfig } from './escrow-realms.js';
import type { EventBus } from './events.js';
import type { Metrics } from './metrics.js';
import type { SessionCache } from './session-cache.js';

/** Everything a route needs, made once per server. */
export interface ServerContext {
  db: Kysely<MainDatabase>;
  dialect: Dialect;
  /** The legacy single escrow (OPAQUE): still answers PINs set before realms (§11 migration). */
  escrow: Escrow;
  /** The realms new PINs are set at, as announced in `/v1/meta`. */
  escrowRealms: EscrowRealmsConfig;
  /** The realm embedded in this process (served at `/realm`) when no realms are configured. */
  embeddedRealm: EmbeddedRealm | null;
  bus: EventBus;
  /** Session lookups of this process (see session-cache.ts for why revocation stays effective). */
  sessionCache: SessionCache;
  metrics: Metrics;
  opaqueServerSetup: string;
  opaquePublicKey: string;
  minClientVersion: string;
  serverVersion: string;
  rateLimits: RateLimits;
  log: FastifyBaseLogger;
  /** Absolute session lifetime from sign-in (ms), PROTOCOL §10.3. */
  sessionAbsoluteLifetimeMs: number;
  /** Milliseconds since the epoch; `Date.now` unless a test moves time. */
  clock: () => number;
}

/** The caller's session, resolved from the bearer token or the cookie. */
export interface Session {
  tokenHash: string;
  accountId: string;
  deviceId: string;
  deviceStatus: 'pending' | 'trusted' | 'removed';
}
