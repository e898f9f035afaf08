/**
 * `startRealm`: one escrow realm as its own service (`tessera realm serve`): its secret in its data
 * directory, its own database, its own listener. It never opens the keychain database.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { b64u } from '../bytes.js';
import type { ServerOptions } from '../config.js';
import { checkMetricsToken, startMetricsListener, type MetricsAccess } from '../metrics-access.js';
import { RealmCore } from './core.js';
import { buildRealmApp, type RealmRateLimits } from './http.js';
import { loadRealmKeys } from './keys.js';
import { countEvent, createRealmMetrics } from './metrics.js';
import { openRealmStore } from './store.js';

export interface RealmOptions {
  /** Holds `realm-secret` and, by default, `realm.sqlite`. Required: a realm's key must persist. */
  dataDir: string;
  /** `sqlite:PATH` or `postgres://…` (schema `tessera_realm`); default `sqlite:<dataDir>/realm.sqlite`. */
  database?: string;
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  logger?: ServerOptions['logger'];
  trustProxy?: ServerOptions['trustProxy'];
  metrics?: MetricsAccess;
  httpRateLimit?: { max: number; windowMs: number } | false;
  rateLimits?: Partial<RealmRateLimits>;
  /** Environment for TESSERA_REALM_SECRET; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningRealm {
  url: string;
  metricsUrl?: string;
  realmId: string;
  /** Ed25519 public key, base64url: what clients pin. */
  publicKey: string;
  /** The database location (SQLite file path or PostgreSQL URL). */
  location: string;
  close(): Promise<void>;
}

export const REALM_SQLITE_FILE = 'realm.sqlite';
/** The record keys of a realm whose records live in PostgreSQL. */
export const REALM_KEYS_FILE = 'realm-keys.sqlite';

export async function startRealm(options: RealmOptions): Promise<RunningRealm> {
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };
  try {
    if (options.metrics?.token !== undefined)
      checkMetricsToken({ token: options.metrics.token, source: 'metrics.token' });
    const dataDir = resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const keys = await loadRealmKeys({ dataDir, ...(options.env ? { env: options.env } : {}) });
    const url = options.database ?? `sqlite:${join(dataDir, REALM_SQLITE_FILE)}`;
    const metrics = createRealmMetrics();
    const logs: { log?: { warn(o: object, m: string): void } } = {};
    const store = await openRealmStore({
      url: url.startsWith('sqlite:') ? `sqlite:${resolve(url.slice('sqlite:'.length))}` : url,
      // Records in PostgreSQL: their keys in a SQLite file that can really forget (store.ts).
      keysUrl: `sqlite:${join(dataDir, REALM_KEYS_FILE)}`,
      onPoolError: (err) => logs.log?.warn({ err }, 'realm database connection lost'),
    });
    cleanups.push(() => store.close());
    const core = new RealmCore(store, keys, countEvent(metrics));
    const app = await buildRealmApp({
      core,
      store,
      metrics,
      logger: options.logger ?? false,
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
      ...(options.metrics?.token !== undefined ? { metricsToken: options.metrics.token } : {}),
      ...(options.httpRateLimit !== undefined ? { httpRateLimit: options.httpRateLimit } : {}),
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    });
    logs.log = app.log;
    cleanups.push(() => app.close());
    const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    let metricsUrl: string | undefined;
    if (options.metrics?.port !== undefined) {
      const listener = await startMetricsListener({
        metrics,
        host: options.metrics.host ?? '127.0.0.1',
        port: options.metrics.port,
      });
      cleanups.push(() => listener.close());
      metricsUrl = listener.url;
    }
    const base = new URL(address);
    if (base.hostname === '0.0.0.0' || base.hostname === '[::]') base.hostname = 'localhost';
    let closing: Promise<void> | null = null;
    return {
      url: base.origin,
      ...(metricsUrl ? { metricsUrl } : {}),
      realmId: keys.realmId,
      publicKey: b64u(keys.publicKey),
      location: store.location,
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
