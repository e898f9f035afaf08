/** Account-level helpers shared by routes: the row lock, notices. */
import type { Transaction } from 'kysely';
import type { Notice, NoticeKind } from '@tessera/protocol';
import type { AccountsTable, MainDatabase } from './db/tables.js';
import { appendEvent } from './events.js';
import { HttpError } from './http-error.js';

/**
 * Locks the account row for the rest of the transaction (a no-op write: PostgreSQL takes the row
 * lock, SQLite the database write lock) and returns it. Every change that appends events, moves
 * the item head or the circle head goes through here, so those are serialised per account.
 */
export async function lockAccount(trx: Transaction<MainDatabase>, accountId: string): Promise<AccountsTable> {
  const row = await trx
    .updateTable('accounts')
    .set((eb) => ({ item_head: eb.ref('item_head') }))
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new HttpError(401, 'unauthorized', 'This account no longer exists.');
  return row;
}

/** Records a notice for every device of the account and its feed event; call after `lockAccount`. */
export async function addNotice(
  trx: Transaction<MainDatabase>,
  accountId: string,
  kind: NoticeKind,
  data: Record<string, unknown>,
  now = Date.now(),
): Promise<Notice> {
  const row = await trx
    .insertInto('notices')
    .values({ account_id: accountId, kind, data: JSON.stringify(data), created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const notice: Notice = { id: Number(row.id), kind, data, createdAt: now };
  await appendEvent(trx, accountId, 'notice', { notice });
  return notice;
}

export function noticeFromRow(row: { id: number; kind: string; data: string; created_at: number }): Notice {
  return {
    id: Number(row.id),
    kind: row.kind as NoticeKind,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

/**
 * Ends the account's sessions (all, or all but `keepToken`'s) and evicts its pending devices, whose
 * session rows stay so they are told `join-removed` (docs/PROTOCOL.md §10). Call after `lockAccount`,
 * then `bus.revokeSessions` after commit. Returns how many pending devices were evicted.
 */
export async function endSessionsAndEvictPending(
  trx: Transaction<MainDatabase>,
  accountId: string,
  options: { keepToken?: string } = {},
): Promise<number> {
  const pending = await trx
    .selectFrom('devices')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .execute();
  const pendingIds = pending.map((d) => d.id);
  let revoke = trx.deleteFrom('sessions').where('account_id', '=', accountId);
  if (options.keepToken !== undefined) revoke = revoke.where('token_hash', '!=', options.keepToken);
  if (pendingIds.length > 0) revoke = revoke.where('device_id', 'not in', pendingIds);
  await revoke.execute();
  if (pendingIds.length > 0)
    await trx.updateTable('devices').set({ status: 'removed' }).where('id', 'in', pendingIds).execute();
  return pendingIds.length;
}
