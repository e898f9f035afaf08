/**
 * Opens a Kysely database on SQLite (better-sqlite3) or PostgreSQL (pg) from one URL:
 * `sqlite:PATH` or `postgres://…`.
 */
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  WithSchemaPlugin,
  type KyselyPlugin,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase,
} from 'kysely';
import type { Database as BetterSqliteDatabase } from 'better-sqlite3';
import type { Pool as PgPool, PoolClient as PgPoolClient } from 'pg';

export type Dialect = 'sqlite' | 'postgres';

export interface Database<T> {
  db: Kysely<T>;
  dialect: Dialect;
  /** The SQLite file (absolute) or the PostgreSQL URL. */
  location: string;
  close(): Promise<void>;
}

/** Time limits on PostgreSQL so a sick database yields an error (503), never a hung request. */
export const PG_TIMEOUTS = {
  connectMs: 5_000,
  statementMs: 10_000,
  queryMs: 15_000,
  idleInTransactionMs: 15_000,
} as const;

/** How long SQLite waits for another process's write lock before failing (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`database URL must be sqlite:PATH or postgres://…, got ${JSON.stringify(redactUrl(url))}`);
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/**
 * Kysely prepares every query anew; preparing is a large part of a small query's cost in SQLite,
 * and the server runs a few dozen distinct statements, so prepared statements are kept by SQL text.
 * Safe because better-sqlite3 runs one statement at a time (synchronously).
 */
function cachingStatements(sqlite: BetterSqliteDatabase): SqliteDatabase {
  const cache = new Map<string, ReturnType<BetterSqliteDatabase['prepare']>>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        statement = sqlite.prepare(sqlText);
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * The PostgreSQL counterpart of `cachingStatements`: Kysely sends every query unnamed, so
 * PostgreSQL parses and plans it each time, on the same cores as the server. Naming each distinct
 * SQL text makes pg prepare it once per connection and then only bind and execute (measured: about
 * a quarter more pulls per second). Names are bounded (`STATEMENT_CACHE_SIZE`; rarer texts go
 * unnamed). The catch: a prepared statement's result shape is fixed, so a migration that alters a
 * table under running processes would need them restarted; migrations run at start, before serving.
 */
function preparingPool(pool: PgPool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < STATEMENT_CACHE_SIZE) {
      name = `tessera_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  // One wrapper per pooled client: Kysely keeps its connection objects by client identity.
  const wrappers = new WeakMap<PgPoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = {
          // Kysely only ever calls query(sql, parameters) here (it streams no cursors).
          query: ((text: string, values: unknown[]) =>
            client.query({ name: nameOf(text), text, values })) as unknown as PostgresPoolClient['query'],
          release: (destroy) => client.release(destroy),
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

export async function openDatabase<T>(options: {
  url: string;
  /** PostgreSQL schema every query runs in (the escrow's own schema). */
  schema?: string;
  poolSize?: number;
  onPoolError?: (err: Error) => void;
}): Promise<Database<T>> {
  const dialect = dialectOf(options.url);
  const plugins: KyselyPlugin[] =
    options.schema && dialect === 'postgres' ? [new WithSchemaPlugin(options.schema)] : [];
  if (dialect === 'sqlite') {
    const { default: BetterSqlite } = await import('better-sqlite3');
    const path = options.url.slice('sqlite:'.length);
    if (!path) throw new Error('database URL sqlite: needs a file path, e.g. sqlite:./tessera.sqlite');
    const sqlite = new BetterSqlite(path);
    // WAL lets readers run beside a writer; synchronous=FULL makes a commit durable once it returns
    // (https://www.sqlite.org/pragma.html#pragma_synchronous); busy_timeout shares the file between processes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<T>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
      plugins,
    });
    return { db, dialect, location: sqlite.name, close: () => db.destroy() };
  }
  const pg = await import('pg');
  const { Pool, types } = pg.default;
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: PG_TIMEOUTS.connectMs,
    statement_timeout: PG_TIMEOUTS.statementMs,
    query_timeout: PG_TIMEOUTS.queryMs,
    idle_in_transaction_session_timeout: PG_TIMEOUTS.idleInTransactionMs,
    // int8 as a JS number: versions, ids and times stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20
          ? (v: string) => Number(v)
          : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
    },
  });
  // An idle client dying (database restart) must not crash the process; the next query reconnects.
  pool.on('error', (err) => options.onPoolError?.(err));
  // A client checked out but between queries when the server goes away emits 'error' itself (the
  // pool only listens on idle clients); unhandled, that would end the process. The query that
  // uses it next fails normally and is answered 503.
  pool.on('connect', (client) => client.on('error', (err) => options.onPoolError?.(err)));
  const db = new Kysely<T>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }), plugins });
  return { db, dialect, location: options.url, close: () => db.destroy() };
}
