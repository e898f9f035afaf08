/**
 * The one set of migrations of the main database, for both dialects (Kysely Migrator with an
 * in-code provider). The only dialect difference is how an auto-increment key is spelled.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { NOTIFY_CHANNEL, NOTIFY_PAYLOAD_MAX_BYTES } from '../events.js';
import { PUSH_FUNCTION_ANNOUNCING_SQL, PUSH_FUNCTION_SQL } from '../push-postgres.js';
import type { Dialect } from './connect.js';

export function mainMigrations(dialect: Dialect): Record<string, Migration> {
  const serial = dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const);
  return {
    '0001_init': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('opaque_record', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('item_head', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('circle_seq', 'bigint')
          .addColumn('circle_hash', 'text')
          .addColumn('circle_epoch', 'integer')
          .execute();
        await db.schema
          .createTable('devices')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('enc_pub', 'text', (c) => c.notNull())
          .addColumn('sign_pub', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('devices_account').on('devices').column('account_id').execute();
        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_device').on('sessions').column('device_id').execute();
        await db.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();
        await db.schema
          .createTable('logins')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
          .addColumn('server_state', 'text', (c) => c.notNull())
          .addColumn('rate_keys', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('circle_links')
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('circle_links_pk', ['account_id', 'seq'])
          .execute();
        await db.schema
          .createTable('wraps')
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('recipient_id', 'text', (c) => c.notNull())
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('wrapped', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('wraps_pk', ['account_id', 'recipient_id', 'epoch'])
          .execute();
        await db.schema
          .createTable('items')
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('ciphertext', 'text', (c) => c.notNull())
          .addColumn('deleted', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('items_pk', ['account_id', 'id'])
          .execute();
        await db.schema
          .createIndex('items_version')
          .on('items')
          .columns(['account_id', 'version'])
          .unique()
          .execute();
        for (const table of ['notices', 'events'] as const) {
          await db.schema
            .createTable(table)
            .addColumn('id', serial, (c) =>
              dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
            )
            .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
            .addColumn(table === 'notices' ? 'kind' : 'type', 'text', (c) => c.notNull())
            .addColumn('data', 'text', (c) => c.notNull())
            .addColumn('created_at', 'bigint', (c) => c.notNull())
            .execute();
          await db.schema.createIndex(`${table}_account`).on(table).columns(['account_id', 'id']).execute();
        }
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('window_start', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addColumn('blocked_until', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0002_shares': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('shares')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('ciphertext', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('shares_account').on('shares').column('account_id').execute();
        await db.schema.createIndex('shares_expiry').on('shares').column('expires_at').execute();
      },
    },
    '0003_join_messages': {
      async up(db: Kysely<unknown>) {
        // Opaque CPace messages of device approval (docs/PROTOCOL.md §1.3), each slot written once.
        await db.schema
          .createTable('join_messages')
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('slot', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('join_messages_pk', ['device_id', 'slot'])
          .execute();
        await db.schema
          .createIndex('join_messages_account')
          .on('join_messages')
          .column('account_id')
          .execute();
        await db.schema
          .createIndex('join_messages_created')
          .on('join_messages')
          .column('created_at')
          .execute();
      },
    },
    '0004_events_notify': {
      async up(db: Kysely<unknown>) {
        // PostgreSQL: every event wakes the feeds of its account on every process when its
        // transaction commits (NOTIFY is transactional and deduplicated within a transaction), so a
        // write needs no extra round trip to notify. SQLite feeds share one in-process emitter.
        if (dialect !== 'postgres') return;
        await sql`
          create function tessera_events_notify() returns trigger language plpgsql as $$
          begin
            perform pg_notify(${sql.lit(NOTIFY_CHANNEL)}, new.account_id);
            return null;
          end $$`.execute(db);
        await sql`
          create trigger events_notify after insert on events
          for each row execute function tessera_events_notify()`.execute(db);
      },
    },
    '0005_folders': {
      async up(db: Kysely<unknown>) {
        // Shared folders (docs/PROTOCOL.md §12): members verify the signed log themselves; these
        // tables keep its order (head), who may read it, the wraps and the sealed entries.
        await db.schema
          .createTable('folders')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('head_seq', 'bigint', (c) => c.notNull())
          .addColumn('entry_head', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('folder_links')
          .addColumn('folder_id', 'text', (c) => c.notNull().references('folders.id').onDelete('cascade'))
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('folder_links_pk', ['folder_id', 'seq'])
          .execute();
        await db.schema
          .createTable('folder_members')
          .addColumn('folder_id', 'text', (c) => c.notNull().references('folders.id').onDelete('cascade'))
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('role', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('folder_members_pk', ['folder_id', 'account_id'])
          .execute();
        await db.schema
          .createIndex('folder_members_account')
          .on('folder_members')
          .column('account_id')
          .execute();
        await db.schema
          .createTable('folder_wraps')
          .addColumn('folder_id', 'text', (c) => c.notNull().references('folders.id').onDelete('cascade'))
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('wrapped', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('folder_wraps_pk', ['folder_id', 'account_id', 'epoch'])
          .execute();
        await db.schema
          .createTable('folder_entries')
          .addColumn('folder_id', 'text', (c) => c.notNull().references('folders.id').onDelete('cascade'))
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('blob', 'text', (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('folder_entries_pk', ['folder_id', 'id'])
          .execute();
        await db.schema
          .createIndex('folder_entries_version')
          .on('folder_entries')
          .columns(['folder_id', 'version'])
          .execute();
      },
    },
    '0006_folder_activity': {
      async up(db: Kysely<unknown>) {
        // Members' self-reported activity (code revealed or copied), sealed under the folder key
        // (docs/PROTOCOL.md §12.7); only owners read it back.
        await db.schema
          .createTable('folder_activity')
          .addColumn('id', serial, (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('folder_id', 'text', (c) => c.notNull().references('folders.id').onDelete('cascade'))
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('blob', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('folder_activity_folder')
          .on('folder_activity')
          .columns(['folder_id', 'id'])
          .execute();
      },
    },
    '0007_push_function': {
      async up(db: Kysely<unknown>) {
        // PostgreSQL: a push in one round trip (push-postgres.ts). SQLite pushes in-process.
        if (dialect !== 'postgres') return;
        await sql.raw(PUSH_FUNCTION_SQL).execute(db);
      },
    },
    '0008_events_announce': {
      async up(db: Kysely<unknown>) {
        // PostgreSQL: the notification carries the event itself and the id of the account's
        // previous event, so each process's feeds send it without reading the log when they have
        // sent that previous event (routes/feed.ts); a feed that has not reads as before. Every
        // insert into events holds the account row lock, so the previous event is committed and
        // seen here, and the account's notifications reach a listener in id order. Payloads stay
        // under PostgreSQL's 8000-byte bound: a larger event is announced without its data.
        // Processes from before this migration read the payload as an account id: upgrade all.
        if (dialect !== 'postgres') return;
        await sql`
          create or replace function tessera_events_notify() returns trigger language plpgsql as $$
          declare
            v_prev bigint;
            v_payload text;
          begin
            select max(id) into v_prev from events where account_id = new.account_id and id < new.id;
            v_payload := json_build_object('a', new.account_id, 'p', coalesce(v_prev, 0), 'i', new.id,
              't', new.type, 'd', new.data)::text;
            if octet_length(v_payload) > ${sql.lit(NOTIFY_PAYLOAD_MAX_BYTES)} then
              v_payload := json_build_object('a', new.account_id, 'p', coalesce(v_prev, 0), 'i', new.id,
                't', new.type, 'd', null)::text;
            end if;
            perform pg_notify(${sql.lit(NOTIFY_CHANNEL)}, v_payload);
            return null;
          end $$`.execute(db);
      },
    },
    '0009_items_announce': {
      async up(db: Kysely<unknown>) {
        // PostgreSQL: a small push's rows ride on its event's notification (`x`, set by the push
        // function for this trigger), so each process keeps the recent item changes of accounts with
        // feeds there and answers a pull they cover without a read (item-tail.ts). The notification
        // stays under the 8000-byte bound: rows that do not fit are left out (the pull then reads).
        if (dialect !== 'postgres') return;
        await sql.raw(PUSH_FUNCTION_ANNOUNCING_SQL).execute(db);
        await sql`
          create or replace function tessera_events_notify() returns trigger language plpgsql as $$
          declare
            v_prev bigint;
            v_items text;
            v_payload text;
          begin
            select max(id) into v_prev from events where account_id = new.account_id and id < new.id;
            if new.type = 'items' then
              v_items := nullif(current_setting('tessera.items', true), '');
            end if;
            v_payload := json_build_object('a', new.account_id, 'p', coalesce(v_prev, 0), 'i', new.id,
              't', new.type, 'd', new.data, 'x', v_items::json)::text;
            if octet_length(v_payload) > ${sql.lit(NOTIFY_PAYLOAD_MAX_BYTES)} then
              v_payload := json_build_object('a', new.account_id, 'p', coalesce(v_prev, 0), 'i', new.id,
                't', new.type, 'd', new.data)::text;
            end if;
            if octet_length(v_payload) > ${sql.lit(NOTIFY_PAYLOAD_MAX_BYTES)} then
              v_payload := json_build_object('a', new.account_id, 'p', coalesce(v_prev, 0), 'i', new.id,
                't', new.type, 'd', null)::text;
            end if;
            perform pg_notify(${sql.lit(NOTIFY_CHANNEL)}, v_payload);
            return null;
          end $$`.execute(db);
      },
    },
  };
}

/** Runs `migrations` to the latest; several processes starting at once are serialised by Kysely's lock. */
export async function migrate<T>(options: {
  db: Kysely<T>;
  migrations: Record<string, Migration>;
  schema?: string;
}): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => options.migrations };
  const migrator = new Migrator({
    // Migrations see the database untyped: they create the tables the types describe.
    db: options.db as unknown as Kysely<unknown>,
    provider,
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`,
    );
  }
}
