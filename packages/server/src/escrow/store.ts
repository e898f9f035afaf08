/** The escrow's own database: a separate SQLite file, or its own PostgreSQL schema (`escrow`). */
import { sql, type Kysely, type Migration } from 'kysely';

export interface EscrowRecordsTable {
  account_id: string;
  /** OPAQUE registration record of the PIN; emptied when destroyed. */
  opaque_record: string;
  /** EK sealed under the escrow storage key; emptied when destroyed. */
  sealed_ek: string;
  /** Attempts counted as failed (pending ones included) since the PIN was set. */
  failed_count: number;
  destroyed: number;
  updated_at: number;
}

export interface EscrowAttemptsTable {
  id: string;
  account_id: string;
  server_state: string;
  status: 'pending' | 'failed' | 'succeeded';
  created_at: number;
  expires_at: number;
}

export interface EscrowDatabase {
  escrow_records: EscrowRecordsTable;
  escrow_attempts: EscrowAttemptsTable;
}

export function escrowMigrations(schema: string | null): Record<string, Migration> {
  return {
    '0001_escrow': {
      async up(db: Kysely<unknown>) {
        if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
        await db.schema
          .createTable('escrow_records')
          .addColumn('account_id', 'text', (c) => c.primaryKey())
          .addColumn('opaque_record', 'text', (c) => c.notNull())
          .addColumn('sealed_ek', 'text', (c) => c.notNull())
          .addColumn('failed_count', 'integer', (c) => c.notNull())
          .addColumn('destroyed', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('escrow_attempts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('server_state', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('escrow_attempts_account')
          .on('escrow_attempts')
          .column('account_id')
          .execute();
      },
    },
  };
}
