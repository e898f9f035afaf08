/**
 * A realm's own database (SQLite file or its own PostgreSQL schema `tessera_realm`), never the
 * keychain's: opening refuses a database that holds the keychain's tables (unless it is the
 * keychain server's embedded realm, which says so).
 *
 * Shredding (docs/SECURITY.md "Escrow realms"): every record is sealed under a key of its own, kept
 * in a key store that can really forget. The key store is SQLite with `secure_delete` (deleted
 * content overwritten with zeros, https://www.sqlite.org/pragma.html#pragma_secure_delete) and
 * `wal_checkpoint(TRUNCATE)` after each delete, so the older page images in the write-ahead log go
 * too. With SQLite records, the key store is the same file; with PostgreSQL records (which VACUUM
 * never overwrites, and which WAL segments and backups keep), it is a SQLite file beside the realm's
 * secret, so a destroyed record's bytes left in PostgreSQL are sealed under a key that no longer exists.
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
  /** SHA-256 of the token that lets the registering client delete the record; null while pending. */
  delete_hash: Uint8Array | null;
  guesses: number;
  updated_at: number;
}

/** The key of each record's seal: deleting it destroys the record wherever its bytes remain. */
export interface RealmRecordKeysTable {
  id: string;
  key: Uint8Array;
}

/** Ids of destroyed records (no secret material), so clients can tell "destroyed" from "unknown". */
export interface RealmTombstonesTable {
  id: string;
  destroyed_at: number;
  /** guesses: 10 wrong PINs; deleted: its owner replaced or turned off the PIN. Null before 0004. */
  reason: 'guesses' | 'deleted' | null;
}

export interface RealmDatabase {
  realm_records: RealmRecordsTable;
  realm_tombstones: RealmTombstonesTable;
  rate_limits: RateLimitsTable;
}

export interface RealmKeyStoreDatabase {
  realm_record_keys: RealmRecordKeysTable;
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
    // Lets the client that registered a record delete it (a replaced PIN): SHA-256 of its token.
    '0002_delete_hash': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('realm_records').addColumn('delete_hash', blob).execute();
      },
    },
    // Used where the record keys live beside the records (SQLite, or the embedded realm).
    ...keyStoreMigrations(dialect),
    '0004_tombstone_reason': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('realm_tombstones').addColumn('reason', 'text').execute();
      },
    },
  };
}

const keyStoreMigrations = (dialect: 'sqlite' | 'postgres'): Record<string, Migration> => ({
  '0003_record_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('realm_record_keys')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .execute();
    },
  },
});

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
  /** Where the record keys live (the same SQLite file, a SQLite file of their own, or PostgreSQL). */
  keys: Kysely<RealmKeyStoreDatabase>;
  /** After a delete: makes the deleted bytes unrecoverable from the key store's files. */
  shred(): Promise<void>;
}

export async function openRealmStore(options: {
  url: string;
  /**
   * `sqlite:PATH` of the key store when the records live in PostgreSQL; without it the keys live
   * beside the records (only the keychain server's embedded realm does that on PostgreSQL).
   */
  keysUrl?: string;
  /** The keychain server's embedded realm shares the keychain's database. */
  embedded?: boolean;
  onPoolError?: (err: Error) => void;
}): Promise<RealmStore> {
  const store = await openDatabase<RealmDatabase>({
    url: options.url,
    schema: REALM_SCHEMA,
    poolSize: 4,
    ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
  });
  let keyStore: Database<RealmKeyStoreDatabase> | null = null;
  try {
    if (!options.embedded && (await isKeychainDatabase(store)))
      throw new Error(
        'this database holds a Tessera keychain; a realm needs its own database (sqlite:PATH or another PostgreSQL database)',
      );
    if (store.dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(store.db);
    await migrate({
      db: store.db,
      migrations: realmMigrations(store.dialect),
      ...(store.dialect === 'postgres' ? { schema: REALM_SCHEMA } : {}),
    });
    if (options.keysUrl !== undefined && store.dialect === 'postgres') {
      if (!options.keysUrl.startsWith('sqlite:'))
        throw new Error('the realm key store must be a SQLite file (sqlite:PATH)');
      keyStore = await openDatabase<RealmKeyStoreDatabase>({ url: options.keysUrl });
      await sql`PRAGMA secure_delete = ON`.execute(keyStore.db);
      await migrate({ db: keyStore.db, migrations: keyStoreMigrations('sqlite') });
    }
  } catch (err) {
    await keyStore?.close();
    await store.close();
    throw err;
  }
  const keysDb = keyStore?.db ?? (store.db as unknown as Kysely<RealmKeyStoreDatabase>);
  const shreds = keyStore !== null || store.dialect === 'sqlite';
  const shred = async () => {
    if (!shreds) return;
    const result = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(keysDb);
    // One connection per process, so only another process reading the same file can block it.
    if (result.rows[0]?.busy) throw new Error('realm: the write-ahead log could not be truncated (busy)');
  };
  return {
    ...store,
    keys: keysDb,
    shred,
    close: async () => {
      await keyStore?.close();
      await store.close();
    },
  };
}
