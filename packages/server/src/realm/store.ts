/**
 * A realm's own database (SQLite file or its own PostgreSQL schema `tessera_realm`), never the
 * keychain's: opening refuses a database that holds the keychain's tables.
 *
 * Shredding: on SQLite, `secure_delete` makes SQLite overwrite deleted content with zeros
 * (https://www.sqlite.org/pragma.html#pragma_secure_delete), and `shred()` runs a
 * `wal_checkpoint(TRUNCATE)` so the older page images in the write-ahead log are gone too. PostgreSQL
 * offers no such guarantee (docs/SECURITY.md "Escrow realms").
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { openDatabase, type Database } from '../db/connect.js';
import { migrate } from '../db/migrations.js';
import type { RateLimitsTable } from '../db/tables.js';

export const REALM_SCHEMA = 'tessera_realm';

export interface RealmRecordsTable {
  id: string;
  /** pending: register1 done, waiting for register2; ready: holds share and commitment. */
  state: 'pending' | 'ready';
  /** The record sealed under the realm's storage key (record.ts). */
  sealed: Uint8Array;
  /** SHA-256 of the register1 nonce: only that client may complete the registration. */
  pending_tag: Uint8Array | null;
  guesses: number;
  updated_at: number;
}

/** Ids of destroyed records (no secret material), so clients can tell "destroyed" from "unknown". */
export interface RealmTombstonesTable {
  id: string;
  destroyed_at: number;
}

export interface RealmDatabase {
  realm_records: RealmRecordsTable;
  realm_tombstones: RealmTombstonesTable;
  rate_limits: RateLimitsTable;
}

function realmMigrations(dialect: 'sqlite' | 'postgres'): Record<string, Migration> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    '0001_realm': {
      async up(db: Kysely<unknown>) {
        if (dialect === 'postgres')
          await sql`create schema if not exists ${sql.id(REALM_SCHEMA)}`.execute(db);
        await db.schema
          .createTable('realm_records')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('sealed', blob, (c) => c.notNull())
          .addColumn('pending_tag', blob)
          .addColumn('guesses', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('realm_tombstones')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('destroyed_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('window_start', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addColumn('blocked_until', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
  };
}

/** True when the database holds the keychain server's tables (a realm must not share them). */
async function isKeychainDatabase(store: Database<RealmDatabase>): Promise<boolean> {
  const found =
    store.dialect === 'sqlite'
      ? await sql<{
          n: number;
        }>`select count(*) as n from sqlite_master where name in ('circle_links', 'escrow_records')`.execute(
          store.db,
        )
      : await sql<{
          n: number;
        }>`select count(*)::int as n from information_schema.tables where table_name in ('circle_links', 'escrow_records')`.execute(
          store.db,
        );
  return Number(found.rows[0]?.n ?? 0) > 0;
}

export interface RealmStore extends Database<RealmDatabase> {
  /** After a delete: makes the deleted bytes unrecoverable from the files where the engine allows it. */
  shred(): Promise<void>;
}

export async function openRealmStore(options: {
  url: string;
  onPoolError?: (err: Error) => void;
}): Promise<RealmStore> {
  const store = await openDatabase<RealmDatabase>({
    url: options.url,
    schema: REALM_SCHEMA,
    poolSize: 4,
    ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
  });
  try {
    if (await isKeychainDatabase(store))
      throw new Error(
        'this database holds a Tessera keychain; a realm needs its own database (sqlite:PATH or another PostgreSQL database)',
      );
    if (store.dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(store.db);
    await migrate({
      db: store.db,
      migrations: realmMigrations(store.dialect),
      ...(store.dialect === 'postgres' ? { schema: REALM_SCHEMA } : {}),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const shred = async () => {
    if (store.dialect !== 'sqlite') return;
    const result = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
    // One connection per process, so only another process reading the same file can block it.
    if (result.rows[0]?.busy) throw new Error('realm: the write-ahead log could not be truncated (busy)');
  };
  return { ...store, shred };
}
