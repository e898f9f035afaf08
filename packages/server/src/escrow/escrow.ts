/**
 * The escrow: a separate component with its own secret (OPAQUE setup and storage key) and its own
 * storage, the stand-in for an HSM. It holds, per account, the OPAQUE record of the keychain PIN and
 * EK sealed at rest, and releases EK only after a successful OPAQUE proof of the PIN.
 *
 * Attempts: one counts as failed from `loginStart` (an OPAQUE client learns of a wrong PIN before the
 * server does); only a successful `loginFinish` gives it back. The start after the
 * ESCROW_MAX_FAILED_ATTEMPTS-th counted failure destroys the record. All state is in the escrow
 * database, under a row lock, so several processes count together.
 */
import * as opaque from '@serenity-kit/opaque';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ESCROW_MAX_FAILED_ATTEMPTS, LABELS } from '@tessera/protocol';
import { b64u, fromB64u, randomB64u } from '../bytes.js';
import { openDatabase, type Database } from '../db/connect.js';
import { migrate } from '../db/migrations.js';
import { checkRegistrationRecord, withClientMessage } from '../opaque-messages.js';
import type { EscrowSecret } from '../secrets.js';
import { open, seal } from './aead.js';
import { escrowMigrations, type EscrowDatabase, type EscrowRecordsTable } from './store.js';

/** What happened that devices must be told (notices `pin-attempt-failed`, `escrow-destroyed`). */
export interface EscrowEvents {
  /** `attemptsLeft` after each attempt that became final as failed. */
  failed: number[];
  destroyed: boolean;
}

export type LoginStartResult =
  | { kind: 'started'; attemptId: string; loginResponse: string; attemptsLeft: number; events: EscrowEvents }
  | { kind: 'destroyed'; events: EscrowEvents }
  | { kind: 'not-enabled' };

export type LoginFinishResult =
  | { kind: 'released'; sealedEscrowKey: string }
  | { kind: 'incorrect'; events: EscrowEvents }
  | { kind: 'expired'; events: EscrowEvents }
  | { kind: 'destroyed' }
  | { kind: 'not-enabled' };

export interface EscrowStatus {
  enabled: boolean;
  attemptsLeft: number;
  destroyed: boolean;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const noEvents = (): EscrowEvents => ({ failed: [], destroyed: false });
const ekAad = (accountId: string) => `tessera/escrow/ek|${accountId}`;

export class Escrow {
  private constructor(
    private readonly store: Database<EscrowDatabase>,
    private readonly secret: EscrowSecret,
    private readonly attemptTtlMs: number,
  ) {}

  /** Opens (and migrates) the escrow database. `schema` applies on PostgreSQL only. */
  static async open(options: {
    url: string;
    schema: string;
    secret: EscrowSecret;
    attemptTtlMs: number;
    onPoolError?: (err: Error) => void;
  }): Promise<Escrow> {
    const store = await openDatabase<EscrowDatabase>({
      url: options.url,
      schema: options.schema,
      poolSize: 4,
      ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
    });
    try {
      const schema = store.dialect === 'postgres' ? options.schema : null;
      await migrate({ db: store.db, migrations: escrowMigrations(schema), ...(schema ? { schema } : {}) });
    } catch (err) {
      await store.close();
      throw err;
    }
    return new Escrow(store, options.secret, options.attemptTtlMs);
  }

  get db(): Kysely<EscrowDatabase> {
    return this.store.db;
  }

  /** The escrow's OPAQUE public key (clients pin it from /v1/meta). */
  publicKey(): string {
    return opaque.server.getPublicKey(this.secret.opaqueServerSetup);
  }

  registrationResponse(accountId: string, registrationRequest: string): string {
    return withClientMessage('registrationRequest', () =>
      opaque.server.createRegistrationResponse({
        serverSetup: this.secret.opaqueServerSetup,
        userIdentifier: accountId,
        registrationRequest,
      }),
    ).registrationResponse;
  }

  /** Sets or replaces the PIN record and EK; the attempt count starts afresh. */
  async register(accountId: string, registrationRecord: string, escrowKey: Uint8Array): Promise<void> {
    checkRegistrationRecord(this.secret.opaqueServerSetup, accountId, registrationRecord);
    const sealedEk = b64u(seal(this.secret.storageKey, escrowKey, ekAad(accountId)));
    const row = {
      opaque_record: registrationRecord,
      sealed_ek: sealedEk,
      failed_count: 0,
      destroyed: 0,
      updated_at: Date.now(),
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('escrow_attempts').where('account_id', '=', accountId).execute();
      await trx
        .insertInto('escrow_records')
        .values({ account_id: accountId, ...row })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(row))
        .execute();
    });
  }

  async loginStart(
    accountId: string,
    startLoginRequest: string,
    now = Date.now(),
  ): Promise<LoginStartResult> {
    return this.db.transaction().execute(async (trx) => {
      const record = await lockRecord(trx, accountId);
      if (!record) return { kind: 'not-enabled' } as const;
      if (record.destroyed) return { kind: 'destroyed', events: noEvents() } as const;
      const events = noEvents();
      events.failed = await finalizePending(trx, accountId, record.failed_count);
      if (record.failed_count >= ESCROW_MAX_FAILED_ATTEMPTS) {
        await destroy(trx, accountId);
        events.destroyed = true;
        return { kind: 'destroyed', events } as const;
      }
      // Computed before the attempt is counted, so a failure inside OPAQUE counts nothing.
      const { serverLoginState, loginResponse } = withClientMessage('startLoginRequest', () =>
        opaque.server.startLogin({
          serverSetup: this.secret.opaqueServerSetup,
          userIdentifier: accountId,
          registrationRecord: record.opaque_record,
          startLoginRequest,
        }),
      );
      const failedCount = record.failed_count + 1;
      const attemptId = randomB64u(16);
      await trx
        .updateTable('escrow_records')
        .set({ failed_count: failedCount, updated_at: now })
        .where('account_id', '=', accountId)
        .execute();
      await trx
        .insertInto('escrow_attempts')
        .values({
          id: attemptId,
          account_id: accountId,
          server_state: serverLoginState,
          status: 'pending',
          created_at: now,
          expires_at: now + this.attemptTtlMs,
        })
        .execute();
      return {
        kind: 'started',
        attemptId,
        loginResponse,
        attemptsLeft: ESCROW_MAX_FAILED_ATTEMPTS - failedCount,
        events,
      } as const;
    });
  }

  async loginFinish(
    accountId: string,
    attemptId: string,
    finishLoginRequest: string,
    now = Date.now(),
  ): Promise<LoginFinishResult> {
    return this.db.transaction().execute(async (trx) => {
      const record = await lockRecord(trx, accountId);
      if (!record) return { kind: 'not-enabled' } as const;
      if (record.destroyed) return { kind: 'destroyed' } as const;
      const attempt = await trx
        .selectFrom('escrow_attempts')
        .selectAll()
        .where('id', '=', attemptId)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      const attemptsLeft = ESCROW_MAX_FAILED_ATTEMPTS - record.failed_count;
      if (!attempt || attempt.status !== 'pending') return { kind: 'expired', events: noEvents() } as const;
      const fail = async () => {
        await trx
          .updateTable('escrow_attempts')
          .set({ status: 'failed', server_state: '' })
          .where('id', '=', attemptId)
          .execute();
        // The last allowed attempt failed and none is pending: nothing can succeed any more.
        const exhausted = attemptsLeft <= 0 && !(await hasPending(trx, accountId));
        if (exhausted) await destroy(trx, accountId);
        return { failed: [attemptsLeft], destroyed: exhausted };
      };
      if (attempt.expires_at < now) return { kind: 'expired', events: await fail() } as const;
      let sessionKey: string;
      try {
        sessionKey = opaque.server.finishLogin({
          serverLoginState: attempt.server_state,
          finishLoginRequest,
        }).sessionKey;
      } catch {
        return { kind: 'incorrect', events: await fail() } as const;
      }
      await trx
        .updateTable('escrow_attempts')
        .set({ status: 'succeeded', server_state: '' })
        .where('id', '=', attemptId)
        .execute();
      await trx
        .updateTable('escrow_records')
        .set({ failed_count: Math.max(0, record.failed_count - 1), updated_at: now })
        .where('account_id', '=', accountId)
        .execute();
      const ek = open(this.secret.storageKey, fromB64u(record.sealed_ek), ekAad(accountId));
      const releaseKey = hkdf(
        sha256,
        fromB64u(sessionKey),
        new Uint8Array(0),
        utf8(LABELS.escrowRelease),
        32,
      );
      return {
        kind: 'released',
        sealedEscrowKey: b64u(seal(releaseKey, ek, `${LABELS.escrowRelease}|${accountId}`)),
      } as const;
    });
  }

  async status(accountId: string): Promise<EscrowStatus> {
    const record = await this.db
      .selectFrom('escrow_records')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!record) return { enabled: false, attemptsLeft: 0, destroyed: false };
    if (record.destroyed) return { enabled: false, attemptsLeft: 0, destroyed: true };
    return {
      enabled: true,
      attemptsLeft: Math.max(0, ESCROW_MAX_FAILED_ATTEMPTS - record.failed_count),
      destroyed: false,
    };
  }

  /**
   * Makes expired pending attempts final (failed) and destroys records whose last allowed attempt has
   * failed; returns what each account's devices must be told. Each change is reported by one process.
   */
  async sweep(now = Date.now()): Promise<Map<string, EscrowEvents>> {
    const out = new Map<string, EscrowEvents>();
    const eventsOf = (accountId: string) => {
      let e = out.get(accountId);
      if (!e) out.set(accountId, (e = noEvents()));
      return e;
    };
    const rows = await this.db
      .updateTable('escrow_attempts')
      .set({ status: 'failed', server_state: '' })
      .where('status', '=', 'pending')
      .where('expires_at', '<', now)
      .returning(['account_id'])
      .execute();
    for (const { account_id } of rows) {
      const status = await this.status(account_id);
      eventsOf(account_id).failed.push(status.attemptsLeft);
    }
    const exhausted = await this.db
      .selectFrom('escrow_records')
      .select('account_id')
      .where('destroyed', '=', 0)
      .where('failed_count', '>=', ESCROW_MAX_FAILED_ATTEMPTS)
      .execute();
    for (const { account_id } of exhausted) {
      const destroyed = await this.db.transaction().execute(async (trx) => {
        const record = await lockRecord(trx, account_id);
        if (!record || record.destroyed || record.failed_count < ESCROW_MAX_FAILED_ATTEMPTS) return false;
        if (await hasPending(trx, account_id)) return false;
        await destroy(trx, account_id);
        return true;
      });
      if (destroyed) eventsOf(account_id).destroyed = true;
    }
    await this.db
      .deleteFrom('escrow_attempts')
      .where('status', '!=', 'pending')
      .where('created_at', '<', now - 86_400_000)
      .execute();
    return out;
  }

  /** Removes the PIN (a `set-escrow` link with a null key) or every trace of the account. */
  async deleteAccount(accountId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('escrow_attempts').where('account_id', '=', accountId).execute();
      await trx.deleteFrom('escrow_records').where('account_id', '=', accountId).execute();
    });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Takes the row lock first (a write), so concurrent attempts on one account are counted in turn. */
async function lockRecord(
  trx: Transaction<EscrowDatabase>,
  accountId: string,
): Promise<EscrowRecordsTable | undefined> {
  await trx
    .updateTable('escrow_records')
    .set({ failed_count: sql`failed_count` })
    .where('account_id', '=', accountId)
    .execute();
  return trx.selectFrom('escrow_records').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/** A newer attempt makes the older pending ones final (they stay counted as failed). */
async function finalizePending(
  trx: Transaction<EscrowDatabase>,
  accountId: string,
  failedCount: number,
): Promise<number[]> {
  const rows = await trx
    .updateTable('escrow_attempts')
    .set({ status: 'failed', server_state: '' })
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .returning(['id'])
    .execute();
  return rows.map(() => Math.max(0, ESCROW_MAX_FAILED_ATTEMPTS - failedCount));
}

async function hasPending(trx: Transaction<EscrowDatabase>, accountId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('escrow_attempts')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row !== undefined;
}

async function destroy(trx: Transaction<EscrowDatabase>, accountId: string): Promise<void> {
  await trx
    .updateTable('escrow_records')
    .set({ opaque_record: '', sealed_ek: '', destroyed: 1, updated_at: Date.now() })
    .where('account_id', '=', accountId)
    .execute();
  await trx.deleteFrom('escrow_attempts').where('account_id', '=', accountId).execute();
}
