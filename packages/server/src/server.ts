/**
 * `startServer`: opens the databases and secrets, builds the app, listens; `close()` shuts down
 * gracefully (stop accepting, end feeds, finish in-flight requests, close the databases).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { buildApp } from './app.js';
import { DEFAULTS, type ServerOptions } from './config.js';
import type { ServerContext } from './context.js';
import { openDatabase, type Database } from './db/connect.js';
import { mainMigrations, migrate } from './db/migrations.js';
import type { MainDatabase } from './db/tables.js';
import { Escrow } from './escrow/escrow.js';
import {
  EMBEDDED_REALM_PATH,
  openEmbeddedRealm,
  parseEscrowRealms,
  type EscrowRealmsConfig,
} from './escrow-realms.js';
import { localBus, postgresBus, type EventBus } from './events.js';
import { createMetrics } from './metrics.js';
import { checkMetricsToken, startMetricsListener } from './metrics-access.js';
import { startMaintenance } from './maintenance.js';
import { FeedHub } from './routes/feed.js';
import { SessionCache } from './session-cache.js';
import { loadSecrets } from './secrets.js';
import { SERVER_VERSION } from './version.js';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Base URL of the separate metrics listener, when `metrics.port` is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** Where the main database lives: option, then `DATABASE_URL`, then an SQLite file in the data directory. */
function mainDatabaseUrl(options: ServerOptions, dataDir: string): string {
  const env = options.env ?? process.env;
  const url = options.database ?? env.DATABASE_URL;
  if (!url) return `sqlite:${join(dataDir, DEFAULTS.sqliteFile)}`;
  if (url.startsWith('sqlite:')) return `sqlite:${resolve(url.slice('sqlite:'.length))}`;
  return url;
}

/** TESSERA_ESCROW_REALMS and TESSERA_ESCROW_THRESHOLD, when set. */
function envRealms(env: NodeJS.ProcessEnv): ServerOptions['escrowRealms'] {
  if (!env.TESSERA_ESCROW_REALMS) return undefined;
  return { urls: env.TESSERA_ESCROW_REALMS, threshold: env.TESSERA_ESCROW_THRESHOLD };
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };
  try {
    if (options.metrics?.token !== undefined)
      checkMetricsToken({ token: options.metrics.token, source: 'metrics.token' });
    let dataDir: string;
    if (options.dataDir) {
      dataDir = resolve(options.dataDir);
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
    } else {
      dataDir = await mkdtemp(join(tmpdir(), 'tessera-server-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    }
    await opaque.ready;
    const secrets = await loadSecrets({ dataDir, env });
    const metrics = createMetrics();
    const ctx = { metrics, log: undefined } as unknown as ServerContext;
    // Filled in below (Object.assign); the hub reads ctx.db only when a feed asks.
    const hub = new FeedHub(ctx);

    const url = mainDatabaseUrl(options, dataDir);
    const main: Database<MainDatabase> = await openDatabase<MainDatabase>({
      url,
      onPoolError: (err) => ctx.log?.warn({ err }, 'database connection lost'),
    });
    cleanups.push(() => main.close());
    await migrate({ db: main.db, migrations: mainMigrations(main.dialect) });

    const escrowUrl =
      options.escrowDatabase ??
      env.TESSERA_ESCROW_DATABASE ??
      (main.dialect === 'postgres' ? url : `sqlite:${join(dataDir, DEFAULTS.escrowSqliteFile)}`);
    if (escrowUrl.startsWith('sqlite:'))
      await mkdir(join(escrowUrl.slice('sqlite:'.length), '..'), { recursive: true, mode: 0o700 });
    const escrow = await Escrow.open({
      url: escrowUrl,
      schema: DEFAULTS.escrowSchema,
      secret: secrets.escrow,
      attemptTtlMs: options.escrowAttemptTtlMs ?? DEFAULTS.escrowAttemptTtlMs,
      onPoolError: (err) => ctx.log?.warn({ err }, 'escrow database connection lost'),
    });
    cleanups.push(() => escrow.close());

    const configuredRealms = options.escrowRealms ?? envRealms(env);
    const escrowRealms: EscrowRealmsConfig = configuredRealms
      ? parseEscrowRealms({
          urls: configuredRealms.urls,
          threshold: configuredRealms.threshold,
          source: 'escrowRealms (--escrow-realms, TESSERA_ESCROW_REALMS)',
        })
      : { urls: [EMBEDDED_REALM_PATH], threshold: 1 };
    const embeddedRealm = configuredRealms
      ? null
      : await openEmbeddedRealm({
          dataDir,
          mainUrl: url,
          dialect: main.dialect,
          env,
          onPoolError: (err) => ctx.log?.warn({ err }, 'realm database connection lost'),
        });
    if (embeddedRealm) cleanups.push(() => embeddedRealm.close());

    const bus: EventBus =
      main.dialect === 'postgres'
        ? await postgresBus({
            url,
            db: main.db,
            onError: (err) => ctx.log?.warn({ err }, 'event listener connection lost'),
          })
        : localBus(main.location);
    cleanups.push(() => bus.close());
    const sessionCache = new SessionCache({
      ttlMs: options.sessionCacheTtlMs ?? DEFAULTS.sessionCacheTtlMs,
      heardTtlMs: options.sessionCacheHeardTtlMs ?? DEFAULTS.sessionCacheHeardTtlMs,
      heard: () => bus.revocationsHeard(),
      maxEntries: DEFAULTS.sessionCacheMaxEntries,
    });
    const unsubscribe = bus.onSessionsRevoked((accountId) => sessionCache.revoke(accountId));
    cleanups.push(async () => unsubscribe());

    Object.assign(ctx, {
      db: main.db,
      dialect: main.dialect,
      escrow,
      escrowRealms,
      embeddedRealm,
      bus,
      sessionCache,
      opaqueServerSetup: secrets.opaqueServerSetup,
      opaquePublicKey: opaque.server.getPublicKey(secrets.opaqueServerSetup),
      minClientVersion:
        options.minClientVersion ?? env.TESSERA_MIN_CLIENT_VERSION ?? DEFAULTS.minClientVersion,
      serverVersion: SERVER_VERSION,
      rateLimits: { ...DEFAULTS.rateLimits, ...options.rateLimits },
      sessionAbsoluteLifetimeMs: absoluteLifetime(options, env),
      clock: options.clock ?? Date.now,
    } satisfies Omit<ServerContext, 'log' | 'metrics'>);

    const app = await buildApp({ ctx, config: options, hub });
    cleanups.push(() => app.close());
    const stopMaintenance = startMaintenance(ctx, options.maintenanceIntervalMs);
    cleanups.push(async () => stopMaintenance());

    const address = await app.listen({
      port: options.port ?? DEFAULTS.port,
      host: options.host ?? DEFAULTS.host,
    });
    let metricsUrl: string | undefined;
    if (options.metrics?.port !== undefined) {
      const listener = await startMetricsListener({
        metrics,
        host: options.metrics.host ?? DEFAULTS.host,
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
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** `sessionAbsoluteLifetimeMs`, else TESSERA_SESSION_ABSOLUTE_LIFETIME_MS, else 90 days; a positive integer. */
function absoluteLifetime(options: ServerOptions, env: NodeJS.ProcessEnv): number {
  const raw = options.sessionAbsoluteLifetimeMs ?? env.TESSERA_SESSION_ABSOLUTE_LIFETIME_MS;
  if (raw === undefined) return DEFAULTS.sessionAbsoluteLifetimeMs;
  const value = typeof raw === 'number' ? raw : /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(
      `sessionAbsoluteLifetimeMs (TESSERA_SESSION_ABSOLUTE_LIFETIME_MS) must be a positive number of milliseconds, not "${String(raw)}".`,
    );
  return value;
}
